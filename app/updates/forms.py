from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.forms import OneLine
from app.services import updates as update_service
from app.services.checks import REASON_MAX_LENGTH

# The interface languages (config LANGUAGES): one title and body each, any of them may be left empty.
UPDATE_LANGUAGES = ("en", "ar", "ckb", "fr")


class UpdateForm(FlaskForm):
    """An update's words in each language (at least one; the service says so) and, on a
    campaign, the project it points to."""

    project_id = SelectField(
        _l("About a project (optional)"), choices=[], validators=[Optional()], coerce=str
    )

    def set_project_choices(self, projects) -> None:
        self.project_id.choices = [SelectChoice("", _l("No project"))] + [
            SelectChoice(str(p.id), p.title) for p in projects
        ]

    def texts(self) -> dict[str, tuple[str | None, str | None]]:
        return {
            locale: (getattr(self, f"title_{locale}").data, getattr(self, f"body_{locale}").data)
            for locale in UPDATE_LANGUAGES
        }

    def language_fields(self):
        return [
            (locale, getattr(self, f"title_{locale}"), getattr(self, f"body_{locale}"))
            for locale in UPDATE_LANGUAGES
        ]

    def chosen_project_id(self) -> int | None:
        value = self.project_id.data or ""
        return int(value) if value.isdigit() else None

    def fill_from(self, update) -> None:
        for text in update.texts:
            if text.locale in UPDATE_LANGUAGES:
                getattr(self, f"title_{text.locale}").data = text.title
                getattr(self, f"body_{text.locale}").data = text.body
        self.project_id.data = str(update.project_id or "")


for _locale in UPDATE_LANGUAGES:
    setattr(
        UpdateForm,
        f"title_{_locale}",
        StringField(_l("Title"), validators=[Length(max=update_service.TITLE_MAX_LENGTH), OneLine()]),
    )
    setattr(
        UpdateForm,
        f"body_{_locale}",
        TextAreaField(_l("Text (Markdown)"), validators=[Length(max=update_service.BODY_MAX_LENGTH)]),
    )


class DeleteUpdateForm(FlaskForm):
    reason = TextAreaField(
        _l("Why is it deleted?"), validators=[DataRequired(), Length(max=REASON_MAX_LENGTH)]
    )


class CoordinatorForm(FlaskForm):
    organization_id = SelectField(_l("Organization"), choices=[], coerce=str, validators=[DataRequired()])
