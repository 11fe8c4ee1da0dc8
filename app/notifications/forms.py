from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from app.services import notifications


def settings_form(kinds: tuple[str, ...], current: dict[str, str]) -> FlaskForm:
    """A form with one group of radio buttons per kind of notification the user may receive."""

    class SettingsForm(FlaskForm):
        pass

    for kind in kinds:
        setattr(
            SettingsForm,
            kind,
            RadioField(
                notifications.KIND_LABELS[kind],
                choices=[SelectChoice(value, label) for value, label in notifications.CHOICE_LABELS.items()],
                default=current.get(kind),
                validators=[InputRequired()],
            ),
        )
    return SettingsForm()
