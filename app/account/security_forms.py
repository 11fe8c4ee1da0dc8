"""Forms of the two-factor login page. Several share one page, each under its own prefix."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

CODE_HELP = _l("The 6-digit code your app shows now, or one of your recovery codes.")


def _password_field():
    return PasswordField(
        _l("Your password"),
        validators=[DataRequired(), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )


class AddAuthenticatorForm(FlaskForm):
    code = StringField(
        _l("The 6-digit code the app shows"),
        validators=[DataRequired(), Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
    password = _password_field()
    submit = SubmitField(_l("Turn on the authenticator app"))


class AddPasskeyForm(FlaskForm):
    name = StringField(
        _l("A name for this passkey"),
        validators=[DataRequired(), Length(max=100)],
        description=_l("So that you can tell your passkeys apart, for example “my phone” or “blue key”."),
    )
    password = _password_field()
    # Filled by static/js/passkeys.js with the browser's answer (navigator.credentials.create).
    response = HiddenField(
        validators=[DataRequired(message=_l("Your browser did not create a passkey.")), Length(max=20000)],
        render_kw={"data-passkey-response": ""},
    )
    submit = SubmitField(_l("Add a passkey"))


class ConfirmFactorForm(FlaskForm):
    """The password and a second factor: to remove a factor or make new recovery codes."""

    password = _password_field()
    code = StringField(
        _l("Code from your authenticator app, or a recovery code"),
        validators=[Length(max=40)],
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"},
    )
    # Filled by static/js/passkeys.js when a passkey confirms instead of a code.
    response = HiddenField(validators=[Length(max=20000)], render_kw={"data-passkey-response": ""})
    submit = SubmitField(_l("Confirm"))


class OrganizationTwoFactorForm(FlaskForm):
    required = BooleanField(_l("Every member of our organization must log in with a second factor"))
    password = _password_field()
    submit = SubmitField(_l("Save the rule"))
