from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms.validators import DataRequired, Length


class FollowByEmailForm(FlaskForm):
    email = EmailField(_l("Your email address"), validators=[DataRequired(), Length(max=254)])


class ConfirmForm(FlaskForm):
    """A button (and its CSRF token): following or unsubscribing happens on POST only, so a
    mail scanner opening the link changes nothing."""
