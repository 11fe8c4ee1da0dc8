from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from app import labels
from app.forms import OneLine
from app.models import OfferVisibility
from app.models.solidarity import OFFER_TEXT_MAX_LENGTH

# The profile as a whole; else a campaign's id.
WHOLE_PROFILE = ""


class OfferForm(FlaskForm):
    """The organization is never a field: it is always the member's own."""

    direction = RadioField(
        _l("Offer or need"),
        choices=[SelectChoice(value.value, label) for value, label in labels.OFFER_DIRECTION.items()],
        validators=[DataRequired(message=_l("Choose whether you offer or need it."))],
    )
    category = SelectField(
        _l("Kind of help"),
        choices=[SelectChoice(value.value, label) for value, label in labels.OFFER_CATEGORY.items()],
        validate_choice=True,  # the choice is checked; no "required" on a list without a placeholder
    )
    text = StringField(_l("In a few words"), validators=[Length(max=OFFER_TEXT_MAX_LENGTH), OneLine()])
    campaign = SelectField(_l("Where"), validate_choice=True)
    visibility = RadioField(
        _l("Who may see it"),
        choices=[SelectChoice(value.value, label) for value, label in labels.OFFER_VISIBILITY.items()],
        default=OfferVisibility.MEMBERS.value,
        validators=[DataRequired(message=_l("Choose who may see it."))],
    )
    submit = SubmitField(_l("Save"))

    def set_campaigns(self, campaign_texts: list) -> None:
        """Choices: the profile as a whole, then each campaign the organization supports."""
        self.campaign.choices = [SelectChoice(WHOLE_PROFILE, _l("Our profile (all our work)"))] + [
            SelectChoice(str(text.campaign.id), text.title) for text in campaign_texts
        ]

    @property
    def campaign_id(self) -> int | None:
        return int(self.campaign.data) if self.campaign.data else None
