import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload

from app import labels, transactions
from app.access import admin_required, moderator_required
from app.extensions import db
from app.models import AuditEntry, Organization, OrganizationStatus, Role, User
from app.moderation import bp
from app.moderation.forms import NoteForm, ReasonForm
from app.numbers import looks_like_id, parse_id
from app.services import DomainError, NotAllowed, access_log, going_dark, mail
from app.services import moderation as moderation_service
from app.services.text import slugify
from app.transactions import records_views


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
    # The queue shows each application whole, hidden contact details included.
    access_log.record_review(current_user, page.items)
    html = render_template(
        "moderation/queue.html",
        page=page,
        names=names,
        reject_form=ReasonForm(),
        approve_form=NoteForm(),
    )
    return html  # the review is recorded by the request's commit


# New names wait on the queue page, oldest first; more than this is not expected at once.
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
    page = db.paginate(stmt.order_by(Organization.name, Organization.id), page=_page(), error_out=True)
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


# name: (form class, service, mail template, mail subject, success message)
DECISIONS = {
    "approve": (
        NoteForm,
        moderation_service.approve_organization,
        "approved",
        _l("Your organization is approved on Tadamun"),
        _l("%(name)s is approved."),
    ),
    "reject": (
        ReasonForm,
        moderation_service.reject_organization,
        "rejected",
        _l("Your application to Tadamun was not approved"),
        _l("%(name)s is rejected; the reason has been sent."),
    ),
    "suspend": (
        ReasonForm,
        moderation_service.suspend_organization,
        "suspended",
        _l("Your organization is suspended on Tadamun"),
        _l("%(name)s is suspended."),
    ),
    "reinstate": (
        NoteForm,
        moderation_service.reinstate_organization,
        "reinstated",
        _l("Your organization is reinstated on Tadamun"),
        _l("%(name)s is reinstated."),
    ),
    # An emergency: out of public view at once, whatever the status (app/services/going_dark.py).
    "delist": (
        ReasonForm,
        going_dark.delist,
        "organization_delisted",
        going_dark.MEMBER_SUBJECTS["delisted"],
        _l("%(name)s is out of public view."),
    ),
    "relist": (
        NoteForm,
        going_dark.relist,
        "organization_relisted",
        going_dark.MEMBER_SUBJECTS["relisted"],
        _l("The delisting of %(name)s is lifted."),
    ),
}


@bp.post(
    "/organizations/<int:organization_id>/<any(approve, reject, suspend, reinstate, delist, relist):decision>"
)
@moderator_required
def decide(organization_id: int, decision: str):
    organization = get_organization(organization_id)
    form_class, service, template, subject, done = DECISIONS[decision]
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
    mail.send_decision(organization, template, subject, reason=(form.reason.data or "").strip())
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
    asked_for = organization.proposed_name
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
    if decision == "approve":
        mail.send_decision(organization, "name_approved", _l("Your organization's new name is approved"))
        flash(_("%(name)s now carries its new name.", name=organization.name), "success")
    else:
        mail.send_decision(
            organization,
            "name_rejected",
            _l("Your organization's new name was not approved"),
            refused_name=asked_for,
            reason=form.reason.data.strip(),
        )
        flash(
            _("The new name of %(name)s is refused; the reason has been sent.", name=organization.name),
            "success",
        )
    return redirect(url_for("moderation.queue"))


@bp.get("/log")
@moderator_required
def log():
    stmt = sa.select(AuditEntry).options(selectinload(AuditEntry.organization))
    chosen = None
    wanted = request.args.get("organization", "")
    if wanted:
        organization_id = parse_id(wanted)
        if organization_id is None and (looks_like_id(wanted) or slugify(wanted) != wanted):
            abort(400)  # neither an id (out of range, signed, other digits) nor a slug we could make
        condition = Organization.slug == wanted
        if organization_id is not None:
            condition = sa.or_(condition, Organization.id == organization_id)
        chosen = db.session.scalar(sa.select(Organization).where(condition))
        if chosen is None:
            abort(404)
        stmt = stmt.where(AuditEntry.organization_id == chosen.id)
    stmt = stmt.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    page = db.paginate(stmt, page=_page(), per_page=current_app.config["PAGE_SIZE"] * 2, error_out=True)
    return render_template("moderation/log.html", page=page, chosen=chosen)


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
