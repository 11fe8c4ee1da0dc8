"""Moderators curate campaigns and hide content that breaks the rules (with a reason).

Every decision goes through a service that records it in the audit log; the request commits once.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from app import transactions
from app.access import moderator_required
from app.extensions import db
from app.models import Campaign, Pledge, Project
from app.moderation import bp
from app.moderation.curation_forms import CampaignForm, HideForm
from app.services import DomainError, moderation_content
from app.services import campaigns as campaign_service
from app.urls import is_safe_redirect_target


def _page() -> int:
    return request.args.get("page", 1, type=int)


def _campaign_or_404(campaign_id: int) -> Campaign:
    return db.get_or_404(Campaign, campaign_id)


def _back(default: str) -> str:
    target = request.form.get("next") or request.args.get("next")
    return target if is_safe_redirect_target(target) else default


# --- Campaigns -----------------------------------------------------------------------------


@bp.get("/campaigns/")
@moderator_required
def campaigns():
    page = campaign_service.campaigns_for_curation(page=_page())
    return render_template("moderation/campaigns/index.html", page=page)


@bp.route("/campaigns/new", methods=["GET", "POST"])
@moderator_required
def new_campaign():
    form = CampaignForm()
    if form.validate_on_submit():
        try:
            campaign = campaign_service.create_campaign(current_user, **form.service_fields())
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            flash(_("The campaign “%(title)s” has been created.", title=campaign.title), "success")
            return redirect(url_for("moderation.campaigns"))
    status = 400 if form.is_submitted() else 200
    return render_template("moderation/campaigns/form.html", form=form, campaign=None), status


@bp.route("/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
@moderator_required
def edit_campaign(campaign_id: int):
    campaign = _campaign_or_404(campaign_id)
    form = CampaignForm(obj=campaign)
    if form.validate_on_submit():
        try:
            campaign_service.update_campaign(campaign, current_user, **form.service_fields())
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            flash(_("The campaign has been saved."), "success")
            return redirect(url_for("moderation.campaigns"))
    status = 400 if form.is_submitted() else 200
    return render_template("moderation/campaigns/form.html", form=form, campaign=campaign), status


@bp.post("/campaigns/<int:campaign_id>/<any(archive, reactivate):action>")
@moderator_required
def change_campaign_status(campaign_id: int, action: str):
    campaign = _campaign_or_404(campaign_id)
    change = (
        campaign_service.archive_campaign if action == "archive" else campaign_service.reactivate_campaign
    )
    try:
        change(campaign, current_user, reason=request.form.get("reason", "")[:1000])
    except DomainError as error:
        transactions.refused()  # answered with a redirect and the message
        flash(str(error), "error")
    else:
        if action == "archive":
            flash(_("“%(title)s” is archived: it takes no new pledges.", title=campaign.title), "success")
        else:
            flash(_("“%(title)s” is active again.", title=campaign.title), "success")
    return redirect(url_for("moderation.campaigns"))


# --- Hiding content ------------------------------------------------------------------------

CONTENT_PAGE_SIZE = 20


@bp.get("/content/")
@moderator_required
def content():
    """Pledge messages (newest first) and projects, each with a way to hide or show it again."""
    show = request.args.get("show", "messages")
    if show == "projects":
        stmt = (
            sa.select(Project)
            .options(joinedload(Project.organization))
            .order_by(Project.hidden_at.is_(None), Project.created_at.desc(), Project.id.desc())
        )
    else:
        show = "messages"
        stmt = (
            sa.select(Pledge)
            .options(joinedload(Pledge.organization), joinedload(Pledge.campaign))
            .where(Pledge.message != "", Pledge.withdrawn_at.is_(None))
            .order_by(Pledge.created_at.desc(), Pledge.id.desc())
        )
    page = db.paginate(stmt, page=_page(), per_page=CONTENT_PAGE_SIZE, error_out=True)
    return render_template("moderation/content/index.html", page=page, show=show)


def _hide(kind: str, obj, hide, back: str):
    form = HideForm()
    if form.validate_on_submit():
        try:
            hide(obj, current_user, form.reason.data)
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            flash(_("Hidden. The organization sees your reason on its dashboard and by mail."), "success")
            return redirect(_back(back))
    status = 400 if form.is_submitted() else 200
    return render_template("moderation/content/hide.html", form=form, kind=kind, item=obj), status


def _unhide(obj, unhide, back: str):
    try:
        unhide(obj, current_user, request.form.get("reason", "")[:1000])
    except DomainError as error:
        transactions.refused()  # answered with a redirect and the message
        flash(str(error), "error")
    else:
        flash(_("Shown again."), "success")
    return redirect(_back(back))


@bp.route("/projects/<int:project_id>/hide", methods=["GET", "POST"])
@moderator_required
def hide_project(project_id: int):
    project = db.get_or_404(Project, project_id)
    return _hide(
        "project", project, moderation_content.hide_project, url_for("moderation.content", show="projects")
    )


@bp.post("/projects/<int:project_id>/unhide")
@moderator_required
def unhide_project(project_id: int):
    project = db.get_or_404(Project, project_id)
    return _unhide(project, moderation_content.unhide_project, url_for("moderation.content", show="projects"))


@bp.route("/pledges/<int:pledge_id>/hide", methods=["GET", "POST"])
@moderator_required
def hide_pledge_message(pledge_id: int):
    pledge = db.get_or_404(Pledge, pledge_id)
    return _hide("pledge", pledge, moderation_content.hide_pledge_message, url_for("moderation.content"))


@bp.post("/pledges/<int:pledge_id>/unhide")
@moderator_required
def unhide_pledge_message(pledge_id: int):
    pledge = db.get_or_404(Pledge, pledge_id)
    return _unhide(pledge, moderation_content.unhide_pledge_message, url_for("moderation.content"))


@bp.post("/projects/<int:project_id>/review/decline")
@moderator_required
def decline_review(project_id: int):
    """Keep a project hidden after its organization asked for a review (with a reason)."""
    project = db.get_or_404(Project, project_id)
    form = HideForm()
    if form.validate_on_submit():
        try:
            moderation_content.decline_review(project, current_user, form.reason.data)
        except DomainError as error:
            transactions.refused()  # answered with a redirect
            flash(str(error), "error")
        else:
            flash(_("The project stays hidden; the reason has been sent."), "success")
    else:
        flash(_("Say why the project stays hidden."), "error")
    return redirect(url_for("moderation.queue", _anchor="reviews"))
