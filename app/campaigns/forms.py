from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from app import labels
from app.forms import MultiCheckboxField
from app.models import PledgeVisibility
from app.services.pledges import MESSAGE_MAX_LENGTH


class PledgeForm(FlaskForm):
    kinds = MultiCheckboxField(
        _l("Kinds of support"),
        choices=[SelectChoice(kind.value, label) for kind, label in labels.SUPPORT_KIND.items()],
        validators=[DataRequired(message=_l("Choose at least one kind of support."))],
    )
    message = TextAreaField(_l("Message (optional)"), validators=[Length(max=MESSAGE_MAX_LENGTH)])
    visibility = RadioField(
        _l("Who may see that your organization supports this campaign"),
        choices=[SelectChoice(value.value, label) for value, label in labels.PLEDGE_VISIBILITY.items()],
        default=PledgeVisibility.PUBLIC.value,
        validators=[DataRequired(message=_l("Choose who may see the pledge."))],
    )
    submit = SubmitField(_l("Pledge support"))
