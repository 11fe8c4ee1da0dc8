"""An organization's members write its description in more languages."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SubmitField, TextAreaField
from wtforms.validators import Length

from app import transactions
from app.access import member_required
from app.account import bp
from app.i18n import text_direction
from app.models import OrganizationStatus
from app.services import DomainError, NotAllowed
from app.services import translations as service


class OrganizationTranslationForm(FlaskForm):
    description = TextAreaField(
        _l("Description"), validators=[Length(max=service.ORGANIZATION_DESCRIPTION_MAX_LENGTH)]
    )
    submit = SubmitField(_l("Save description"))


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
    if form.validate_on_submit():
        try:
            saved = service.save_organization_translation(
                current_user, organization, locale, description=form.description.data
            )
        except NotAllowed:
            abort(403)
        except DomainError as error:
            transactions.refused()  # the form is shown again with a 200
            form.description.errors.append(str(error))
        else:
            if saved is None:
                flash(_("The description in this language was removed."), "success")
            else:
                flash(_("The description was saved."), "success")
            return redirect(url_for(".organization_translation", locale=locale))
    # The fields hold text in the target language, whatever the page's language.
    for field in (form.description,):
        field.render_kw = {"lang": locale, "dir": text_direction(locale)}
    return render_template(
        "account/translations/organization.html",
        organization=organization,
        locale=locale,
        form=form,
        translated=existing is not None,
        locales=service.organization_translation_locales(),
    )
