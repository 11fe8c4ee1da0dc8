"""Form fields shared by the areas' forms."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from wtforms import IntegerField
from wtforms.widgets import TextInput

from app.services.text import ascii_digits

# Digits only, with an optional minus sign; far below what any column holds.
_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,15}")


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
