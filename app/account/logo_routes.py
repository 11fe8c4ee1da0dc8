"""Uploading and removing the organization's logo."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SubmitField

from app import transactions
from app.access import member_required, upload_rate_limited
from app.account import bp
from app.models import OrganizationStatus
from app.services import NotAllowed, logos


class LogoForm(FlaskForm):
    logo = FileField(
        _l("Logo"),
        validators=[FileRequired(_l("Choose an image file."))],
        render_kw={"accept": "image/png,image/jpeg,image/webp,image/gif"},
    )
    submit = SubmitField(_l("Upload the logo"))


class RemoveLogoForm(FlaskForm):
    submit = SubmitField(_l("Remove the logo"))


def _organization_that_may_change_its_logo():
    organization = current_user.organization
    if organization is None or organization.status == OrganizationStatus.SUSPENDED:
        abort(403)
    return organization


@bp.route("/logo", methods=["GET", "POST"])
@member_required
@upload_rate_limited
def logo():
    organization = _organization_that_may_change_its_logo()
    form = LogoForm()
    status = 200
    if form.validate_on_submit():
        try:
            previous = logos.replace_logo(organization, form.logo.data.stream, current_user)
        except NotAllowed:
            status = 403  # the page says why: the email address is not confirmed yet
        except logos.LogoTooLarge:
            abort(413)
        except logos.InvalidLogo as error:
            form.logo.errors.append(str(error))
        else:
            # The old file goes once the new logo is committed, never before.
            transactions.after_commit(lambda: logos.delete_file(previous))
            flash(_("The logo is saved."), "success")
            return redirect(url_for("account.logo"))
    if form.errors:
        status = 400
    return render_template(
        "account/logo.html",
        form=form,
        remove_form=RemoveLogoForm(),
        organization=organization,
        may_upload=logos.may_upload(current_user),
    ), status


@bp.post("/logo/remove")
@member_required
def remove_logo():
    organization = _organization_that_may_change_its_logo()
    form = RemoveLogoForm()
    if not form.validate_on_submit():
        abort(400)
    previous = logos.remove_logo(organization)
    transactions.after_commit(lambda: logos.delete_file(previous))
    flash(_("The logo is removed."), "info")
    return redirect(url_for("account.logo"))
