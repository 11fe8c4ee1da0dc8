"""Introductions with double opt-in: ask, answer (accept, decline, block, report), read.

The organization acting is always the logged-in member's own; a request it did not receive
answers 404 to every answering route.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import transactions
from app.access import member_required, moderator_required, rate_limited
from app.services import DomainError, directory, introductions
from app.solidarity import bp
from app.solidarity.forms import CONTACT_LABELS, AcceptForm, AskForm, ReportForm, contact_choices
from app.solidarity.routes import _refuse_unapproved


@bp.route("/introductions/ask/<org>", methods=["GET", "POST"])
@member_required
@rate_limited
def ask_introduction(org: str):
    if (refusal := _refuse_unapproved()) is not None:
        return refusal
    recipient = directory.get_organization(org)
    if recipient is None or recipient.id == current_user.organization_id:
        abort(404)
    form = AskForm()
    form.fields.choices = contact_choices(introductions.shareable_fields(current_user.organization))
    if form.validate_on_submit():
        try:
            introductions.ask(current_user, recipient, form.message.data, form.fields.data)
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            flash(_("Your request is sent. You will see the answer on this page."), "success")
            return redirect(url_for("solidarity.introductions"))
    return render_template("solidarity/ask.html", form=form, recipient=recipient), (
        400 if form.is_submitted() else 200
    )


@bp.get("/introductions", endpoint="introductions")
@member_required
def introductions_page():
    if (refusal := _refuse_unapproved()) is not None:
        return refusal
    incoming, outgoing = introductions.member_introductions(current_user.organization)
    accept_form = AcceptForm()
    accept_form.fields.choices = contact_choices(introductions.shareable_fields(current_user.organization))
    return render_template(
        "solidarity/introductions.html",
        incoming=incoming,
        outgoing=outgoing,
        accept_form=accept_form,
        report_form=ReportForm(),
        contact_labels=CONTACT_LABELS,
    )


def _answer(introduction_id: int, action, form=None):
    """Refuse members of unapproved organizations, answer 404 to any other organization than
    the recipient, 400 to a form with errors; then act."""
    if (refusal := _refuse_unapproved()) is not None:
        return refusal
    if not introductions.received(current_user, introduction_id):
        abort(404)
    if form is not None and not form.validate_on_submit():
        abort(400)
    try:
        action()
    except LookupError:
        abort(404)
    except DomainError as error:
        transactions.refused()
        flash(str(error), "error")
    return redirect(url_for("solidarity.introductions"))


@bp.post("/introductions/<int:introduction_id>/accept")
@member_required
def accept_introduction(introduction_id: int):
    form = AcceptForm()
    form.fields.choices = contact_choices(introductions.shareable_fields(current_user.organization))

    def action():
        introductions.accept(current_user, introduction_id, form.fields.data)
        flash(_("Accepted: you can now see each other's shared contact details."), "success")

    return _answer(introduction_id, action, form)


@bp.post("/introductions/<int:introduction_id>/decline")
@member_required
def decline_introduction(introduction_id: int):
    def action():
        introductions.decline(current_user, introduction_id)
        flash(_("Declined. They are told only “not now”."), "success")

    return _answer(introduction_id, action)


@bp.post("/introductions/<int:introduction_id>/block")
@member_required
def block_requester(introduction_id: int):
    def action():
        introductions.decline(current_user, introduction_id, block=True)
        flash(_("Declined, and your organization will receive no more requests from this one."), "success")

    return _answer(introduction_id, action)


@bp.post("/introductions/<int:introduction_id>/report")
@member_required
def report_introduction(introduction_id: int):
    form = ReportForm()

    def action():
        introductions.report(current_user, introduction_id, form.reason.data)
        flash(_("Reported to the moderators, and declined."), "success")

    return _answer(introduction_id, action, form)


@bp.get("/reports")
@moderator_required
def reports():
    page = introductions.reports_page(request.args.get("page", 1, type=int))
    return render_template("solidarity/reports.html", reports=page)
