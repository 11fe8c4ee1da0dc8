"""Forms and fields shared by more than one area (blueprint)."""

from wtforms import SelectMultipleField
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.services.text import one_line_problem


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class OneLine:
    """Validator: the field's text passes ``one_line_problem`` (no line break, control,
    zero-width or direction-control character)."""

    def __call__(self, form, field) -> None:
        problem = one_line_problem(field.data if isinstance(field.data, str) else None)
        if problem:
            raise ValidationError(problem)
