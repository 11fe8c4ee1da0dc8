from functools import cache

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from app import labels
from app.forms import MultiCheckboxField, OneLine, WholeNumberField
from app.i18n import text_direction
from app.models import PledgeVisibility, RegistrationKind
from app.services import gatherings as gathering_service
from app.services import registrations as registration_service

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
TEXT = gathering_service.TEXT_MAX_LENGTH


class GatheringForm(FlaskForm):
    """A gathering's main text (in English) and facts; times in the gathering's own zone."""

    title = StringField(
        _l("Title"), validators=[DataRequired(), Length(max=gathering_service.TITLE_MAX_LENGTH), OneLine()]
    )
    starts_at = DateTimeLocalField(_l("Starts"), format=DATETIME_FORMATS, validators=[DataRequired()])
    ends_at = DateTimeLocalField(_l("Ends"), format=DATETIME_FORMATS, validators=[DataRequired()])
    time_zone = SelectField(_l("Time zone of the gathering"), validators=[DataRequired()])
    city = StringField(_l("City"), validators=[Length(max=gathering_service.CITY_MAX_LENGTH), OneLine()])
    country = StringField(_l("Country code (two letters)"), validators=[Optional(), Length(min=2, max=2)])
    venue = StringField(_l("Venue"), validators=[Length(max=gathering_service.VENUE_MAX_LENGTH), OneLine()])
    online_url = StringField(
        _l("Online link"), validators=[Optional(), Length(max=gathering_service.URL_MAX_LENGTH), OneLine()]
    )
    description = TextAreaField(_l("Description"), validators=[Length(max=TEXT)])
    logistics = TextAreaField(_l("Logistics notes"), validators=[Length(max=TEXT)])
    visa_notice = TextAreaField(_l("Visa-letter notice"), validators=[Length(max=TEXT)])
    outcome = TextAreaField(_l("Outcome: declarations and reports"), validators=[Length(max=TEXT)])
    campaigns = MultiCheckboxField(_l("Campaigns"), coerce=int)
    organizers = MultiCheckboxField(_l("Organizing organizations"), coerce=int)
    supporters = MultiCheckboxField(_l("Supporting organizations"), coerce=int)
    projects = MultiCheckboxField(_l("Projects that came out of it"), coerce=int)

    def set_choices(self, campaigns, organizations, projects, zones) -> None:
        self.campaigns.choices = [SelectChoice(c.id, c.title) for c in campaigns]
        self.organizers.choices = [SelectChoice(o.id, o.name) for o in organizations]
        self.supporters.choices = list(self.organizers.choices)
        self.projects.choices = [SelectChoice(p.id, p.title) for p in projects]
        self.time_zone.choices = [SelectChoice(z, z) for z in zones]

    def validate_ends_at(self, field) -> None:
        if field.data and self.starts_at.data and field.data < self.starts_at.data:
            raise ValidationError(_l("The end cannot be before the start."))

    def fields(self) -> gathering_service.GatheringFields:
        return gathering_service.GatheringFields(
            title=self.title.data,
            starts_at=self.starts_at.data,
            ends_at=self.ends_at.data,
            time_zone=self.time_zone.data,
            description=self.description.data or "",
            logistics=self.logistics.data or "",
            visa_notice=self.visa_notice.data or "",
            outcome=self.outcome.data or "",
            city=self.city.data or "",
            country=(self.country.data or "").upper() or None,
            venue=self.venue.data or "",
            online_url=self.online_url.data or None,
            campaign_ids=self.campaigns.data or [],
            organizer_ids=self.organizers.data or [],
            supporter_ids=self.supporters.data or [],
            project_ids=self.projects.data or [],
        )


class TranslationForm(FlaskForm):
    title = StringField(_l("Title"), validators=[Length(max=gathering_service.TITLE_MAX_LENGTH), OneLine()])
    description = TextAreaField(_l("Description"), validators=[Length(max=TEXT)])
    logistics = TextAreaField(_l("Logistics notes"), validators=[Length(max=TEXT)])
    visa_notice = TextAreaField(_l("Visa-letter notice"), validators=[Length(max=TEXT)])
    outcome = TextAreaField(_l("Outcome: declarations and reports"), validators=[Length(max=TEXT)])

    def texts(self) -> dict[str, str]:
        return {name: getattr(self, name).data or "" for name in gathering_service.TRANSLATED_FIELDS}

    session_ids: tuple[int, ...] = ()

    def session_field(self, session_id: int, name: str):
        return self[f"session_{session_id}_{name}"]

    def session_texts(self) -> dict[int, dict[str, str]]:
        return {
            session_id: {
                name: self.session_field(session_id, name).data or ""
                for name in gathering_service.SESSION_TRANSLATED_FIELDS
            }
            for session_id in self.session_ids
        }


def _session_title_field(label):
    return StringField(label, validators=[Length(max=gathering_service.SESSION_TITLE_MAX_LENGTH), OneLine()])


def _speakers_field(label):
    return StringField(label, validators=[Length(max=gathering_service.SPEAKERS_MAX_LENGTH), OneLine()])


def translation_form(gathering, locale: str) -> TranslationForm:
    """The translation form of a gathering into ``locale``, with a title and a speakers field per
    session of its programme (named ``session_<id>_title``, ``session_<id>_speakers``), filled
    with what is saved."""
    sessions = list(gathering.sessions)
    fields = {}
    for session in sessions:
        fields[f"session_{session.id}_title"] = _session_title_field(_l("Session title"))
        fields[f"session_{session.id}_speakers"] = _speakers_field(_l("Speakers"))
    form_class = type("GatheringTranslationForm", (TranslationForm,), fields)
    form_class.session_ids = tuple(s.id for s in sessions)
    saved = gathering_service.session_translations_of(gathering, locale)
    data = {}
    for session in sessions:
        row = saved.get(session.id)
        for name in gathering_service.SESSION_TRANSLATED_FIELDS:
            data[f"session_{session.id}_{name}"] = getattr(row, name, "") if row is not None else ""
    form = form_class(obj=gathering_service.translation_of(gathering, locale), data=data)
    # What is typed is in ``locale`` (right to left for Arabic and Kurdish); the labels and help
    # stay in the page's language and direction.
    for input_field in form:
        if input_field.type not in ("CSRFTokenField", "HiddenField"):
            input_field.render_kw = {
                **(input_field.render_kw or {}),
                "lang": locale,
                "dir": text_direction(locale),
            }
    return form


class SessionForm(FlaskForm):
    title = StringField(
        _l("Session title"),
        validators=[DataRequired(), Length(max=gathering_service.SESSION_TITLE_MAX_LENGTH), OneLine()],
    )
    starts_at = DateTimeLocalField(_l("Starts"), format=DATETIME_FORMATS, validators=[DataRequired()])
    ends_at = DateTimeLocalField(_l("Ends"), format=DATETIME_FORMATS, validators=[DataRequired()])
    room = StringField(_l("Room"), validators=[Length(max=gathering_service.ROOM_MAX_LENGTH), OneLine()])
    speakers = StringField(
        _l("Speakers"), validators=[Length(max=gathering_service.SPEAKERS_MAX_LENGTH), OneLine()]
    )
    language = SelectField(_l("Language spoken"))
    interpretation = MultiCheckboxField(_l("Interpreted into"))

    def set_choices(self, languages: dict[str, str]) -> None:
        self.language.choices = [SelectChoice(code, name) for code, name in languages.items()]
        self.interpretation.choices = list(self.language.choices)

    locales: tuple[str, ...] = ()

    def translation_field(self, locale: str, name: str):
        return self[f"{name}_{locale}"]

    def translations(self) -> dict[str, dict[str, str]]:
        return {
            locale: {
                name: self.translation_field(locale, name).data or ""
                for name in gathering_service.SESSION_TRANSLATED_FIELDS
            }
            for locale in self.locales
        }


@cache
def session_form_class(locales: tuple[str, ...]) -> type[SessionForm]:
    """The session form with the title and speakers in each of ``locales`` too (``title_ar``,
    ``speakers_ar``, ...); empty ones fall back to the main text."""
    fields = {}
    for locale in locales:
        fields[f"title_{locale}"] = _session_title_field(_l("Session title"))
        fields[f"speakers_{locale}"] = _speakers_field(_l("Speakers"))
    form_class = type("SessionFormWithTranslations", (SessionForm,), fields)
    form_class.locales = locales
    return form_class


class RegistrationTypeForm(FlaskForm):
    kind = RadioField(
        _l("Registration type"),
        choices=[SelectChoice(k.value, labels.REGISTRATION_KIND[k]) for k in RegistrationKind],
        validators=[DataRequired()],
    )
    capacity = WholeNumberField(
        _l("Places"),
        validators=[DataRequired(), NumberRange(min=1, max=registration_service.CAPACITY_MAX)],
    )
    deadline = DateTimeLocalField(_l("Registration closes"), format=DATETIME_FORMATS, validators=[Optional()])
    requires_approval = BooleanField(_l("Each registration waits for the organizer's approval"))


class RegisterForm(FlaskForm):
    registration_type = RadioField(_l("Take part as"), coerce=int, validators=[DataRequired()])
    as_organization = RadioField(
        _l("Who registers"),
        choices=[
            SelectChoice("organization", _l("My organization")),
            SelectChoice("person", _l("Myself only")),
        ],
        default="organization",
        validators=[DataRequired()],
    )
    visibility = RadioField(
        _l("Who may see that your organization takes part"),
        choices=[SelectChoice(v.value, labels.REGISTRATION_VISIBILITY[v]) for v in PledgeVisibility],
        default=PledgeVisibility.COUNTED.value,
    )
    dietary = StringField(
        _l("Dietary needs"), validators=[Length(max=registration_service.NEEDS_MAX_LENGTH), OneLine()]
    )
    interpretation = StringField(
        _l("Interpretation you need"),
        validators=[Length(max=registration_service.INTERPRETATION_MAX_LENGTH), OneLine()],
    )
    visa_letter = BooleanField(_l("I need a visa letter"))

    def set_choices(self, types, can_register_organization: bool) -> None:
        self.registration_type.choices = [SelectChoice(t.id, labels.REGISTRATION_KIND(t.kind)) for t in types]
        if not can_register_organization:
            # Only members of an approved organization may register it (the service checks too).
            self.as_organization.choices = [SelectChoice("person", _l("Myself only"))]
            self.as_organization.data = "person"

    def needs(self) -> registration_service.Needs:
        return registration_service.Needs(
            dietary=self.dietary.data or "",
            interpretation=self.interpretation.data or "",
            visa_letter=bool(self.visa_letter.data),
        )


class ActionForm(FlaskForm):
    """A button that changes something: CSRF only."""


class AttendanceForm(FlaskForm):
    attended = BooleanField(_l("Present"))


class MessageForm(FlaskForm):
    subject = StringField(
        _l("Subject"),
        validators=[DataRequired(), Length(max=registration_service.SUBJECT_MAX_LENGTH), OneLine()],
    )
    body = TextAreaField(
        _l("Message"), validators=[DataRequired(), Length(max=registration_service.MESSAGE_MAX_LENGTH)]
    )
    waiting_too = BooleanField(_l("Also to those waiting for a place or for approval"))


class CancelGatheringForm(FlaskForm):
    reason = TextAreaField(_l("Why (registrants are told it is cancelled)"), validators=[Length(max=2000)])
