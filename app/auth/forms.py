from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField, SubmitField
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


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    submit = SubmitField(_l("Send reset link"))


class ResetPasswordForm(NewPasswordMixin, FlaskForm):
    submit = SubmitField(_l("Set new password"))


class AcceptInvitationForm(NewPasswordMixin, FlaskForm):
    submit = SubmitField(_l("Create my account"))
