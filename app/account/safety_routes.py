"""Safety and the organization's data: going dark and coming back, the export, leaving."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, logout_user

from app import transactions
from app.access import member_required, rate_limited
from app.account import bp
from app.account.forms import (
    ComeBackForm,
    DeleteAccountForm,
    DeleteOrganizationForm,
    ExportForm,
    GoDarkForm,
    RestoreOrganizationForm,
)
from app.dates import format_date
from app.models import Organization
from app.services import DomainError, NotAllowed, accounts, export, going_dark, leaving, mail
from app.services.going_dark import check_owner


def _owned_organization() -> Organization:
    """The current user's organization, if they are one of its owners (else 403)."""
    organization = current_user.organization
    try:
        check_owner(organization, current_user)
    except NotAllowed:
        abort(403)
    return organization


def _password_refused(form, error) -> None:
    transactions.commit_even_if_refused()  # keep the failure counted, as for a failed login
    form.password.errors.append(str(error))


# --- Going dark --------------------------------------------------------------------------------


def _render_dark(organization, dark_form=None, back_form=None, status=200):
    return render_template(
        "account/dark.html",
        organization=organization,
        dark_form=dark_form or GoDarkForm(),
        back_form=back_form or ComeBackForm(),
    ), status


@bp.route("/dark", methods=["GET", "POST"])
@member_required
def go_dark():
    """Out of public view in one confirmed step: the page says what happens, the box confirms."""
    organization = _owned_organization()
    form = GoDarkForm()
    if not form.validate_on_submit():
        return _render_dark(organization, dark_form=form, status=400 if form.is_submitted() else 200)
    try:
        going_dark.go_dark(organization, current_user)
    except NotAllowed:
        abort(403)
    except DomainError as error:
        form.confirm.errors.append(str(error))
        return _render_dark(organization, dark_form=form, status=400)
    going_dark.tell_moderators(organization, "dark")
    going_dark.tell_members(organization, "dark")  # the mail leaves after the request's commit
    flash(_("Your organization is out of public view. Nobody outside it can find it on the site."), "success")
    return redirect(url_for("account.go_dark"))


@bp.post("/dark/back")
@member_required
@rate_limited
def come_back():
    organization = _owned_organization()
    form = ComeBackForm()
    if not form.validate_on_submit():
        return _render_dark(organization, back_form=form, status=400)
    try:
        going_dark.come_back(organization, current_user, form.password.data)
    except (accounts.WrongPassword, accounts.AccountLocked) as error:
        _password_refused(form, error)
        return _render_dark(organization, back_form=form, status=400)
    except DomainError as error:
        form.password.errors.append(str(error))
        return _render_dark(organization, back_form=form, status=400)
    going_dark.tell_moderators(organization, "back")
    going_dark.tell_members(organization, "back")
    flash(_("Your organization is back in public view."), "success")
    return redirect(url_for("account.go_dark"))


# --- The export --------------------------------------------------------------------------------


@bp.route("/export", methods=["GET", "POST"])
@member_required
@rate_limited
def export_data():
    """An owner downloads everything the site holds about the organization and its people."""
    organization = _owned_organization()
    form = ExportForm()
    if form.validate_on_submit():
        try:
            accounts.check_current_password(current_user, form.password.data, purpose="data export")
        except (accounts.WrongPassword, accounts.AccountLocked) as error:
            _password_refused(form, error)
        else:
            archive = export.build_archive(organization)
            accounts.security_log.info(
                "organization %s: data exported by user %s", organization.id, current_user.id
            )
            response = Response(archive.data, mimetype="application/zip")
            response.headers["Content-Disposition"] = f'attachment; filename="{archive.filename}"'
            response.headers["Cache-Control"] = "no-store"
            return response
    status = 400 if form.errors else 200
    return render_template(
        "account/export.html", form=form, organization=organization, sections=export.SECTIONS.values()
    ), status


# --- Leaving -----------------------------------------------------------------------------------


def _render_delete_organization(organization, form=None, restore_form=None, status=200):
    erase_on = leaving.erasure_date(organization)
    return render_template(
        "account/delete_organization.html",
        organization=organization,
        form=form or DeleteOrganizationForm(),
        restore_form=restore_form or RestoreOrganizationForm(),
        erase_on=erase_on,
        grace_days=leaving.grace_period().days,
    ), status


@bp.route("/organization/delete", methods=["GET", "POST"])
@member_required
@rate_limited
def delete_organization():
    organization = _owned_organization()
    form = DeleteOrganizationForm()
    if not form.validate_on_submit():
        return _render_delete_organization(organization, form, status=400 if form.errors else 200)
    try:
        erase_on = leaving.request_deletion(organization, current_user, form.password.data)
    except (accounts.WrongPassword, accounts.AccountLocked) as error:
        _password_refused(form, error)
        return _render_delete_organization(organization, form, status=400)
    except DomainError as error:
        form.password.errors.append(str(error))
        return _render_delete_organization(organization, form, status=400)
    going_dark.tell_moderators(organization, "deletion", erase_on=erase_on)
    mail.send_decision(
        organization,
        "organization_deletion",
        _l("Your organization will be deleted from Tadamun"),
        erase_on=erase_on,
    )
    flash(
        _(
            "Your organization will be erased on %(date)s. Until then an owner can restore it.",
            date=format_date(erase_on, "long"),
        ),
        "success",
    )
    return redirect(url_for("account.delete_organization"))


@bp.post("/organization/restore")
@member_required
@rate_limited
def restore_organization():
    organization = _owned_organization()
    form = RestoreOrganizationForm()
    if not form.validate_on_submit():
        return _render_delete_organization(organization, restore_form=form, status=400)
    try:
        leaving.cancel_deletion(organization, current_user, form.password.data)
    except (accounts.WrongPassword, accounts.AccountLocked) as error:
        _password_refused(form, error)
        return _render_delete_organization(organization, restore_form=form, status=400)
    except DomainError as error:
        form.password.errors.append(str(error))
        return _render_delete_organization(organization, restore_form=form, status=400)
    going_dark.tell_moderators(organization, "deletion_cancelled")
    mail.send_decision(
        organization, "organization_deletion_cancelled", _l("The deletion of your organization is cancelled")
    )
    flash(_("Your organization is restored: nothing will be erased."), "success")
    return redirect(url_for("account.dashboard"))


@bp.route("/delete", methods=["GET", "POST"])
@login_required
@rate_limited
def delete_account():
    """Delete one's own account (password and a ticked box); the last owner names a successor."""
    colleagues = leaving.colleagues(current_user)
    naming = leaving.must_name_owner(current_user)
    form = DeleteAccountForm()
    form.new_owner.choices = [(0, _("Choose a colleague"))] + [(user.id, user.email) for user in colleagues]
    last_person = current_user.organization_id is not None and not colleagues
    if form.validate_on_submit():
        try:
            leaving.delete_account(current_user, form.password.data, form.new_owner.data or None)
        except (accounts.WrongPassword, accounts.AccountLocked) as error:
            _password_refused(form, error)
        except leaving.NewOwnerNeeded as error:
            form.new_owner.errors.append(str(error))
        except DomainError as error:  # the last admin, the last person, not a colleague
            form.password.errors.append(str(error))
        else:
            logout_user()
            flash(_("Your account is deleted. Thank you for having been part of the network."), "success")
            return redirect(url_for("main.home"))
    return render_template(
        "account/delete_account.html",
        form=form,
        naming=naming,
        last_person=last_person,
    ), 400 if form.errors else 200
