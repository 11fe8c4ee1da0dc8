from datetime import date, timedelta

import sqlalchemy as sa
from flask import (
    abort,
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload

from app import dates, fragments, labels, transactions
from app.access import admin_required, moderator_required
from app.extensions import db
from app.i18n import current_locale
from app.models import AuditAction, AuditEntry, Organization, OrganizationStatus, Role, User
from app.moderation import bp
from app.moderation.forms import NoteForm, ReasonForm
from app.numbers import looks_like_id, parse_id
from app.services import DomainError, NotAllowed, access_log, directory, going_dark, moderation_content
from app.services import moderation as moderation_service
from app.services.text import slugify
from app.transactions import records_views


@bp.app_context_processor
def moderation_header() -> dict:
    """The header's count of waiting applications, only for moderators: one COUNT query per
    generation of the public tables in each worker (applications are organizations, a public
    table: a new one or a decision replaces the token), kept on the request's ``g`` as well."""
    if not has_request_context() or not (current_user.is_authenticated and current_user.is_moderator):
        return {}
    if "moderation_waiting" not in g:
        waiting = moderation_service.waiting_count
        g.moderation_waiting = fragments.per_generation("moderation_waiting", waiting)
    return {"moderation_waiting": g.moderation_waiting}


def _page() -> int:
    return request.args.get("page", 1, type=int)


def get_organization(organization_id: int) -> Organization:
    organization = db.session.scalar(
        sa.select(Organization)
        .where(Organization.id == organization_id)
        .options(selectinload(Organization.users), selectinload(Organization.translations))
    )
    if organization is None:
        abort(404)
    return organization


@bp.get("/")
@moderator_required
@records_views
def queue():
    page = db.paginate(moderation_service.pending_applications_query(), page=_page(), error_out=True)
    names = db.session.scalars(moderation_service.names_to_review_query().limit(NAMES_SHOWN)).all()
    reviews = db.session.scalars(moderation_content.review_requests_query().limit(NAMES_SHOWN)).all()
    # The queue shows each application whole, hidden contact details included.
    access_log.record_review(current_user, page.items)
    html = render_template(
        "moderation/queue.html",
        page=page,
        resubmitted=moderation_service.resubmissions(page.items),
        field_labels=APPLICATION_FIELD_LABELS,
        names=names,
        reviews=reviews,
        reject_form=ReasonForm(),
        approve_form=NoteForm(),
    )
    return html  # the review is recorded by the request's commit


# How the queue names an application's fields in "what changed since the rejection".
APPLICATION_FIELD_LABELS = {
    "name": _l("Name"),
    "kind": _l("Kind"),
    "country": _l("Country"),
    "city": _l("City or governorate"),
    "description": _l("Description"),
    "website": _l("Website"),
    "founded_year": _l("Founded"),
    "contact_email": _l("Contact email"),
    "contact_email_visibility": _l("Who may see the contact email"),
    "contact_phone": _l("Contact phone"),
    "contact_phone_visibility": _l("Who may see the contact phone"),
    "address": _l("Address"),
    "address_visibility": _l("Who may see the address"),
    "contact_person": _l("Contact person"),
    "contact_person_visibility": _l("Who may see the contact person"),
    "facebook": _l("Facebook page"),
    "facebook_visibility": _l("Who may see the Facebook page"),
    "telegram": _l("Telegram"),
    "telegram_visibility": _l("Who may see the Telegram account"),
    "whatsapp": _l("WhatsApp number"),
    "whatsapp_visibility": _l("Who may see the WhatsApp number"),
    "org_identifier": _l("Registration identifier (org-id.guide)"),
    "org_identifier_visibility": _l("Who may see the registration identifier"),
    "publishes_murmurations": _l("Publishes a Murmurations profile"),
}

# New names and requests for review wait on the queue page, oldest first; more than this is
# not expected at once.
NAMES_SHOWN = 50


@bp.get("/organizations")
@moderator_required
def organizations():
    status = request.args.get("status", OrganizationStatus.APPROVED.value)
    if status not in {s.value for s in OrganizationStatus}:
        abort(404)
    query = request.args.get("q", "").strip()[:100]
    stmt = sa.select(Organization).where(Organization.status == status)
    if query:
        stmt = stmt.where(Organization.name.ilike(f"%{query}%"))
    page = db.paginate(stmt.order_by(*directory.name_order(current_locale())), page=_page(), error_out=True)
    return render_template(
        "moderation/organizations.html",
        page=page,
        status=status,
        query=query,
        statuses=list(OrganizationStatus),
    )


@bp.get("/organizations/<int:organization_id>")
@moderator_required
@records_views
def organization(organization_id: int):
    return _render_organization(get_organization(organization_id))


def _render_organization(organization, status=200, **forms):
    entries = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.organization_id == organization.id)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .limit(20)
    ).all()
    # The page shows the organization whole, hidden contact details included: the record is
    # kept even when the page shows a form's errors.
    access_log.record_review(current_user, [organization])
    transactions.commit_even_if_refused()
    html = render_template(
        "moderation/organization.html",
        organization=organization,
        entries=entries,
        approve_form=forms.get("approve_form") or NoteForm(),
        reject_form=forms.get("reject_form") or ReasonForm(),
        suspend_form=forms.get("suspend_form") or ReasonForm(),
        reinstate_form=forms.get("reinstate_form") or NoteForm(),
        delist_form=forms.get("delist_form") or ReasonForm(),
        relist_form=forms.get("relist_form") or NoteForm(),
        approve_name_form=forms.get("approve_name_form") or NoteForm(),
        reject_name_form=forms.get("reject_name_form") or ReasonForm(),
    )
    return html, status


# name: (form class, service, success message). Every decision tells the organization's members
# through their notification choices (app/services/notifications.py, called by the service): no
# mail here.
DECISIONS = {
    "approve": (
        NoteForm,
        moderation_service.approve_organization,
        _l("%(name)s is approved."),
    ),
    "reject": (
        ReasonForm,
        moderation_service.reject_organization,
        _l("%(name)s is rejected; the reason has been sent."),
    ),
    "suspend": (
        ReasonForm,
        moderation_service.suspend_organization,
        _l("%(name)s is suspended."),
    ),
    "reinstate": (
        NoteForm,
        moderation_service.reinstate_organization,
        _l("%(name)s is reinstated."),
    ),
    # An emergency: out of public view at once, whatever the status (app/services/going_dark.py).
    "delist": (
        ReasonForm,
        going_dark.delist,
        _l("%(name)s is out of public view."),
    ),
    "relist": (
        NoteForm,
        going_dark.relist,
        _l("The delisting of %(name)s is lifted."),
    ),
}


@bp.post(
    "/organizations/<int:organization_id>/<any(approve, reject, suspend, reinstate, delist, relist):decision>"
)
@moderator_required
def decide(organization_id: int, decision: str):
    organization = get_organization(organization_id)
    form_class, service, done = DECISIONS[decision]
    form = form_class()
    if not form.validate_on_submit():
        return _render_organization(organization, 400, **{f"{decision}_form": form})
    try:
        service(current_user, organization, form.reason.data or "")
    except NotAllowed:
        abort(403)
    except DomainError as error:
        form.reason.errors.append(str(error))
        return _render_organization(get_organization(organization_id), 400, **{f"{decision}_form": form})
    flash(str(done) % {"name": organization.name}, "success")
    if decision in ("approve", "reject"):
        return redirect(url_for("moderation.queue"))
    return redirect(url_for("moderation.organization", organization_id=organization.id))


@bp.post("/organizations/<int:organization_id>/name/<any(approve, reject):decision>")
@moderator_required
def decide_name(organization_id: int, decision: str):
    """Approve or refuse the new name an approved organization asked for."""
    organization = get_organization(organization_id)
    form = NoteForm() if decision == "approve" else ReasonForm()
    if not form.validate_on_submit():
        return _render_organization(organization, 400, **{f"{decision}_name_form": form})
    try:
        if decision == "approve":
            moderation_service.approve_name(current_user, organization, form.reason.data or "")
        else:
            moderation_service.reject_name(current_user, organization, form.reason.data or "")
    except NotAllowed:
        abort(403)
    except DomainError as error:
        form.reason.errors.append(str(error))
        organization = get_organization(organization_id)
        return _render_organization(organization, 400, **{f"{decision}_name_form": form})
    # The members hear of it through their notification choices (called by the service).
    if decision == "approve":
        flash(_("%(name)s now carries its new name.", name=organization.name), "success")
    else:
        flash(
            _("The new name of %(name)s is refused; the reason has been sent.", name=organization.name),
            "success",
        )
    return redirect(url_for("moderation.queue"))


@bp.post("/organizations/<int:organization_id>/name/<locale>/<any(approve, reject):decision>")
@moderator_required
def decide_translated_name(organization_id: int, locale: str, decision: str):
    """Approve or refuse the name an approved organization asked for in another language."""
    organization = get_organization(organization_id)
    form = NoteForm() if decision == "approve" else ReasonForm()
    if not form.validate_on_submit():
        return _render_organization(organization, 400, **{f"{decision}_name_form": form})
    try:
        if decision == "approve":
            moderation_service.approve_translated_name(
                current_user, organization, locale, form.reason.data or ""
            )
        else:
            moderation_service.reject_translated_name(
                current_user, organization, locale, form.reason.data or ""
            )
    except NotAllowed:
        abort(403)
    except DomainError as error:
        form.reason.errors.append(str(error))
        organization = get_organization(organization_id)
        return _render_organization(organization, 400, **{f"{decision}_name_form": form})
    if decision == "approve":
        flash(_("%(name)s now carries its new name.", name=organization.name), "success")
    else:
        flash(
            _("The new name of %(name)s is refused; the reason has been sent.", name=organization.name),
            "success",
        )
    return redirect(url_for("moderation.queue"))


def _log_date(name: str, errors: dict[str, str]) -> date | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[name] = _("Give the date as year-month-day, for example 2026-03-21.")
        return None


@bp.get("/log")
@moderator_required
def log():
    """The decision log, filtered by organization (its address name or number, else part of its
    name), decision, moderator and dates; a filter that matches nothing shows an empty log."""
    wanted = request.args.get("organization", "").strip()[:200]
    chosen = None
    if wanted and (parse_id(wanted) is not None or (not looks_like_id(wanted) and slugify(wanted) == wanted)):
        organization_id = parse_id(wanted)
        condition = Organization.slug == wanted
        if organization_id is not None:
            condition = sa.or_(condition, Organization.id == organization_id)
        chosen = db.session.scalar(sa.select(Organization).where(condition))
    action = request.args.get("action", "")
    action = AuditAction(action) if action in {a.value for a in AuditAction} else None
    actor = request.args.get("moderator", "").strip()[:254]
    errors: dict[str, str] = {}
    since, until = _log_date("from", errors), _log_date("to", errors)
    stmt = moderation_service.decision_log_query(
        organization=chosen,
        name="" if chosen is not None else wanted,
        action=action,
        actor=actor,
        since=dates.start_of_day(since) if since else None,
        until=dates.start_of_day(until + timedelta(days=1)) if until else None,
    )
    page = db.paginate(stmt, page=_page(), per_page=current_app.config["PAGE_SIZE"] * 2, error_out=True)
    filtered = bool(wanted or action or actor or since or until)
    return render_template(
        "moderation/log.html",
        page=page,
        chosen=chosen,
        filtered=filtered,
        errors=errors,
        actions=list(AuditAction),
        chosen_action=action.value if action else "",
    ), 400 if errors else 200


@bp.get("/users")
@admin_required
def users():
    query = request.args.get("q", "").strip()[:254]
    role = request.args.get("role", "")
    stmt = sa.select(User).options(selectinload(User.organization))
    if role in {r.value for r in Role}:
        stmt = stmt.where(User.role == role)
    if query:
        stmt = stmt.where(User.email.ilike(f"%{query.lower()}%"))
    page = db.paginate(stmt.order_by(User.email), page=_page(), error_out=True)
    return render_template("moderation/users.html", page=page, query=query, role=role, roles=list(Role))


@bp.post("/users/<int:user_id>/<any(promote, demote):change>")
@admin_required
def change_role(user_id: int, change: str):
    user = db.get_or_404(User, user_id)
    service = moderation_service.promote_user if change == "promote" else moderation_service.demote_user
    try:
        service(current_user, user)
    except DomainError as error:  # NotAllowed included: demoting oneself is refused with a message
        transactions.refused()
        flash(str(error), "error")
        return redirect(url_for("moderation.users"))
    flash(_("%(email)s is now: %(role)s.", email=user.email, role=labels.ROLE(user.role)), "success")
    return redirect(url_for("moderation.users"))
