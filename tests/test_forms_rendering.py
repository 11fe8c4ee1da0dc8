"""The form macros write each radio and checkbox choice themselves (templates/_macros/forms.html,
``choice``): exactly what WTForms' own widgets write, for every such field of every form."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from flask_wtf import FlaskForm

import app as app_package


def all_forms() -> list[type[FlaskForm]]:
    for module in pkgutil.walk_packages(app_package.__path__, "app."):
        importlib.import_module(module.name)
    found, waiting = [], list(FlaskForm.__subclasses__())
    while waiting:
        form = waiting.pop()
        waiting.extend(form.__subclasses__())
        if form.__module__.startswith("app."):
            found.append(form)
    return sorted(found, key=lambda form: form.__qualname__)


def choices_of(form: FlaskForm):
    for field in form:
        if not hasattr(field, "iter_choices") or field.type not in ("RadioField", "MultiCheckboxField"):
            continue
        for option in field:
            yield field, option


def test_the_check_sees_the_pledge_forms_choices(app):
    from app.campaigns.forms import PledgeForm

    assert PledgeForm in all_forms()
    with app.test_request_context("/"):
        names = {field.name for field, _option in choices_of(PledgeForm(meta={"csrf": False}))}
    assert names == {"kinds", "visibility"}


@pytest.mark.parametrize("form_class", all_forms(), ids=lambda form: form.__qualname__)
def test_the_choice_macro_writes_what_the_widgets_write(app, form_class):
    with app.test_request_context("/"):
        try:
            form = form_class(meta={"csrf": False})
        except TypeError:
            pytest.skip("built with arguments of its own")
        macros = app.jinja_env.get_template("_macros/forms.html").module
        for field, option in choices_of(form):
            for checked in (False, True):
                option.checked = checked
                widget = f"{option()} {option.label}"
                assert str(macros.choice(option, option.widget.input_type)) == widget, field.name
