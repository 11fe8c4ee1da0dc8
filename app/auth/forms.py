from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from app.forms import OneLine
from app.forms.organization import OrganizationProfileForm

PASSWORD_HELP = _l(
    "At least 12 characters, not a password leaked from other sites, and not your email address"
    " or your organization's name. A few unrelated words make a strong, memorable password."
)


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])
    remember_me = BooleanField(_l("Keep me logged in on this device"))
    submit = SubmitField(_l("Log in"))


class PasskeyLoginForm(FlaskForm):
    """A login with a passkey alone: static/js/passkeys.js fills ``response`` and sends the form."""

    response = HiddenField(
        validators=[DataRequired(), Length(max=20000)], render_kw={"data-passkey-response": ""}
    )
    remember_me = BooleanField(_l("Keep me logged in on this device"))
    submit = SubmitField(_l("Log in with a passkey"))


class SecondStepForm(FlaskForm):
    code = StringField(
        _l("Code from your authenticator app, or a recovery code"),
        validators=[Length(max=40)],
        render_kw={
            "autocomplete": "one-time-code",
            "inputmode": "text",
            "autocapitalize": "none",
            "spellcheck": "false",
        },
    )
    # Filled by static/js/passkeys.js when the person uses a passkey instead of a code.
    response = HiddenField(validators=[Length(max=20000)], render_kw={"data-passkey-response": ""})
    submit = SubmitField(_l("Log in"))


class NewPasswordMixin:
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])
    confirm = PasswordField(
        _l("Password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )


class RegistrationForm(NewPasswordMixin, OrganizationProfileForm):
    email = EmailField(_l("Your email"), validators=[DataRequired(), OneLine(), Email(), Length(max=254)])
    # A honeypot: hidden from people by CSS, filled in by bots that fill every field.
    nickname = StringField(_l("Leave this field empty"))
    submit = SubmitField(_l("Send application"))

    # The order of the page (the organization, then the account), which the error summary follows:
    # the password fields come from a mixin and would otherwise come before the email.
    ACCOUNT_FIELDS = ("email", "password", "confirm", "nickname", "submit")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.ACCOUNT_FIELDS:
            self._fields.move_to_end(name)


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    submit = SubmitField(_l("Send reset link"))


class ResetPasswordForm(NewPasswordMixin, FlaskForm):
    submit = SubmitField(_l("Set new password"))


class AcceptInvitationForm(NewPasswordMixin, FlaskForm):
    submit = SubmitField(_l("Create my account"))
