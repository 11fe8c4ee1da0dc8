from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectMultipleField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from app.models import PledgeVisibility, SupportKind
from app.services.pledges import MESSAGE_MAX_LENGTH

SUPPORT_KIND_LABELS = {
    SupportKind.ENDORSEMENT: _l("Endorsement"),
    SupportKind.ADVOCACY: _l("Advocacy"),
    SupportKind.VOLUNTEERS: _l("Volunteers"),
    SupportKind.EXPERTISE: _l("Expertise"),
    SupportKind.FUNDING: _l("Funding"),
    SupportKind.IN_KIND: _l("In-kind support"),
    SupportKind.HOSTING_EVENTS: _l("Hosting events"),
}

# Each choice says in one line who will see the organization's name.
VISIBILITY_CHOICES = [
    SelectChoice(
        PledgeVisibility.PUBLIC.value, _l("Public — your organization is named on the campaign page")
    ),
    SelectChoice(
        PledgeVisibility.MEMBERS.value,
        _l("Members only — named only to logged-in members of approved organizations"),
    ),
    SelectChoice(
        PledgeVisibility.COUNTED.value, _l("Counted only — adds to the numbers, never named anywhere")
    ),
]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PledgeForm(FlaskForm):
    kinds = MultiCheckboxField(
        _l("Kinds of support"),
        choices=[SelectChoice(kind.value, label) for kind, label in SUPPORT_KIND_LABELS.items()],
        validators=[DataRequired(message=_l("Choose at least one kind of support."))],
    )
    message = TextAreaField(_l("Message (optional)"), validators=[Length(max=MESSAGE_MAX_LENGTH)])
    visibility = RadioField(
        _l("Who may see that your organization supports this campaign"),
        choices=VISIBILITY_CHOICES,
        default=PledgeVisibility.PUBLIC.value,
        validators=[DataRequired(message=_l("Choose who may see the pledge."))],
    )
    submit = SubmitField(_l("Pledge support"))
