"""The organization profile form, shared by registration (auth) and the profile page (account)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    URLField,
)
from wtforms.validators import (
    URL,
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


def http_url(form, field) -> None:
    if field.data and not field.data.strip().lower().startswith(("http://", "https://")):
        raise ValidationError(_l("A website address must start with http:// or https://."))


def _visibility_field(label):
    return RadioField(label, choices=VISIBILITY_CHOICES, default=Visibility.HIDDEN.value)


class OrganizationProfileForm(FlaskForm):
    # Shown under each contact field's "who may see it" choice.
    visibility_help = labels.CONTACT_VISIBILITY_HELP

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
    website = URLField(
        _l("Website"),
        validators=[
            Optional(),
            Length(max=300),
            OneLine(),
            http_url,
            URL(require_tld=True, message=_l("Not a web address.")),
        ],
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
        names += [*CONTACT_FIELDS, *(f"{f}_visibility" for f in CONTACT_FIELDS)]
        return {name: getattr(self, name).data for name in names}
