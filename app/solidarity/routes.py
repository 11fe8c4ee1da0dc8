"""Offers and needs: a member organization states them; anyone reads them as their visibility allows.

The organization is always the logged-in member's own, never a form field; another
organization's statement answers 404.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.access import member_required
from app.i18n import current_locale
from app.services import DomainError, directory, offers, translations
from app.solidarity import bp
from app.solidarity.forms import OfferForm


def _refuse_unapproved():
    """Members of organizations not (yet) approved are told why, and sent to their dashboard."""
    if not current_user.is_approved_member:
        flash(
            _("Your organization can state what it offers and needs once a moderator has approved it."),
            "warning",
        )
        return redirect(url_for("account.dashboard"))
    return None


@bp.route("/offers", methods=["GET", "POST"])
@member_required
def offers_page():
    if (refusal := _refuse_unapproved()) is not None:
        return refusal
    organization = current_user.organization
    locale = current_locale()
    form = OfferForm()
    form.set_campaigns(translations.localized_campaigns(offers.pledged_campaigns(organization), locale))
    if form.validate_on_submit():
        try:
            offers.save_statement(
                organization,
                current_user,
                direction=form.direction.data,
                category=form.category.data,
                text=form.text.data,
                visibility=form.visibility.data,
                campaign_id=form.campaign_id,
            )
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("solidarity.offers_page"))
    statements = offers.own_statements(organization)
    return render_template(
        "solidarity/offers.html",
        form=form,
        statements=statements,
        campaign_texts=translations.campaign_texts([s.campaign for s in statements if s.campaign], locale),
    ), (400 if form.is_submitted() else 200)


@bp.post("/offers/<int:offer_id>/remove")
@member_required
def remove_offer(offer_id: int):
    if (refusal := _refuse_unapproved()) is not None:
        return refusal
    if not offers.remove_statement(current_user.organization, current_user, offer_id):
        abort(404)
    flash(_("Removed."), "success")
    return redirect(url_for("solidarity.offers_page"))


@bp.get("/campaigns/<slug>/offers")
def campaign_offers(slug: str):
    campaign = directory.get_campaign(slug)
    if campaign is None:
        abort(404)
    page = offers.campaign_statements_page(campaign, current_user, request.args.get("page", 1, type=int))
    return render_template(
        "solidarity/campaign_offers.html",
        campaign=campaign,
        text=translations.localized_campaign(campaign, current_locale()),
        statements=page,
    )
