"""Pledging support on a campaign page: pledge, change, withdraw.

Every state change is a POST with CSRF, authorized by the pledge service (the
organization must be the user's own and approved); the request commits once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from flask import abort, flash, get_flashed_messages, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.access import member_required
from app.campaigns import bp
from app.campaigns.forms import PledgeForm
from app.i18n import current_locale
from app.models import Campaign, Pledge
from app.services import DomainError, NotAllowed, directory
from app.services import pledges as pledge_service
from app.services.directory import CampaignRef
from app.services.translations import localized_campaign
from app.services.updates import Reader


def _campaign_or_404(slug: str) -> Campaign:
    campaign = directory.get_campaign(slug)
    if campaign is None:
        abort(404)
    return campaign


# Flash category of the pledge panel's confirmations: shown in the panel, not at the page's top.
PANEL_FLASH = "pledge"


def _form_for(own: Pledge | None, withdrawn: Pledge | None = None) -> PledgeForm:
    """An empty form, or one prefilled with the organization's pledge (never the request's data).
    After a withdrawal the empty form keeps the withdrawn pledge's visibility."""
    if own is None:
        if withdrawn is not None:
            return PledgeForm(formdata=None, data={"visibility": withdrawn.visibility.value})
        return PledgeForm(formdata=None)
    return PledgeForm(
        formdata=None,
        data={"kinds": own.support_kinds.split(), "message": own.message, "visibility": own.visibility.value},
    )


@dataclass
class PledgePanel:
    """What the pledge panel shows the current viewer."""

    state: str  # "visitor", "moderator", "blocked" or "member"
    campaign: Campaign | CampaignRef | None = None
    own: Pledge | None = None
    reason: str = ""
    # Confirmations of the viewer's last pledge action, shown inside the panel.
    feedback: list[str] = field(default_factory=list)
    # The organization's latest pledge, active or withdrawn (an empty form keeps its visibility).
    latest: Pledge | None = None
    # A submitted form, shown again with its errors.
    submitted: PledgeForm | None = None

    @cached_property
    def form(self) -> PledgeForm | None:
        """The pledge form, made when the template first asks for it (not at all when the
        panel comes from the shared parts, see ``shared_key``)."""
        if self.state != "member":
            return None
        return self.submitted or _form_for(self.own, self.latest)

    @property
    def shared_key(self) -> tuple | None:
        """Everything the panel shows, when it shows nothing else: the key it is kept under among
        the shared parts (app/chrome.py), beside the page's language, time zone and address.

        Only a member's panel without a submitted form or a confirmation is kept. The campaign
        is in the key (its form's address, whether it still takes pledges), and so is the pledge,
        field by field (their own organization's, so only its members are shown it; no pledge,
        or a withdrawn one, shows nothing of the organization); its CSRF tokens are slots filled
        in per request."""
        if self.state != "member" or self.submitted is not None or self.feedback or self.campaign is None:
            return None
        campaign = (self.campaign.id, self.campaign.slug, self.campaign.is_active)
        own = self.own
        if own is not None:
            return (
                *campaign,
                "own",
                own.id,
                own.created_at,
                own.support_kinds,
                own.message,
                own.visibility.value,
                own.message_hidden_at,
                own.message_hidden_reason,
            )
        return (*campaign, "none", self.latest.visibility.value if self.latest is not None else None)


def pledge_panel(
    campaign: Campaign | CampaignRef, form: PledgeForm | None = None, reader: Reader | None = None
) -> PledgePanel:
    """The panel's data for the current viewer, in at most one query (their own pledge; none
    when ``reader``, read with the campaign, says they have none there).

    ``form`` is a submitted form to show again with its errors.
    """
    if not current_user.is_authenticated:
        return PledgePanel("visitor")
    organization = current_user.organization
    if organization is None:
        return PledgePanel("moderator")
    feedback = list(get_flashed_messages(category_filter=[PANEL_FLASH]))
    if reader is not None and reader.pledge_asked:
        latest = pledge_service.pledge_by_id(reader.latest_pledge_id)
    else:
        latest = pledge_service.latest_pledge(organization, campaign)
    own = latest if latest is not None and latest.is_active else None
    try:
        pledge_service.check_can_pledge(organization)
    except NotAllowed as refusal:
        return PledgePanel("blocked", own=own, reason=str(refusal), feedback=feedback)
    return PledgePanel("member", campaign, own=own, feedback=feedback, latest=latest, submitted=form)


def _pledge_page(campaign: Campaign, form: PledgeForm | None = None, **context):
    """The pledge form on a page of its own, with the campaign's words in the reader's language."""
    return render_template(
        "campaigns/pledge.html",
        campaign=campaign,
        text=localized_campaign(campaign, current_locale()),
        panel=pledge_panel(campaign, form),
        pledge_form=form,
        flashes_shown_in_page=(PANEL_FLASH,),
        **context,
    )


@bp.get("/<slug>/pledge")
@member_required
def pledge_form(slug: str):
    """The pledge form on a page of its own (linked from the dashboard; shown again with errors)."""
    campaign = _campaign_or_404(slug)
    return _pledge_page(campaign)


@bp.post("/<slug>/pledge")
@member_required
def pledge(slug: str):
    campaign = _campaign_or_404(slug)
    organization = current_user.organization
    form = PledgeForm()
    if not form.validate_on_submit():
        return _pledge_page(campaign, form), 400
    own = pledge_service.active_pledge(organization, campaign)
    try:
        if own is None:
            pledge_service.pledge(
                organization, campaign, form.kinds.data, form.message.data, form.visibility.data, current_user
            )
            message = _("Thank you: your organization now supports this campaign.")
        else:
            pledge_service.update_pledge(
                own, form.kinds.data, form.message.data, form.visibility.data, current_user
            )
            message = _("Your pledge has been updated.")
    except DomainError as error:
        status = 403 if isinstance(error, NotAllowed) else 409
        return _pledge_page(campaign, form, refusal=str(error)), status
    flash(message, PANEL_FLASH)
    return redirect(url_for("campaigns.detail", slug=campaign.slug, _anchor="pledge"))


@bp.post("/<slug>/pledge/withdraw")
@member_required
def withdraw_pledge(slug: str):
    """Withdraw only with ``confirm=yes`` (the panel's second button); without it, ask first."""
    campaign = _campaign_or_404(slug)
    own = pledge_service.active_pledge(current_user.organization, campaign)
    if own is None:
        flash(_("Your organization has no active pledge to this campaign."), PANEL_FLASH)
        return redirect(url_for("campaigns.detail", slug=campaign.slug, _anchor="pledge"))
    if request.form.get("confirm") != "yes":
        return render_template(
            "campaigns/withdraw_confirm.html",
            campaign=campaign,
            text=localized_campaign(campaign, current_locale()),
        )
    pledge_service.withdraw(own, current_user)
    flash(_("Your pledge has been withdrawn. You can pledge again at any time."), PANEL_FLASH)
    return redirect(url_for("campaigns.detail", slug=campaign.slug, _anchor="pledge"))
