from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.forms import OneLine, WholeNumberField
from app.models import CampaignStatus
from app.services import campaigns as campaign_service
from app.services.checks import REASON_MAX_LENGTH

ACCENT_LABELS = {
    "tigris": _l("Tigris blue"),
    "reed": _l("Reed green"),
    "clay": _l("Clay"),
    "saffron": _l("Saffron"),
    "rose": _l("Rose"),
    "slate": _l("Slate"),
}


class CampaignForm(FlaskForm):
    title = StringField(
        _l("Title"), validators=[DataRequired(), Length(max=campaign_service.TITLE_MAX_LENGTH), OneLine()]
    )
    slug = StringField(
        _l("Address (slug)"),
        validators=[Optional(), Length(max=campaign_service.SLUG_MAX_LENGTH), OneLine()],
    )
    summary = StringField(
        _l("One-line summary"),
        validators=[DataRequired(), Length(max=campaign_service.SUMMARY_MAX_LENGTH), OneLine()],
    )
    description = TextAreaField(
        _l("What the campaign wants"), validators=[Length(max=campaign_service.DESCRIPTION_MAX_LENGTH)]
    )
    status = RadioField(
        _l("Status"),
        choices=[
            SelectChoice(CampaignStatus.ACTIVE.value, _l("Active — takes pledges and projects")),
            SelectChoice(
                CampaignStatus.ARCHIVED.value, _l("Archived — kept for the record, takes nothing new")
            ),
        ],
        default=CampaignStatus.ACTIVE.value,
    )
    accent = RadioField(
        _l("Accent colour"),
        choices=[SelectChoice(key, label) for key, label in ACCENT_LABELS.items()],
        default="tigris",
    )
    position = WholeNumberField(
        _l("Position on the home page"),
        default=0,
        validators=[Optional(), NumberRange(min=-10_000, max=10_000)],
    )
    submit = SubmitField(_l("Save the campaign"))

    def service_fields(self) -> dict:
        return {
            "title": self.title.data,
            "slug": self.slug.data or "",
            "summary": self.summary.data,
            "description": self.description.data or "",
            "status": self.status.data,
            "accent": self.accent.data,
            "position": self.position.data or 0,
        }


class HideForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason (the organization will read it)"),
        validators=[DataRequired(), Length(max=REASON_MAX_LENGTH)],
    )
    submit = SubmitField(_l("Hide"))
