from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from app.account.forms import (
    KIND_LABELS,
    VISIBILITY_HELP,
    ChangePasswordForm,
    InviteForm,
    OrganizationProfileForm,
)
from app.auth.decorators import member_required, rate_limited
from app.extensions import db
from app.models import OrganizationStatus
from app.services import DomainError, NotAllowed, accounts, mail, membership

bp = Blueprint("account", __name__)


@bp.get("/")
@login_required
def dashboard():
    return render_template(
        "account/dashboard.html", organization=current_user.organization, kinds=KIND_LABELS
    )


@bp.route("/profile", methods=["GET", "POST"])
@member_required
def edit_profile():
    organization = current_user.organization
    if organization.status == OrganizationStatus.SUSPENDED:
        abort(403)
    form = OrganizationProfileForm(obj=organization)
    resubmitting = organization.status == OrganizationStatus.REJECTED
    if form.validate_on_submit():
        try:
            if resubmitting:
                membership.resubmit_application(organization, current_user, form.profile_data())
            else:
                membership.update_profile(organization, current_user, form.profile_data())
        except NotAllowed:
            db.session.rollback()
            abort(403)
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            if resubmitting:
                flash(_("Your application has been sent again. A moderator will review it."), "success")
            else:
                flash(_("The profile is saved."), "success")
            return redirect(url_for("account.dashboard"))
    return render_template(
        "account/profile.html",
        form=form,
        organization=organization,
        resubmitting=resubmitting,
        visibility_help=VISIBILITY_HELP,
    ), 400 if form.errors else 200


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current_password.data, form.new_password.data)
        except accounts.WeakPassword as error:
            db.session.rollback()
            form.new_password.errors.append(str(error))
        except DomainError as error:
            db.session.rollback()
            form.current_password.errors.append(str(error))
        else:
            db.session.commit()
            # Every session has ended, this one too: log in again with the new password.
            logout_user()
            flash(_("Your password is changed. Please log in with the new one."), "success")
            return redirect(url_for("auth.login"))
    return render_template("account/password.html", form=form), 400 if form.errors else 200


@bp.route("/invite", methods=["GET", "POST"])
@member_required
@rate_limited
def invite():
    if not (current_user.is_owner and current_user.is_approved_member):
        abort(403)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            token = membership.create_invitation(current_user, form.email.data)
        except NotAllowed:
            abort(403)
        if token is not None:
            mail.send_invitation(current_user, form.email.data.strip().lower(), token)
            db.session.commit()
        # The same answer whether or not the email already has an account.
        flash(
            _("If %(email)s can be invited, an invitation is on its way.", email=form.email.data), "success"
        )
        return redirect(url_for("account.invite"))
    return render_template("account/invite.html", form=form), 400 if form.errors else 200
