"""The organizers' tools: create, edit, translate, publish or cancel a gathering; its programme
and registration types; its registrants with their needs, messages, export and attendance.

Every view is behind ``organizer_required`` (logged in; moderators with their second factor),
then asks ``gatherings.may_organize`` for the gathering (``_organized``), or for a new one: 403
when not allowed. Every service it calls asks it again.
"""

from __future__ import annotations

from functools import wraps

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import dates, transactions
from app.access import logged_in_required
from app.gatherings import bp
from app.gatherings.forms import (
    ActionForm,
    AttendanceForm,
    CancelGatheringForm,
    GatheringForm,
    MessageForm,
    RegistrationTypeForm,
    session_form_class,
    translation_form,
)
from app.gatherings.routes import _page, gathering_or_404
from app.i18n import current_locale
from app.models import RegistrationKind
from app.services import DomainError, directory, registrations, translations
from app.services import gatherings as gathering_service
from app.services.coordinators import coordinated_campaigns
from app.templating import LANGUAGE_NAMES


def organizer_required(view):
    """Logged in (moderators with their second factor), and may organize some gathering
    (moderators, campaign coordinators): 403 otherwise. Views of one gathering ask again for it
    through ``_organized``."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not gathering_service.may_organize(current_user, None):
            abort(403)
        return view(*args, **kwargs)

    return logged_in_required(wrapped)


def _organized(slug: str):
    """The gathering at ``slug`` if the user may organize it: 404 if they may not see it, 403
    if they may see it but not organize it."""
    gathering = gathering_or_404(slug)
    if not gathering_service.may_organize(current_user, gathering):
        abort(403)
    return gathering


def _gathering_form(gathering=None) -> GatheringForm:
    if gathering is not None:
        form = GatheringForm(
            obj=gathering,
            starts_at=gathering_service.in_zone(gathering.starts_at, gathering.time_zone),
            ends_at=gathering_service.in_zone(gathering.ends_at, gathering.time_zone),
            campaigns=[link.campaign_id for link in gathering.campaign_links],
            organizers=[link.organization_id for link in gathering.organizations if link.role == "organizer"],
            supporters=[link.organization_id for link in gathering.organizations if link.role == "supporter"],
            projects=[link.project_id for link in gathering.project_links],
        )
    else:
        form = GatheringForm()
    # A coordinator who is not a moderator links only the campaigns they coordinate.
    choices = directory.all_campaigns() if current_user.is_moderator else coordinated_campaigns(current_user)
    campaigns = translations.localized_campaigns(choices, current_locale())
    form.set_choices(
        campaigns,
        gathering_service.organization_choices(),
        gathering_service.project_choices(),
        dates.all_zones(),
    )
    if not form.is_submitted() and gathering is None:
        form.time_zone.data = "Asia/Baghdad"
    return form


@bp.get("/manage")
@organizer_required
def manage_index():
    return render_template(
        "gatherings/manage/index.html", gatherings=gathering_service.all_page(current_user, _page())
    )


@bp.route("/new", methods=["GET", "POST"])
@organizer_required
def new():
    form = _gathering_form()
    if form.validate_on_submit():
        try:
            gathering = gathering_service.create_gathering(current_user, form.fields())
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            flash(_("The gathering is saved as a draft."), "success")
            return redirect(url_for("gatherings.manage", slug=gathering.slug))
    status = 400 if form.is_submitted() else 200
    return render_template("gatherings/manage/form.html", form=form, gathering=None), status


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@organizer_required
def edit(slug: str):
    gathering = _organized(slug)
    form = _gathering_form(gathering)
    if form.validate_on_submit():
        try:
            gathering_service.update_gathering(current_user, gathering, form.fields())
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            flash(_("The gathering is saved."), "success")
            return redirect(url_for("gatherings.manage", slug=gathering.slug))
    status = 400 if form.is_submitted() else 200
    return render_template("gatherings/manage/form.html", form=form, gathering=gathering), status


@bp.route("/<slug>/translations/<locale>", methods=["GET", "POST"])
@organizer_required
def translation(slug: str, locale: str):
    gathering = _organized(slug)
    if locale not in gathering_service.translation_locales():
        abort(404)
    form = translation_form(gathering, locale)
    if form.validate_on_submit():
        try:
            gathering_service.save_translation(
                current_user, gathering, locale, form.texts(), form.session_texts()
            )
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            flash(_("The translation is saved."), "success")
            return redirect(url_for("gatherings.manage", slug=gathering.slug))
    status = 400 if form.is_submitted() else 200
    return (
        render_template(
            "gatherings/manage/translation.html",
            form=form,
            gathering=gathering,
            locale=locale,
            language_name=LANGUAGE_NAMES.get(locale, locale),
        ),
        status,
    )


def _session_form():
    form = session_form_class(tuple(gathering_service.translation_locales()))()
    form.set_choices(LANGUAGE_NAMES)
    return form


def _manage_page(gathering, *, session_form=None, type_form=None, status=200):
    with dates.force_timezone(gathering.time_zone):
        page = render_template(
            "gatherings/manage/overview.html",
            gathering=gathering,
            session_form=session_form or _session_form(),
            type_form=type_form or RegistrationTypeForm(),
            action_form=ActionForm(),
            cancel_form=CancelGatheringForm(),
            taken=registrations.places_taken([t.id for t in gathering.registration_types]),
            locales=gathering_service.translation_locales(),
            language_names=LANGUAGE_NAMES,
        )
    return page, status


@bp.get("/<slug>/manage")
@organizer_required
def manage(slug: str):
    return _manage_page(_organized(slug))


@bp.post("/<slug>/publish")
@organizer_required
def publish(slug: str):
    gathering = _organized(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    gathering_service.publish(current_user, gathering)
    flash(_("The gathering is published."), "success")
    return redirect(url_for("gatherings.manage", slug=slug))


@bp.post("/<slug>/cancel")
@organizer_required
def cancel(slug: str):
    gathering = _organized(slug)
    form = CancelGatheringForm()
    if not form.validate_on_submit():
        abort(400)
    gathering_service.cancel(current_user, gathering, form.reason.data or "")
    flash(_("The gathering is cancelled; its registrants are told."), "success")
    return redirect(url_for("gatherings.manage", slug=slug))


@bp.post("/<slug>/sessions")
@organizer_required
def add_session(slug: str):
    gathering = _organized(slug)
    form = _session_form()
    if form.validate_on_submit():
        try:
            gathering_service.add_session(
                current_user,
                gathering,
                title=form.title.data,
                starts_at=form.starts_at.data,
                ends_at=form.ends_at.data,
                room=form.room.data or "",
                speakers=form.speakers.data or "",
                language=form.language.data,
                interpretation=form.interpretation.data or [],
                translations=form.translations(),
            )
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            flash(_("The session is added to the programme."), "success")
            return redirect(url_for("gatherings.manage", slug=slug, _anchor="programme"))
    return _manage_page(gathering, session_form=form, status=400)


@bp.post("/<slug>/sessions/<int:gathering_session_id>/remove")
@organizer_required
def remove_session(slug: str, gathering_session_id: int):
    gathering = _organized(slug)
    session = gathering_service.get_session(gathering, gathering_session_id)
    if session is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    gathering_service.remove_session(current_user, session)
    flash(_("The session is removed from the programme."), "success")
    return redirect(url_for("gatherings.manage", slug=slug, _anchor="programme"))


@bp.post("/<slug>/types")
@organizer_required
def set_type(slug: str):
    gathering = _organized(slug)
    form = RegistrationTypeForm()
    if form.validate_on_submit():
        try:
            registrations.set_registration_type(
                current_user,
                gathering,
                RegistrationKind(form.kind.data),
                capacity=form.capacity.data,
                deadline=form.deadline.data,
                requires_approval=form.requires_approval.data,
            )
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            flash(_("The registration type is saved."), "success")
            return redirect(url_for("gatherings.manage", slug=slug, _anchor="registration"))
    return _manage_page(gathering, type_form=form, status=400)


@bp.get("/<slug>/registrants")
@organizer_required
def registrants(slug: str):
    gathering = _organized(slug)
    return render_template(
        "gatherings/manage/registrants.html",
        gathering=gathering,
        registrations=registrations.registrants_for_organizer(current_user, gathering),
        action_form=ActionForm(),
        attendance_form=AttendanceForm(),
    )


@bp.get("/<slug>/registrants.csv")
@organizer_required
def export(slug: str):
    gathering = _organized(slug)
    body = registrations.export_csv(current_user, gathering)
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{gathering.slug}-registrants.csv"'
    # Needs of named people: never kept by a shared cache.
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/<slug>/registrants/<int:registration_id>/<any(approve, decline):decision>")
@organizer_required
def decide(slug: str, registration_id: int, decision: str):
    gathering = _organized(slug)
    registration = registrations.get_registration(gathering, registration_id)
    if registration is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        registrations.decide(current_user, registration, approve=decision == "approve")
    except DomainError as error:
        transactions.refused()
        flash(str(error), "error")
    else:
        flash(_("The registrant is told of your decision."), "success")
    return redirect(url_for("gatherings.registrants", slug=slug))


@bp.post("/<slug>/registrants/<int:registration_id>/attendance")
@organizer_required
def attendance(slug: str, registration_id: int):
    gathering = _organized(slug)
    registration = registrations.get_registration(gathering, registration_id)
    if registration is None:
        abort(404)
    form = AttendanceForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        registrations.mark_attendance(current_user, registration, form.attended.data)
    except DomainError as error:
        transactions.refused()
        flash(str(error), "error")
    return redirect(url_for("gatherings.registrants", slug=slug))


@bp.route("/<slug>/message", methods=["GET", "POST"])
@organizer_required
def message(slug: str):
    gathering = _organized(slug)
    form = MessageForm()
    if form.validate_on_submit():
        try:
            sent = registrations.message_registrants(
                current_user, gathering, form.subject.data, form.body.data, waiting_too=form.waiting_too.data
            )
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            flash(_("Your message is on its way to %(n)d registrants.", n=sent), "success")
            return redirect(url_for("gatherings.registrants", slug=slug))
    status = 400 if form.is_submitted() else 200
    return render_template("gatherings/manage/message.html", form=form, gathering=gathering), status
