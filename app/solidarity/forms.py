from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from app import labels
from app.forms import MultiCheckboxField, OneLine
from app.models import OfferVisibility
from app.models.solidarity import INTRODUCTION_MESSAGE_MAX_LENGTH, OFFER_TEXT_MAX_LENGTH
from app.services import introductions

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


# The contact details an organization may choose to share through an introduction.
CONTACT_LABELS = {
    "contact_email": _l("Email"),
    "contact_phone": _l("Phone"),
    "address": _l("Address"),
    "contact_person": _l("Contact person"),
    "facebook": _l("Facebook page"),
    "telegram": _l("Telegram"),
    "whatsapp": _l("WhatsApp"),
}


def contact_choices(fields: list[str]) -> list[SelectChoice]:
    return [SelectChoice(field, CONTACT_LABELS[field]) for field in fields]


class AskForm(FlaskForm):
    message = TextAreaField(
        _l("Message"),
        validators=[
            DataRequired(message=_l("Write a few words to introduce your organization.")),
            Length(max=INTRODUCTION_MESSAGE_MAX_LENGTH),
        ],
    )
    fields = MultiCheckboxField(_l("The contact details you will share if they accept"))
    submit = SubmitField(_l("Ask for an introduction"))


class AcceptForm(FlaskForm):
    fields = MultiCheckboxField(_l("The contact details you share with them"))
    submit = SubmitField(_l("Accept"))


class ReportForm(FlaskForm):
    reason = TextAreaField(
        _l("What is wrong with this request"),
        validators=[DataRequired(), Length(max=introductions.REASON_MAX_LENGTH)],
    )
    submit = SubmitField(_l("Report to the moderators"))


class CosponsorInviteForm(FlaskForm):
    organization = StringField(
        _l("The organization's address in the directory"),
        description=_l("The last part of its profile's address, e.g. basra-water-watch."),
        validators=[DataRequired(), Length(max=120), OneLine()],
    )
    submit = SubmitField(_l("Invite to co-sponsor"))


class StatementTextsForm(FlaskForm):
    """A statement's text in the four languages (at least one)."""

    title_en = StringField(_l("Title in English"), validators=[Length(max=200), OneLine()])
    body_en = TextAreaField(_l("Text in English"), validators=[Length(max=20000)])
    title_ar = StringField(_l("Title in Arabic"), validators=[Length(max=200), OneLine()])
    body_ar = TextAreaField(_l("Text in Arabic"), validators=[Length(max=20000)])
    title_ckb = StringField(_l("Title in Kurdish"), validators=[Length(max=200), OneLine()])
    body_ckb = TextAreaField(_l("Text in Kurdish"), validators=[Length(max=20000)])
    title_fr = StringField(_l("Title in French"), validators=[Length(max=200), OneLine()])
    body_fr = TextAreaField(_l("Text in French"), validators=[Length(max=20000)])

    def texts(self) -> dict[str, tuple[str, str]]:
        return {
            locale: (getattr(self, f"title_{locale}").data or "", getattr(self, f"body_{locale}").data or "")
            for locale in ("en", "ar", "ckb", "fr")
        }


class StatementForm(StatementTextsForm):
    """A new statement: its text, its deadline and rule."""

    deadline = DateTimeLocalField(_l("Deadline for signatures (UTC)"), validators=[DataRequired()])
    allow_counted = BooleanField(_l("Organizations may sign without being named (they are only counted)"))
    submit = SubmitField(_l("Publish"))


class RevisionForm(StatementTextsForm):
    """A new version of a statement's text: the languages written are the new version's (a
    language left empty is not in it)."""

    submit = SubmitField(_l("Publish the new version"))

    def fill_from(self, texts) -> None:
        for text in texts:
            getattr(self, f"title_{text.locale}").data = text.title
            getattr(self, f"body_{text.locale}").data = text.body


class SignForm(FlaskForm):
    how = RadioField(
        _l("How your organization signs"),
        choices=[
            SelectChoice("named", _l("Named among the signatories")),
            SelectChoice("counted", _l("Counted only, never named")),
        ],
        default="named",
        validators=[DataRequired()],
    )
    submit = SubmitField(_l("Sign"))
