"""Moderators name the member organizations that coordinate a campaign, and remove them."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app import transactions
from app.access import moderator_required
from app.extensions import db
from app.models import Campaign, Organization
from app.services import DomainError
from app.services import coordinators as coordinator_service
from app.updates import bp
from app.updates.forms import CoordinatorForm


def _campaign_or_404(campaign_id: int) -> Campaign:
    return db.get_or_404(Campaign, campaign_id)


@bp.route("/moderation/campaigns/<int:campaign_id>/coordinators", methods=["GET", "POST"])
@moderator_required
def coordinators(campaign_id: int):
    campaign = _campaign_or_404(campaign_id)
    data = coordinator_service.coordinators_page_data(campaign)
    form = CoordinatorForm()
    form.organization_id.choices = [SelectChoice(str(o.id), o.name) for o in data["candidates"]]
    if form.validate_on_submit():
        organization = db.session.get(Organization, int(form.organization_id.data))
        if organization is None:
            abort(404)
        try:
            coordinator_service.name_coordinator(campaign, organization, current_user)
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            flash(
                _("%(organization)s now coordinates this campaign.", organization=organization.name),
                "success",
            )
            return redirect(url_for("updates.coordinators", campaign_id=campaign.id))
    status = 400 if form.is_submitted() else 200
    return render_template("updates/coordinators.html", campaign=campaign, form=form, **data), status


@bp.post("/moderation/campaigns/<int:campaign_id>/coordinators/<int:organization_id>/remove")
@moderator_required
def remove_coordinator(campaign_id: int, organization_id: int):
    campaign = _campaign_or_404(campaign_id)
    try:
        coordinator_service.remove_coordinator(campaign, organization_id, current_user)
    except DomainError as error:
        transactions.refused()  # answered with a redirect and the message
        flash(str(error), "error")
    else:
        flash(_("The organization no longer coordinates this campaign."), "success")
    return redirect(url_for("updates.coordinators", campaign_id=campaign.id))
