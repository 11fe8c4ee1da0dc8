"""Co-sponsorship of projects: the project's organization invites; the invited one answers."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import transactions
from app.access import member_required, rate_limited
from app.models import CosponsorStatus
from app.services import DomainError, cosponsors
from app.solidarity import bp
from app.solidarity.forms import CosponsorInviteForm
from app.solidarity.routes import _refuse_unapproved


@bp.route("/projects/<int:project_id>/cosponsors", methods=["GET", "POST"])
@member_required
@rate_limited
def project_cosponsors(project_id: int):
    project = cosponsors.own_project(current_user, project_id)
    if project is None:
        abort(404)
    if (refusal := _refuse_unapproved()) is not None:
        return refusal
    form = CosponsorInviteForm()
    if form.validate_on_submit():
        try:
            cosponsors.invite(current_user, project, form.organization.data)
        except DomainError as error:
            form.organization.errors.append(str(error))
        else:
            flash(_("The invitation is sent."), "success")
            return redirect(url_for("solidarity.project_cosponsors", project_id=project.id))
    return render_template(
        "solidarity/project_cosponsors.html",
        project=project,
        form=form,
        invitations=cosponsors.invited_by_project(project),
    ), (400 if form.is_submitted() else 200)


@bp.post("/projects/<int:project_id>/cosponsors/<int:organization_id>/remove")
@member_required
def remove_cosponsor(project_id: int, organization_id: int):
    """The project's organization takes a co-sponsor (or an open invitation) off its project."""
    project = cosponsors.own_project(current_user, project_id)
    if project is None:
        abort(404)
    if (refusal := _refuse_unapproved()) is not None:
        return refusal
    try:
        row = cosponsors.remove(current_user, project, organization_id)
    except LookupError:
        abort(404)
    except DomainError as error:
        transactions.refused()  # answered with a redirect and the message
        flash(str(error), "error")
    else:
        name = row.organization.name
        if row.status == CosponsorStatus.ACCEPTED:
            flash(_("%(organization)s no longer co-sponsors this project.", organization=name), "success")
        else:
            flash(_("The invitation to %(organization)s is withdrawn.", organization=name), "success")
    return redirect(url_for("solidarity.project_cosponsors", project_id=project.id))


@bp.get("/cosponsorships")
@member_required
def cosponsorships():
    if (refusal := _refuse_unapproved()) is not None:
        return refusal
    return render_template(
        "solidarity/cosponsorships.html", invitations=cosponsors.invitations(current_user.organization)
    )


def _answer(project_id: int, action, done: str):
    if (refusal := _refuse_unapproved()) is not None:
        return refusal
    try:
        action()
    except LookupError:
        abort(404)
    except DomainError as error:
        transactions.refused()
        flash(str(error), "error")
    else:
        flash(done, "success")
    return redirect(url_for("solidarity.cosponsorships"))


@bp.post("/cosponsorships/<int:project_id>/accept")
@member_required
def accept_cosponsorship(project_id: int):
    return _answer(
        project_id,
        lambda: cosponsors.answer(current_user, project_id, True),
        _("You co-sponsor this project now."),
    )


@bp.post("/cosponsorships/<int:project_id>/decline")
@member_required
def decline_cosponsorship(project_id: int):
    return _answer(project_id, lambda: cosponsors.answer(current_user, project_id, False), _("Declined."))


@bp.post("/cosponsorships/<int:project_id>/withdraw")
@member_required
def withdraw_cosponsorship(project_id: int):
    return _answer(
        project_id,
        lambda: cosponsors.withdraw(current_user, project_id),
        _("Your organization no longer co-sponsors this project."),
    )
