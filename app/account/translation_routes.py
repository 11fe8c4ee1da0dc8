"""An organization's members write its name and description, and each of its projects' text, in
more languages."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import Length

from app import transactions
from app.access import member_required
from app.account import bp
from app.forms import OneLine
from app.i18n import text_direction
from app.models import OrganizationStatus
from app.services import DomainError, NotAllowed
from app.services import projects as project_service
from app.services import translations as service


class OrganizationTranslationForm(FlaskForm):
    name = StringField(
        _l("Name in this language"), validators=[OneLine(), Length(max=service.NAME_MAX_LENGTH)]
    )
    description = TextAreaField(
        _l("Description"), validators=[Length(max=service.ORGANIZATION_DESCRIPTION_MAX_LENGTH)]
    )
    submit = SubmitField(_l("Save description"))


class ProjectTranslationForm(FlaskForm):
    title = StringField(_l("Title"), validators=[OneLine(), Length(max=service.PROJECT_TITLE_MAX_LENGTH)])
    summary = StringField(
        _l("Summary"), validators=[OneLine(), Length(max=service.PROJECT_SUMMARY_MAX_LENGTH)]
    )
    description = TextAreaField(
        _l("Description"), validators=[Length(max=service.PROJECT_DESCRIPTION_MAX_LENGTH)]
    )
    submit = SubmitField(_l("Save the translation"))


@bp.route("/translations/<locale>", methods=["GET", "POST"])
@member_required
def organization_translation(locale: str):
    if locale not in service.organization_translation_locales():
        abort(404)
    organization = current_user.organization
    if organization.status == OrganizationStatus.SUSPENDED:
        abort(403)  # the profile's rule: a suspended organization publishes nothing
    existing = service.organization_translation(organization, locale)
    form = OrganizationTranslationForm(obj=existing)
    if not form.is_submitted() and existing is not None and existing.proposed_name:
        form.name.data = existing.proposed_name
    if form.validate_on_submit():
        try:
            saved = service.save_organization_translation(
                current_user,
                organization,
                locale,
                description=form.description.data,
                name=form.name.data or "",
            )
        except NotAllowed:
            abort(403)
        except service.InvalidName as error:
            transactions.refused()  # the form is shown again with a 200
            form.name.errors.append(str(error))
        except DomainError as error:
            transactions.refused()  # the form is shown again with a 200
            form.description.errors.append(str(error))
        else:
            if saved is None:
                flash(_("The description in this language was removed."), "success")
            elif saved.proposed_name:
                flash(
                    _("Saved. Your name in this language is shown once a moderator approves it."), "success"
                )
            else:
                flash(_("The description was saved."), "success")
            return redirect(url_for(".organization_translation", locale=locale))
    # The fields hold text in the target language, whatever the page's language.
    for field in (form.name, form.description):
        field.render_kw = {"lang": locale, "dir": text_direction(locale)}
    return render_template(
        "account/translations/organization.html",
        organization=organization,
        locale=locale,
        form=form,
        translated=existing is not None,
        translation=existing,
        locales=service.organization_translation_locales(),
    )


@bp.route("/projects/<int:project_id>/translations/<locale>", methods=["GET", "POST"])
@member_required
def project_translation(project_id: int, locale: str):
    if locale not in service.project_translation_locales():
        abort(404)
    project = project_service.project_for_owner(project_id, current_user)
    if project is None:
        abort(404)
    if not current_user.is_approved_member:
        abort(403)  # as for the project itself: a suspended organization publishes nothing
    existing = service.project_translation(project, locale)
    form = ProjectTranslationForm(obj=existing)
    if form.validate_on_submit():
        try:
            saved = service.save_project_translation(
                current_user,
                project,
                locale,
                title=form.title.data,
                summary=form.summary.data,
                description=form.description.data,
            )
        except NotAllowed:
            abort(403)
        except DomainError as error:
            transactions.refused()  # the form is shown again with a 200
            form.title.errors.append(str(error))
        else:
            if saved is None:
                flash(_("The project's text in this language was removed."), "success")
            else:
                flash(_("The project's text in this language was saved."), "success")
            return redirect(url_for(".project_translation", project_id=project.id, locale=locale))
    for field in (form.title, form.summary, form.description):
        field.render_kw = {"lang": locale, "dir": text_direction(locale)}
    return render_template(
        "account/translations/project.html",
        project=project,
        locale=locale,
        form=form,
        translated=existing is not None,
        locales=service.project_translation_locales(),
    )
