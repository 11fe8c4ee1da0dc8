"""The organization profile form, shared by registration (auth) and the profile page (account)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from app import labels
from app.forms import OneLine, WholeNumberField
from app.models import CONTACT_FIELDS, IRAQ, Visibility
from app.services import contact_details

VISIBILITY_CHOICES = [SelectChoice(value.value, label) for value, label in labels.CONTACT_VISIBILITY.items()]

# Babel's territory list also holds regions and pseudo-codes that are not countries.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"})


def country_choices() -> list[SelectChoice]:
    """ISO 3166 codes with their names in the page's language; Iraq first."""
    territories = get_locale().territories
    countries = sorted(
        ((code, name) for code, name in territories.items() if len(code) == 2 and code.isalpha()),
        key=lambda item: item[1],
    )
    countries = [(code, name) for code, name in countries if code not in _NOT_COUNTRIES]
    ordered = [c for c in countries if c[0] == IRAQ] + [c for c in countries if c[0] != IRAQ]
    return [SelectChoice(code, name) for code, name in ordered]


class Normalized:
    """Validator: the field's text read into its stored form (app/services/contact_details.py),
    ``facebook.com/x`` becoming ``https://facebook.com/x``; the reason as the field's error."""

    def __init__(self, detail: str):
        self.detail = detail

    def __call__(self, form, field) -> None:
        try:
            field.data = contact_details.normalized(self.detail, field.data)
        except contact_details.InvalidContactDetail as error:
            raise ValidationError(str(error)) from None


def _visibility_field(label):
    # A compact list beside its detail; the section explains the choices once.
    return SelectField(
        label,
        choices=VISIBILITY_CHOICES,
        default=Visibility.HIDDEN.value,
        render_kw={"class": "visibility-select"},
    )


class OrganizationProfileForm(FlaskForm):
    # Shown once, at the top of the contact details.
    visibility_help = labels.CONTACT_VISIBILITY_HELP
    # In the order the contact details are shown, each followed by its visibility.
    contact_fields = CONTACT_FIELDS

    name = StringField(
        _l("Name of the organization"), validators=[DataRequired(), Length(max=200), OneLine()]
    )
    # The kind starts on an empty placeholder, so nobody is filed under the first kind by not choosing.
    kind = SelectField(
        _l("Kind of organization"),
        choices=[
            SelectChoice("", _l("Choose a kind of organization")),
            *(SelectChoice(kind.value, label) for kind, label in labels.ORGANIZATION_KIND.items()),
        ],
        validators=[DataRequired()],
        default="",
    )
    # Most members are in Iraq, a real default; HTML forbids `required` on a list whose first
    # option is a real choice rather than an empty placeholder, and the server checks anyway.
    country = SelectField(
        _l("Country"),
        choices=country_choices,
        validators=[DataRequired()],
        default=IRAQ,
        render_kw={"required": False},
    )
    city = StringField(_l("City or governorate"), validators=[Optional(), Length(max=120), OneLine()])
    description = TextAreaField(
        _l("What the organization does"), validators=[DataRequired(), Length(max=10000)]
    )
    website = StringField(
        _l("Website"),
        validators=[Optional(), OneLine(), Normalized("website"), Length(max=300)],
        render_kw={"inputmode": "url", "autocomplete": "url", "dir": "ltr"},
    )
    founded_year = WholeNumberField(_l("Year founded"), validators=[Optional()])

    contact_email = EmailField(
        _l("Contact email"), validators=[Optional(), OneLine(), Email(), Length(max=254)]
    )
    contact_email_visibility = _visibility_field(_l("Who may see the contact email"))
    contact_phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=40), OneLine()])
    contact_phone_visibility = _visibility_field(_l("Who may see the phone number"))
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300), OneLine()])
    address_visibility = _visibility_field(_l("Who may see the address"))
    contact_person = StringField(_l("Contact person"), validators=[Optional(), Length(max=120), OneLine()])
    contact_person_visibility = _visibility_field(_l("Who may see the contact person"))
    facebook = StringField(
        _l("Facebook page"),
        validators=[Optional(), OneLine(), Normalized("facebook"), Length(max=300)],
        render_kw={"inputmode": "url", "dir": "ltr"},
    )
    facebook_visibility = _visibility_field(_l("Who may see the Facebook page"))
    telegram = StringField(
        _l("Telegram"),
        validators=[Optional(), OneLine(), Normalized("telegram"), Length(max=40)],
        render_kw={"dir": "ltr", "autocapitalize": "none", "spellcheck": "false"},
    )
    telegram_visibility = _visibility_field(_l("Who may see the Telegram username"))
    whatsapp = StringField(
        _l("WhatsApp number"),
        validators=[Optional(), OneLine(), Normalized("whatsapp"), Length(max=40)],
        render_kw={"inputmode": "tel", "dir": "ltr"},
    )
    whatsapp_visibility = _visibility_field(_l("Who may see the WhatsApp number"))
    org_identifier = StringField(
        _l("Registration identifier (org-id.guide)"),
        validators=[Optional(), OneLine(), Normalized("org_identifier"), Length(max=80)],
        render_kw={"dir": "ltr", "autocapitalize": "characters", "spellcheck": "false"},
    )
    org_identifier_visibility = _visibility_field(_l("Who may see the registration identifier"))
    publishes_murmurations = BooleanField(
        _l("Publish a Murmurations profile (public details only) so solidarity-economy maps can list us")
    )

    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        this_year = datetime.now(UTC).year
        self.founded_year.validators = [
            Optional(),
            NumberRange(min=1800, max=this_year, message=_l("Between 1800 and this year, please.")),
        ]

    def profile_data(self) -> dict:
        """Only the profile fields, for the membership services."""
        names = ["name", "kind", "country", "city", "description", "website", "founded_year"]
        names += [*CONTACT_FIELDS, *(f"{f}_visibility" for f in CONTACT_FIELDS), "publishes_murmurations"]
        return {name: getattr(self, name).data for name in names}
