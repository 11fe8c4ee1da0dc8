"""The account's own forms: a new password, an invitation, the account's language. The profile
form is shared (``app.forms.organization``)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length

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
