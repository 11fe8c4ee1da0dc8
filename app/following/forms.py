from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length


class FollowByEmailForm(FlaskForm):
    email = EmailField(_l("Your email address"), validators=[DataRequired(), Length(max=254)])


class ConfirmForm(FlaskForm):
    """How often the visitor hears of it, and the button: following happens on POST only, so a
    mail scanner opening the link changes nothing."""

    frequency = RadioField(
        _l("Send me what happens"),
        choices=[
            SelectChoice("daily", _l("in a daily digest")),
            SelectChoice("weekly", _l("in a weekly digest")),
        ],
        default="weekly",
    )
