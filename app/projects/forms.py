from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app import labels
from app.forms import MultiCheckboxField, OneLine
from app.i18n import current_locale
from app.models import ProjectStatus
from app.services import projects as project_service
from app.services.translations import localized_campaigns

STATUS_CHOICES = [SelectChoice(status.value, labels.STATUS[status]) for status in ProjectStatus]


class ProjectForm(FlaskForm):
    """The owner is never a field: it is always the member's own organization."""

    title = StringField(
        _l("Title"), validators=[DataRequired(), Length(max=project_service.TITLE_MAX_LENGTH), OneLine()]
    )
    summary = StringField(
        _l("One-line summary"), validators=[Length(max=project_service.SUMMARY_MAX_LENGTH), OneLine()]
    )
    description = TextAreaField(
        _l("Description"), validators=[Length(max=project_service.DESCRIPTION_MAX_LENGTH)]
    )
    status = RadioField(_l("Status"), choices=STATUS_CHOICES, default=ProjectStatus.PLANNED.value)
    start_date = DateField(_l("Start date"), validators=[Optional()])
    end_date = DateField(_l("End date"), validators=[Optional()])
    place = StringField(_l("Place"), validators=[Length(max=project_service.PLACE_MAX_LENGTH), OneLine()])
    campaigns = MultiCheckboxField(
        _l("Campaigns this project serves"),
        coerce=int,
        validators=[DataRequired(message=_l("Link the project to at least one campaign."))],
    )
    # Which of the linked campaigns show the link publicly; the others show it to members only.
    public_campaigns = MultiCheckboxField(_l("Public links"), coerce=int)
    submit = SubmitField(_l("Save the project"))

    def set_campaign_choices(self, campaigns) -> None:
        # Named in the member's language (one query for all of them).
        shown = localized_campaigns(campaigns, current_locale())
        self.campaigns.choices = [SelectChoice(c.id, c.title) for c in shown]
        self.public_campaigns.choices = list(self.campaigns.choices)

    def validate_end_date(self, field) -> None:
        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError(_l("The end date cannot be before the start date."))

    def service_fields(self) -> dict:
        return {
            "title": self.title.data,
            "summary": self.summary.data,
            "description": self.description.data,
            "status": self.status.data,
            "start_date": self.start_date.data,
            "end_date": self.end_date.data,
            "place": self.place.data,
            "campaign_ids": self.campaigns.data or [],
            "public_campaign_ids": self.public_campaigns.data or [],
        }
