"""Forms and fields shared by more than one area (blueprint)."""

import re

from flask_babel import gettext as _
from wtforms import IntegerField, SelectMultipleField
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from app.services.text import ascii_digits, one_line_problem

# Digits only, with an optional minus sign; far below what any column holds.
_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,15}")


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


class WholeNumberField(IntegerField):
    """A whole number typed in ASCII, Arabic-Indic or Persian digits.

    Shown as a text input with a numeric keyboard: browsers refuse Eastern digits in an
    ``<input type="number">``. Read by a strict pattern rather than ``int()``, which would also
    take signs, spaces inside, underscores and full-width or other scripts' digits.
    """

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs["render_kw"] = {"inputmode": "numeric", **(kwargs.get("render_kw") or {})}
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = ascii_digits(valuelist[0].strip())
        if not text:
            self.data = None  # empty: the Optional / DataRequired validators decide
            return
        if not _WHOLE_NUMBER.fullmatch(text):
            self.data = None
            raise ValueError(_("Please type a whole number, in digits."))
        self.data = int(text)
