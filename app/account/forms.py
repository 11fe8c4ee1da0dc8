"""The account's own forms: a new password, an invitation, the account's language and time
zone, going dark, the export and leaving. The profile form is shared (``app.forms.organization``)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from app.forms import OneLine


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=1024)])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=1024)])
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two passwords differ."))],
    )
    submit = SubmitField(_l("Change password"))


class InviteForm(FlaskForm):
    email = EmailField(
        _l("Colleague's email"), validators=[DataRequired(), OneLine(), Email(), Length(max=254)]
    )
    submit = SubmitField(_l("Send invitation"))


class LanguageForm(FlaskForm):
    """The language kept in a member's account (pages on any device once logged in, and mail)."""

    # Every option is a language (no empty placeholder), so HTML forbids `required` on the list
    # (as for the country); the server checks the value anyway.
    locale = SelectField(
        _l("Language of my account"), validators=[DataRequired()], render_kw={"required": False}
    )
    submit = SubmitField(_l("Keep this language"))

    def __init__(self, *args, **kwargs):
        from flask import current_app

        from app.templating import LANGUAGE_NAMES

        super().__init__(*args, **kwargs)
        self.locale.choices = [(code, LANGUAGE_NAMES[code]) for code in current_app.config["LANGUAGES"]]


class TimeZoneForm(FlaskForm):
    """The time zone a member reads dates in (pages once logged in, and mail). Empty: Iraq's."""

    # The service checks the name (a form error for an unknown one): the list is a convenience.
    time_zone = SelectField(_l("Time zone of my account"), validate_choice=False)
    submit = SubmitField(_l("Keep this time zone"))

    def __init__(self, *args, **kwargs):
        from app import dates

        # Its own prefix: the dashboard shows it beside the language form (one CSRF field id each).
        kwargs.setdefault("prefix", "zone")
        super().__init__(*args, **kwargs)
        common = dates.COMMON_ZONES
        self.time_zone.choices = {
            str(_l("Common time zones")): [
                ("", _l("Iraq time (Asia/Baghdad), the site's own")),
                *[(zone, dates.zone_name(zone)) for zone in common],
            ],
            str(_l("Every time zone")): [(zone, zone) for zone in dates.all_zones() if zone not in common],
        }

    def validate_time_zone(self, field):
        # Iraq's time is the empty choice: a form without the field at all chose nothing.
        if not field.raw_data:
            raise ValidationError(_l("Choose a time zone."))


# Going dark, the export and leaving: each sensitive step asks for the password or a ticked box.


def _password_field():
    return PasswordField(_l("Your password"), validators=[DataRequired(), Length(max=1024)])


class GoDarkForm(FlaskForm):
    confirm = BooleanField(
        _l("Yes, take our organization out of public view now"),
        validators=[DataRequired(_l("Tick the box to confirm."))],
    )
    submit = SubmitField(_l("Go dark now"))


class ComeBackForm(FlaskForm):
    password = _password_field()
    submit = SubmitField(_l("Come back into public view"))


class ExportForm(FlaskForm):
    password = _password_field()
    submit = SubmitField(_l("Download everything (ZIP)"))


class DeleteOrganizationForm(FlaskForm):
    password = _password_field()
    confirm = BooleanField(
        _l("Yes, delete our organization and every account of its people"),
        validators=[DataRequired(_l("Tick the box to confirm."))],
    )
    submit = SubmitField(_l("Delete the organization"))


class RestoreOrganizationForm(FlaskForm):
    password = _password_field()
    submit = SubmitField(_l("Restore the organization"))


class DeleteAccountForm(FlaskForm):
    password = _password_field()
    new_owner = SelectField(_l("Who becomes an owner after you"), coerce=int, validators=[Optional()])
    confirm = BooleanField(
        _l("Yes, delete my account"), validators=[DataRequired(_l("Tick the box to confirm."))]
    )
    submit = SubmitField(_l("Delete my account"))
