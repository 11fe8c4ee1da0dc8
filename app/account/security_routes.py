"""Two-factor login in a member's account: the authenticator app, passkeys, recovery codes,
and an organization's rule that all its members use it."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import ceremony, transactions
from app.access import rate_limited
from app.account import bp
from app.account.security_forms import (
    AddAuthenticatorForm,
    AddPasskeyForm,
    ConfirmFactorForm,
    OrganizationTwoFactorForm,
)
from app.services import NotAllowed, accounts, mail, two_factor

REMOVE_TOTP = "remove-authenticator"
RENEW_CODES = "recovery-codes"
ADD_PASSKEY = "add-passkey"
ORGANIZATION = "organization"


def remove_passkey_prefix(passkey_id: int) -> str:
    return f"remove-passkey-{passkey_id}"


def _page(status: int = 200, **forms):
    user = current_user
    factors = two_factor.factors_of(user)
    # Only the owner sets the organization's rule.
    organization = user.organization if user.is_owner else None
    context = {
        "remove_totp_form": forms.get(REMOVE_TOTP) or ConfirmFactorForm(prefix=REMOVE_TOTP),
        "renew_codes_form": forms.get(RENEW_CODES) or ConfirmFactorForm(prefix=RENEW_CODES),
        "add_passkey_form": forms.get(ADD_PASSKEY) or AddPasskeyForm(prefix=ADD_PASSKEY),
        "remove_passkey_forms": {
            p.id: forms.get(remove_passkey_prefix(p.id))
            or ConfirmFactorForm(prefix=remove_passkey_prefix(p.id))
            for p in factors.passkeys
        },
        "organization_form": forms.get(ORGANIZATION)
        or OrganizationTwoFactorForm(
            prefix=ORGANIZATION, required=organization is not None and organization.require_two_factor
        ),
    }
    return render_template(
        "account/security.html", factors=factors, organization=organization, **context
    ), status


def _recovery_codes_page(codes: list[str]):
    return render_template("account/recovery_codes.html", codes=codes)


def _confirm(form: ConfirmFactorForm) -> bool:
    """Check the password and second factor of a confirmation form; errors go on the form."""
    challenge = None
    if form.response.data:
        taken = ceremony.take_challenge(ceremony.CONFIRM)
        challenge = taken[0] if taken else None
    elif not (form.code.data or "").strip():
        form.code.errors.append(_("Type the code from your authenticator app, or a recovery code."))
        return False
    try:
        method = two_factor.confirm_with_password_and_factor(
            current_user,
            form.password.data,
            code=form.code.data or "",
            passkey_response=form.response.data or "",
            challenge=challenge,
        )
    except accounts.WrongPassword as error:
        transactions.commit_even_if_refused()  # the failure counts, as for a login
        form.password.errors.append(str(error))
        return False
    except (two_factor.WrongCode, accounts.AccountLocked) as error:
        transactions.commit_even_if_refused()
        form.code.errors.append(str(error))
        return False
    # The code is spent (and a used recovery code logged) whatever the change then does: kept
    # even if the change is refused. The mail leaves after the commit (the outbox).
    if method == two_factor.RECOVERY_CODE:
        mail.send_recovery_code_used(current_user, two_factor.unused_recovery_codes(current_user))
    transactions.commit_even_if_refused()
    return True


@bp.get("/security")
@login_required
def security():
    return _page()


@bp.route("/security/authenticator", methods=["GET", "POST"])
@login_required
@rate_limited
def setup_authenticator():
    if current_user.totp_secret is not None:
        flash(_("Your authenticator app is already set up."), "info")
        return redirect(url_for("account.security"))
    secret = ceremony.totp_secret_being_set_up(two_factor.new_totp_secret)
    form = AddAuthenticatorForm()
    if form.validate_on_submit():
        try:
            two_factor.check_password(current_user, form.password.data)
            codes = two_factor.enable_totp(current_user, secret, form.code.data)
        except (accounts.WrongPassword, accounts.AccountLocked) as error:
            transactions.commit_even_if_refused()  # the failure counts, as for a login
            form.password.errors.append(str(error))
        except two_factor.WrongCode as error:
            form.code.errors.append(str(error))
        else:
            mail.send_two_factor_changed(current_user, "app_added")  # sent after the commit
            ceremony.end_totp_setup()
            if codes:
                flash(_("Two-factor login is on. Keep your recovery codes now."), "success")
                return _recovery_codes_page(codes)
            flash(_("Your authenticator app is set up."), "success")
            return redirect(url_for("account.security"))
    uri = two_factor.totp_uri(current_user, secret)
    return render_template(
        "account/authenticator.html",
        form=form,
        qr_code=two_factor.qr_code_data_uri(uri),
        secret=two_factor.grouped_secret(secret),
    ), 400 if form.errors else 200


@bp.post("/security/authenticator/remove")
@login_required
@rate_limited
def remove_authenticator():
    form = ConfirmFactorForm(prefix=REMOVE_TOTP)
    if not (form.validate_on_submit() and _confirm(form)):
        return _page(400, **{REMOVE_TOTP: form})
    try:
        two_factor.remove_totp(current_user)
    except two_factor.LastFactorRequired as error:
        form.code.errors.append(str(error))
        return _page(400, **{REMOVE_TOTP: form})
    mail.send_two_factor_changed(current_user, "app_removed")  # sent after the commit
    flash(_("The authenticator app is removed from your account."), "success")
    return redirect(url_for("account.security"))


@bp.post("/security/passkeys/options")
@login_required
def passkey_registration_options():
    """The options for navigator.credentials.create (JSON)."""
    found = two_factor.registration_ceremony(current_user)
    ceremony.keep_challenge(ceremony.REGISTER, found.challenge, user_handle=found.user_handle)
    return jsonify(two_factor.ceremony_json(found))


@bp.post("/security/passkeys")
@login_required
@rate_limited
def add_passkey():
    form = AddPasskeyForm(prefix=ADD_PASSKEY)
    if not form.validate_on_submit():
        return _page(400, **{ADD_PASSKEY: form})
    taken = ceremony.take_challenge(ceremony.REGISTER)
    try:
        two_factor.check_password(current_user, form.password.data)
    except (accounts.WrongPassword, accounts.AccountLocked) as error:
        transactions.commit_even_if_refused()  # the failure counts, as for a login
        form.password.errors.append(str(error))
        return _page(400, **{ADD_PASSKEY: form})
    if taken is None:
        form.response.errors.append(_("This took too long. Please try again."))
        return _page(400, **{ADD_PASSKEY: form})
    challenge, handle = taken
    try:
        _passkey, codes = two_factor.add_passkey(
            current_user, form.response.data, challenge, handle, form.name.data
        )
    except two_factor.PasskeyError as error:
        form.response.errors.append(str(error))
        return _page(400, **{ADD_PASSKEY: form})
    mail.send_two_factor_changed(current_user, "passkey_added")  # sent after the commit
    if codes:
        flash(_("Two-factor login is on. Keep your recovery codes now."), "success")
        return _recovery_codes_page(codes)
    flash(_("The passkey is added."), "success")
    return redirect(url_for("account.security"))


@bp.post("/security/passkeys/<int:passkey_id>/remove")
@login_required
@rate_limited
def remove_passkey(passkey_id: int):
    if passkey_id not in {p.id for p in current_user.passkeys}:
        abort(404)
    prefix = remove_passkey_prefix(passkey_id)
    form = ConfirmFactorForm(prefix=prefix)
    if not (form.validate_on_submit() and _confirm(form)):
        return _page(400, **{prefix: form})
    try:
        two_factor.remove_passkey(current_user, passkey_id)
    except two_factor.LastFactorRequired as error:
        form.code.errors.append(str(error))
        return _page(400, **{prefix: form})
    except NotAllowed:
        abort(404)
    mail.send_two_factor_changed(current_user, "passkey_removed")  # sent after the commit
    flash(_("The passkey is removed from your account."), "success")
    return redirect(url_for("account.security"))


@bp.post("/security/confirm/passkey")
@login_required
def confirmation_options():
    """The options for navigator.credentials.get to confirm a change with a passkey (JSON)."""
    if not current_user.passkeys:
        return jsonify(error=_("You have no passkey.")), 400
    found = two_factor.authentication_ceremony(current_user)
    ceremony.keep_challenge(ceremony.CONFIRM, found.challenge)
    return jsonify(two_factor.ceremony_json(found))


@bp.post("/security/recovery-codes")
@login_required
@rate_limited
def renew_recovery_codes():
    if not current_user.has_two_factor:
        abort(404)
    form = ConfirmFactorForm(prefix=RENEW_CODES)
    if not (form.validate_on_submit() and _confirm(form)):
        return _page(400, **{RENEW_CODES: form})
    codes = two_factor.new_recovery_codes(current_user)
    mail.send_two_factor_changed(current_user, "codes_renewed")  # sent after the commit
    flash(_("Here are your new recovery codes; the old ones no longer work."), "success")
    return _recovery_codes_page(codes)


@bp.post("/security/organization")
@login_required
@rate_limited
def organization_two_factor():
    organization = current_user.organization
    if organization is None or not current_user.is_owner:
        abort(403)
    form = OrganizationTwoFactorForm(prefix=ORGANIZATION)
    if not form.validate_on_submit():
        return _page(400, **{ORGANIZATION: form})
    try:
        two_factor.check_password(current_user, form.password.data)
    except (accounts.WrongPassword, accounts.AccountLocked) as error:
        transactions.commit_even_if_refused()  # the failure counts, as for a login
        form.password.errors.append(str(error))
        return _page(400, **{ORGANIZATION: form})
    try:
        two_factor.set_organization_requirement(current_user, organization, bool(form.required.data))
    except NotAllowed as error:
        form.required.errors.append(str(error))
        return _page(400, **{ORGANIZATION: form})
    if form.required.data:
        flash(_("Every member of your organization now logs in with a second factor."), "success")
    else:
        flash(_("A second factor is now each member's own choice."), "success")
    return redirect(url_for("account.security"))
