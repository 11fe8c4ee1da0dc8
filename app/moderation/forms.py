from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.services.checks import REASON_MAX_LENGTH


class ReasonForm(FlaskForm):
    """Reject or suspend: a reason is required, and the organization will read it."""

    reason = TextAreaField(
        _l("Reason (the organization will see it)"),
        validators=[DataRequired(), Length(max=REASON_MAX_LENGTH)],
    )
    submit = SubmitField(_l("Confirm"))


class NoteForm(FlaskForm):
    """Approve or reinstate: an optional note for the log."""

    reason = TextAreaField(
        _l("Note for the log (optional)"), validators=[Optional(), Length(max=REASON_MAX_LENGTH)]
    )
    submit = SubmitField(_l("Confirm"))
