from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from app import i18n, transactions
from app.access import member_required, rate_limited
from app.account import bp
from app.account.forms import ChangePasswordForm, InviteForm, LanguageForm, TimeZoneForm
from app.forms.organization import OrganizationProfileForm
from app.i18n import current_locale
from app.models import OrganizationStatus
from app.services import (
    DomainError,
    NotAllowed,
    accounts,
    following,
    going_dark,
    leaving,
    mail,
    membership,
    suggestions,
    translations,
)
from app.services import pledges as pledge_service


@bp.get("/")
@login_required
def dashboard():
    return _render_dashboard(LanguageForm(locale=current_user.locale or current_locale()))


def _render_dashboard(language_form: LanguageForm, time_zone_form: TimeZoneForm | None = None):
    organization = current_user.organization
    # An application (pending or rejected) has no pledges or projects yet, nor can it make any.
    has_solidarity = organization is not None and organization.status in (
        OrganizationStatus.APPROVED,
        OrganizationStatus.SUSPENDED,
    )
    solidarity = pledge_service.dashboard_solidarity(organization) if has_solidarity else None
    campaigns = []
    if solidarity is not None:
        campaigns = [pledge.campaign for pledge in solidarity.pledges]
        campaigns += [link.campaign for project in solidarity.projects for link in project.campaign_links]
    partners = suggestions.partner_suggestions(organization, current_user)
    campaigns += [campaign for partner in partners for campaign in partner.campaigns]
    return render_template(
        "account/dashboard.html",
        organization=organization,
        solidarity=solidarity,
        partners=partners,
        campaign_texts=translations.campaign_texts(campaigns, current_locale()),
        language_form=language_form,
        time_zone_form=time_zone_form or TimeZoneForm(time_zone=current_user.time_zone or ""),
        delisting_reason=going_dark.delisting_reason(organization),
        erase_on=leaving.erasure_date(organization) if organization is not None else None,
        followed=following.follows_of(current_user, current_locale()),
    )


@bp.post("/language")
@login_required
def set_language():
    """Keep a language in the account. The switcher's links only set the cookie: a GET changes
    nothing on the server."""
    form = LanguageForm()
    if not form.validate_on_submit():
        return _render_dashboard(form), 400
    try:
        accounts.set_preferred_locale(current_user, form.locale.data)
    except DomainError as error:
        form.locale.errors.append(str(error))
        return _render_dashboard(form), 400
    flash(_("Your account's language is saved."), "success")
    response = redirect(url_for("account.dashboard"))
    i18n.remember_in_cookie(response, form.locale.data)  # and this browser shows it at once
    return response


@bp.post("/time-zone")
@login_required
def set_time_zone():
    """Keep the time zone the member reads dates in, on pages and in mail."""
    form = TimeZoneForm()
    language_form = LanguageForm(locale=current_user.locale or current_locale())
    if not form.validate_on_submit():
        return _render_dashboard(language_form, form), 400
    try:
        accounts.set_time_zone(current_user, form.time_zone.data)
    except DomainError as error:
        form.time_zone.errors.append(str(error))
        return _render_dashboard(language_form, form), 400
    flash(_("Your account's time zone is saved."), "success")
    return redirect(url_for("account.dashboard"))


@bp.route("/profile", methods=["GET", "POST"])
@member_required
def edit_profile():
    organization = current_user.organization
    if organization.status == OrganizationStatus.SUSPENDED:
        abort(403)
    form = OrganizationProfileForm(obj=organization)
    if request.method == "GET" and organization.proposed_name:
        # The form shows the name asked for: saving it again must not withdraw the request.
        form.name.data = organization.proposed_name
    resubmitting = organization.status == OrganizationStatus.REJECTED
    applying = organization.status == OrganizationStatus.PENDING
    refused = False
    if form.validate_on_submit():
        try:
            if resubmitting:
                membership.resubmit_application(organization, current_user, form.profile_data())
            else:
                membership.update_profile(organization, current_user, form.profile_data())
        except NotAllowed:
            abort(403)
        except membership.NameTooClose as error:
            form.name.errors.append(str(error))
        except DomainError as error:
            flash(str(error), "error")
            refused = True
        else:
            if resubmitting:
                flash(_("Your application has been sent again. A moderator will review it."), "success")
            elif applying:
                flash(_("Your application is saved. A moderator will review it."), "success")
            elif organization.proposed_name:
                flash(
                    _("The profile is saved. Your new name is waiting for review by a moderator."),
                    "success",
                )
            else:
                flash(_("The profile is saved."), "success")
            return redirect(url_for("account.dashboard"))
    return render_template(
        "account/profile.html",
        form=form,
        organization=organization,
        resubmitting=resubmitting,
        applying=applying,
    ), 400 if form.errors or refused else 200


@bp.route("/password", methods=["GET", "POST"])
@login_required
@rate_limited
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current_password.data, form.new_password.data)
        except (accounts.WrongPassword, accounts.AccountLocked) as error:
            transactions.commit_even_if_refused()  # keep the failure counted, as for a failed login
            form.current_password.errors.append(str(error))
        except accounts.WeakPassword as error:
            form.new_password.errors.append(str(error))
        else:
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
        # The same answer whether or not the email already has an account.
        flash(
            _("If %(email)s can be invited, an invitation is on its way.", email=form.email.data), "success"
        )
        return redirect(url_for("account.invite"))
    return render_template("account/invite.html", form=form), 400 if form.errors else 200
