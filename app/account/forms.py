"""The account's own forms: a new password, an invitation. The profile form is shared
(``app.forms.organization``)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=1024)])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=1024)])
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two passwords differ."))],
    )
    submit = SubmitField(_l("Change password"))


class InviteForm(FlaskForm):
    email = EmailField(_l("Colleague's email"), validators=[DataRequired(), Email(), Length(max=254)])
    submit = SubmitField(_l("Send invitation"))
