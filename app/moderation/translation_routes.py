"""Moderators write a campaign's title, summary and description in Arabic, Kurdish and French."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import Length

from app import transactions
from app.access import moderator_required
from app.forms import OneLine
from app.i18n import text_direction
from app.moderation import bp
from app.services import DomainError
from app.services import translations as service
from app.services.campaigns import DESCRIPTION_MAX_LENGTH, SUMMARY_MAX_LENGTH, TITLE_MAX_LENGTH
from app.services.directory import get_campaign


class CampaignTranslationForm(FlaskForm):
    title = StringField(_l("Title"), validators=[Length(max=TITLE_MAX_LENGTH), OneLine()])
    summary = TextAreaField(_l("Summary"), validators=[Length(max=SUMMARY_MAX_LENGTH)])
    description = TextAreaField(_l("Description"), validators=[Length(max=DESCRIPTION_MAX_LENGTH)])
    submit = SubmitField(_l("Save translation"))


@bp.route("/campaigns/<slug>/translations/<locale>", methods=["GET", "POST"])
@moderator_required
def campaign_translation(slug: str, locale: str):
    campaign = get_campaign(slug)
    if campaign is None or locale not in service.campaign_translation_locales():
        abort(404)
    existing = service.campaign_translation(campaign, locale)
    form = CampaignTranslationForm(obj=existing)
    if form.validate_on_submit():
        try:
            saved = service.save_campaign_translation(
                current_user,
                campaign,
                locale,
                title=form.title.data,
                summary=form.summary.data,
                description=form.description.data,
            )
        except DomainError as error:
            transactions.refused()  # the form is shown again with a 200
            form.title.errors.append(str(error))
        else:
            if saved is None:
                flash(_("The translation was removed; the English text is shown instead."), "success")
            else:
                flash(_("The translation was saved."), "success")
            return redirect(url_for(".campaign_translation", slug=campaign.slug, locale=locale))
    # The fields hold text in the target language, whatever the page's language.
    for field in (
        form.title,
        form.summary,
        form.description,
    ):
        field.render_kw = {"lang": locale, "dir": text_direction(locale)}
    return render_template(
        "moderation/translations/campaign.html",
        campaign=campaign,
        locale=locale,
        form=form,
        translated=existing is not None,
        locales=service.campaign_translation_locales(),
    )
