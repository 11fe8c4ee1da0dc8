"""Joint statements: a coordinator publishes; approved organizations sign, named or counted."""

from __future__ import annotations

from datetime import UTC

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import transactions
from app.access import member_required
from app.i18n import current_locale
from app.services import DomainError, NotAllowed, directory, statements
from app.solidarity import bp
from app.solidarity.forms import RevisionForm, SignForm, StatementForm


def _statement_or_404(statement_id: int):
    statement = statements.get_statement(statement_id)
    if statement is None:
        abort(404)
    return statement


@bp.route("/campaigns/<slug>/statements/new", methods=["GET", "POST"])
@login_required  # the campaign's coordinators (statements.may_coordinate), checked below
def new_statement(slug: str):
    campaign = directory.get_campaign(slug)
    if campaign is None:
        abort(404)
    if not statements.may_coordinate(current_user, campaign):
        abort(403)
    form = StatementForm()
    if form.validate_on_submit():
        try:
            statement = statements.publish(
                current_user,
                campaign,
                deadline=form.deadline.data.replace(tzinfo=UTC),
                allow_counted=form.allow_counted.data,
                texts=form.texts(),
            )
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            flash(_("The statement is published."), "success")
            return redirect(url_for("solidarity.statement", statement_id=statement.id))
    return render_template("solidarity/statement_form.html", form=form, campaign=campaign), (
        400 if form.is_submitted() else 200
    )


@bp.get("/campaigns/<slug>/statements")
def campaign_statements(slug: str):
    campaign = directory.get_campaign(slug)
    if campaign is None:
        abort(404)
    listed = statements.campaign_statements(campaign)
    return render_template(
        "solidarity/statements.html",
        campaign=campaign,
        statements=listed,
        titles=statements.titles_in(listed, current_locale()),
        may_publish=statements.may_coordinate(current_user, campaign),
    )


@bp.get("/statements/<int:statement_id>")
def statement(statement_id: int):
    item = _statement_or_404(statement_id)
    own = None
    if current_user.is_authenticated and current_user.is_approved_member:
        own = statements.active_signature(item, current_user.organization)
    return render_template(
        "solidarity/statement.html",
        statement=item,
        text=statements.text_in(item, current_locale()),
        people=statements.signatories(item),
        frozen=statements.is_frozen(item),
        own=own,
        signed=statements.signed_text(item, own, current_locale()),
        may_revise=statements.may_coordinate(current_user, item.campaign),
        form=SignForm(),
    )


@bp.route("/statements/<int:statement_id>/revise", methods=["GET", "POST"])
@login_required  # the campaign's coordinators (statements.may_coordinate), checked below
def revise_statement(statement_id: int):
    item = _statement_or_404(statement_id)
    if not statements.may_coordinate(current_user, item.campaign):
        abort(403)
    if statements.is_frozen(item):
        raise DomainError(_("The deadline has passed: the statement is frozen."))
    form = RevisionForm()
    if not form.is_submitted():
        form.fill_from(statements.texts_of(item))
    if form.validate_on_submit():
        try:
            statements.revise(current_user, item, form.texts())
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            flash(_("The new version is published; signatories see that the text changed."), "success")
            return redirect(url_for("solidarity.statement", statement_id=item.id))
    return render_template(
        "solidarity/statement_revise.html",
        form=form,
        statement=item,
        text=statements.text_in(item, current_locale()),
    ), (400 if form.is_submitted() else 200)


def _act(statement_id: int, action) -> Response:
    item = _statement_or_404(statement_id)
    try:
        action(item)
    except NotAllowed:
        raise  # 403, through the one error renderer
    except DomainError as error:
        transactions.refused()
        flash(str(error), "error")
    return redirect(url_for("solidarity.statement", statement_id=item.id))


@bp.post("/statements/<int:statement_id>/sign")
@member_required
def sign_statement(statement_id: int):
    form = SignForm()
    if not form.validate_on_submit():
        abort(400)

    def action(item):
        statements.sign(current_user, item, named=form.how.data == "named")
        flash(_("Your organization has signed."), "success")

    return _act(statement_id, action)


@bp.post("/statements/<int:statement_id>/withdraw")
@member_required
def withdraw_signature(statement_id: int):
    def action(item):
        statements.withdraw(current_user, item)
        flash(_("Your organization's signature is withdrawn."), "success")

    return _act(statement_id, action)


@bp.get("/statements/<int:statement_id>/statement.pdf")
def statement_pdf(statement_id: int):
    item = _statement_or_404(statement_id)
    if not statements.is_frozen(item):
        abort(404)
    return Response(statements.statement_pdf(item, current_locale()), mimetype="application/pdf")


@bp.get("/statements/<int:statement_id>/signatories.csv")
def statement_csv(statement_id: int):
    item = _statement_or_404(statement_id)
    if not statements.is_frozen(item):
        abort(404)
    return Response(
        statements.signatories_csv(item),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=statement-{item.id}-signatories.csv"},
    )
