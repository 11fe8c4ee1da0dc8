"""An organization's logo, served from the upload folder (never from static/)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response, abort, request
from flask_login import current_user

from app.extensions import db
from app.models import Organization
from app.organizations import bp
from app.services import logos
from app.services.visibility import is_publicly_listed


def _may_see_logo(organization: Organization) -> bool:
    """Logos of organizations in public view are public; the organization's own users and
    moderators see the others (pending, dark, ...)."""
    if is_publicly_listed(organization):
        return True
    if not current_user.is_authenticated:
        return False
    return current_user.is_moderator or current_user.organization_id == organization.id


@bp.get("/<slug>/logo")
def logo(slug: str):
    organization = db.session.scalar(sa.select(Organization).where(Organization.slug == slug))
    if organization is None or not _may_see_logo(organization):
        abort(404)
    found = logos.logo_path(organization)
    if found is None:
        abort(404)
    path, content_type = found
    public = is_publicly_listed(organization)
    # Logos are small once re-encoded: read them whole rather than hold a file open.
    response = Response(path.read_bytes(), mimetype=content_type)
    response.add_etag()
    response.cache_control.public = public
    response.cache_control.max_age = 3600 if public else 0
    response.make_conditional(request)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = "inline"
    # An image needs no script, style or frame, whatever a browser might be tricked into.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    if not public:
        response.headers["Cache-Control"] = "no-store"
    return response
