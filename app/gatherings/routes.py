"""Public pages of gatherings, calendars, and registering (and cancelling) as a participant."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import dates, labels, transactions
from app.gatherings import bp
from app.gatherings.forms import ActionForm, RegisterForm
from app.i18n import current_locale
from app.models import GatheringStatus, PledgeVisibility
from app.models.base import utcnow
from app.services import DomainError, calendars, registrations, translations
from app.services import gatherings as gathering_service

FEED_SIZE = 50


@bp.context_processor
def gathering_labels():
    return {
        "gathering_status_label": labels.GATHERING_STATUS,
        "registration_kind_label": labels.REGISTRATION_KIND,
        "registration_state_label": labels.REGISTRATION_STATE,
        "registration_visibility_label": labels.REGISTRATION_VISIBILITY,
        "zone_name": dates.zone_name,
    }


def _page() -> int:
    return request.args.get("page", 1, type=int)


def gathering_or_404(slug: str):
    gathering = gathering_service.get_gathering(slug, current_user)
    if gathering is None:
        abort(404)
    return gathering


@bp.get("/")
def index():
    gatherings = gathering_service.upcoming_page(page=_page())
    return render_template(
        "gatherings/index.html",
        gatherings=gatherings,
        shown=gathering_service.localized_gatherings(gatherings.items, current_locale()),
        past=False,
    )


@bp.get("/past")
def past():
    gatherings = gathering_service.past_page(page=_page())
    return render_template(
        "gatherings/index.html",
        gatherings=gatherings,
        shown=gathering_service.localized_gatherings(gatherings.items, current_locale()),
        past=True,
    )


def _register_form(gathering, types_open):
    form = RegisterForm()
    form.set_choices(
        types_open, can_register_organization=bool(getattr(current_user, "is_approved_member", False))
    )
    return form


@bp.get("/<slug>")
def detail(slug: str):
    gathering = gathering_or_404(slug)
    return _detail(gathering)


def _detail(gathering, form=None, status=200):
    now = utcnow()
    types = gathering.registration_types
    taken = registrations.places_taken([t.id for t in types])
    types_open = [t for t in types if registrations.registration_open(gathering, t, now)]
    own = registrations.own_registrations(current_user, gathering)
    if form is None and current_user.is_authenticated and types_open:
        form = _register_form(gathering, types_open)
    with dates.force_timezone(gathering.time_zone):
        page = render_template(
            "gatherings/detail.html",
            gathering=gathering_service.localized_gathering(gathering, current_locale()),
            sessions=gathering_service.localized_sessions(gathering.sessions, current_locale()),
            organizers=gathering_service.shown_organizations(gathering, "organizer"),
            supporters=gathering_service.shown_organizations(gathering, "supporter"),
            campaigns=translations.localized_campaigns(
                gathering_service.linked_campaigns(gathering), current_locale()
            ),
            types=types,
            taken=taken,
            types_open=types_open,
            own=own,
            form=form,
            cancel_form=ActionForm(),
            registrants=registrations.named_registrants(gathering, current_user),
            is_past=gathering.ends_at < now,
            may_organize=gathering_service.may_organize(current_user, gathering),
        )
    return page, status


@bp.get("/<slug>/outcome")
def outcome(slug: str):
    gathering = gathering_or_404(slug)
    if gathering.status != GatheringStatus.PUBLISHED or gathering.ends_at >= utcnow():
        abort(404)
    with dates.force_timezone(gathering.time_zone):
        return render_template(
            "gatherings/outcome.html",
            gathering=gathering_service.localized_gathering(gathering, current_locale()),
            campaigns=translations.localized_campaigns(
                gathering_service.linked_campaigns(gathering), current_locale()
            ),
            projects=gathering_service.shown_projects(gathering),
        )


def _ics(body: bytes, name: str) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.ics"'
    return response


@bp.get("/<slug>/calendar.ics")
def gathering_ics(slug: str):
    gathering = gathering_or_404(slug)
    shown = gathering_service.localized_gathering(gathering, current_locale())
    return _ics(calendars.gathering_calendar(shown), gathering.slug)


@bp.get("/<slug>/sessions/<int:gathering_session_id>/calendar.ics")
def session_ics(slug: str, gathering_session_id: int):
    gathering = gathering_or_404(slug)
    session = gathering_service.get_session(gathering, gathering_session_id)
    if session is None:
        abort(404)
    shown = gathering_service.localized_gathering(gathering, current_locale())
    shown_session = gathering_service.localized_session(session, current_locale())
    return _ics(calendars.session_calendar(shown, shown_session), f"{gathering.slug}-session-{session.id}")


@bp.get("/calendar.ics")
def feed_ics():
    shown = gathering_service.localized_gatherings(gathering_service.upcoming(FEED_SIZE), current_locale())
    return _ics(calendars.feed_calendar(shown, _("Gatherings of the network")), "gatherings")


@bp.post("/<slug>/register")
@login_required
def register(slug: str):
    gathering = gathering_or_404(slug)
    now = utcnow()
    types_open = [
        t for t in gathering.registration_types if registrations.registration_open(gathering, t, now)
    ]
    if not types_open:
        abort(409)
    form = _register_form(gathering, types_open)
    if not form.validate_on_submit():
        page, _status = _detail(gathering, form=form)
        return page, 400
    try:
        registration = registrations.register(
            current_user,
            gathering,
            form.registration_type.data,
            as_organization=form.as_organization.data == "organization",
            visibility=PledgeVisibility(form.visibility.data or PledgeVisibility.COUNTED.value),
            needs=form.needs(),
        )
    except DomainError as error:
        transactions.refused()
        flash(str(error), "error")
        return redirect(url_for("gatherings.detail", slug=slug, _anchor="register"))
    flash(labels.REGISTRATION_STATE(registration.state), "success")
    return redirect(url_for("gatherings.detail", slug=slug, _anchor="register"))


@bp.post("/<slug>/registrations/<int:registration_id>/cancel")
@login_required
def cancel_registration(slug: str, registration_id: int):
    gathering = gathering_or_404(slug)
    registration = registrations.get_registration(gathering, registration_id)
    if registration is None or not registrations.may_cancel(current_user, registration):
        abort(404)  # nobody learns whether someone else's registration exists
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        registrations.cancel(current_user, registration)
    except DomainError as error:
        transactions.refused()
        flash(str(error), "error")
    else:
        flash(_("The registration is cancelled."), "success")
    return redirect(url_for("gatherings.detail", slug=slug, _anchor="register"))
