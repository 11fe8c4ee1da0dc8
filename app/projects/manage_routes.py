"""A member organization manages its own projects: create, edit (with campaign links), delete.

Another organization's project answers 404 on every route, whatever the URL or form says;
the owner is always the logged-in member's organization, never a form field.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import transactions
from app.access import member_required
from app.models import Project
from app.projects import bp
from app.projects.forms import ProjectForm
from app.services import DomainError, moderation_content
from app.services import projects as project_service


def _own_project_or_404(project_id: int) -> Project:
    project = project_service.project_for_owner(project_id, current_user)
    if project is None:
        abort(404)
    return project


def _form_page(form: ProjectForm, project: Project | None) -> dict:
    """What the project form shows: next to each campaign, whether the pledge to it is public."""
    return {
        "form": form,
        "project": project,
        "publicly_pledged": project_service.publicly_pledged_campaign_ids(current_user.organization_id),
    }


def _refuse_unapproved():
    """Members of organizations not (yet) approved are told why, and sent to their dashboard."""
    if not current_user.is_approved_member:
        flash(_("Your organization can create projects once a moderator has approved it."), "warning")
        return redirect(url_for("account.dashboard"))
    return None


@bp.route("/new", methods=["GET", "POST"])
@member_required
def new():
    if (refusal := _refuse_unapproved()) is not None:
        return refusal
    form = ProjectForm()
    form.set_campaign_choices(project_service.linkable_campaigns())
    if not form.is_submitted():
        form.public_campaigns.data = sorted(
            project_service.initially_public_campaign_ids(current_user.organization)
        )
    if form.validate_on_submit():
        try:
            project = project_service.create_project(current_user, **form.service_fields())
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            flash(_("The project “%(title)s” has been created.", title=project.title), "success")
            return redirect(url_for("account.dashboard"))
    status = 400 if form.is_submitted() else 200
    return render_template("projects/manage/form.html", **_form_page(form, None)), status


@bp.route("/<int:project_id>/edit", methods=["GET", "POST"])
@member_required
def edit(project_id: int):
    project = _own_project_or_404(project_id)
    if (refusal := _refuse_unapproved()) is not None:
        return refusal
    form = ProjectForm(obj=project)
    form.set_campaign_choices(project_service.linkable_campaigns(project))
    if not form.is_submitted():
        form.campaigns.data = [c.id for c in project.campaigns]
        form.public_campaigns.data = sorted(
            project_service.initially_public_campaign_ids(current_user.organization, project)
        )
    if form.validate_on_submit():
        try:
            project_service.update_project(project, current_user, **form.service_fields())
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            flash(_("The project has been saved."), "success")
            return redirect(url_for("account.dashboard"))
    status = 400 if form.is_submitted() else 200
    return render_template("projects/manage/form.html", **_form_page(form, project)), status


@bp.post("/<int:project_id>/delete")
@member_required
def delete(project_id: int):
    project = _own_project_or_404(project_id)
    title = project.title
    project_service.delete_project(project, current_user)
    flash(_("The project “%(title)s” has been deleted.", title=title), "success")
    return redirect(url_for("account.dashboard"))


@bp.post("/<int:project_id>/review")
@member_required
def request_review(project_id: int):
    """Ask a moderator to look again at the organization's own hidden project."""
    project = _own_project_or_404(project_id)
    try:
        moderation_content.request_review(project, current_user, request.form.get("note", ""))
    except DomainError as error:
        transactions.refused()  # answered with a redirect
        flash(str(error), "error")
    else:
        flash(
            _("A moderator will look at the project again; you will get a mail with the answer."), "success"
        )
    return redirect(url_for("projects.edit", project_id=project.id, _anchor="review"))
