"""The account's own forms: a new password, an invitation, the account's language, going dark,
the export and leaving. The profile form is shared (``app.forms.organization``)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

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

    locale = SelectField(_l("Language of my account"), validators=[DataRequired()])
    submit = SubmitField(_l("Keep this language"))

    def __init__(self, *args, **kwargs):
        from flask import current_app

        from app.templating import LANGUAGE_NAMES

        super().__init__(*args, **kwargs)
        self.locale.choices = [(code, LANGUAGE_NAMES[code]) for code in current_app.config["LANGUAGES"]]


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
