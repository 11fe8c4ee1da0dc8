"""The second step of a login, and logging in with a passkey alone."""

from __future__ import annotations

import contextlib

from flask import abort, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import ceremony, transactions
from app.access import rate_limited
from app.auth import bp
from app.auth.forms import PasskeyLoginForm, SecondStepForm
from app.auth.routes import finish_login, landing_endpoint
from app.services import accounts, mail, two_factor
from app.urls import safe_next_url


@bp.route("/login/second-step", methods=["GET", "POST"])
@rate_limited
def second_step():
    if current_user.is_authenticated:
        return redirect(url_for("account.dashboard"))
    pending = ceremony.pending_login()
    if pending is None:
        flash(_("Your login has expired. Please log in again."), "info")
        return redirect(url_for("auth.login"))
    user, state = pending
    form = SecondStepForm()
    if form.validate_on_submit():
        challenge = None
        if not (form.code.data or "").strip() and not form.response.data:
            form.code.errors.append(_("Type the code from your authenticator app, or a recovery code."))
            return render_template("auth/second_step.html", form=form, has_passkeys=bool(user.passkeys)), 400
        if form.response.data:
            taken = ceremony.take_challenge(ceremony.SECOND_STEP)
            challenge = taken[0] if taken else None
        try:
            method = two_factor.verify_second_factor(
                user,
                code=form.code.data or "",
                passkey_response=form.response.data or "",
                challenge=challenge,
            )
        except accounts.AccountLocked as error:
            if error.just_locked:
                # The password was right and the codes wrong: someone knows the password.
                # Queued in the request: it leaves after the commit (the outbox).
                mail.send_two_factor_changed(user, "locked")
            transactions.commit_even_if_refused()  # keep the failure counted
            ceremony.end_pending_login()
            flash(str(error), "error")
            return redirect(url_for("auth.login"))
        except two_factor.WrongCode as error:
            transactions.commit_even_if_refused()  # keep the failure counted
            form.code.errors.append(str(error))
        else:
            ceremony.end_pending_login()
            if method == two_factor.RECOVERY_CODE:
                # Queued in the request: it leaves after the commit (the outbox).
                mail.send_recovery_code_used(user, two_factor.unused_recovery_codes(user))
            return finish_login(user, state["remember"], method, state["next"])
    return render_template(
        "auth/second_step.html", form=form, has_passkeys=bool(user.passkeys)
    ), 400 if form.errors else 200


@bp.post("/login/second-step/passkey")
def second_step_passkey_options():
    """The options for navigator.credentials.get as a second factor (JSON)."""
    pending = ceremony.pending_login()
    if current_user.is_authenticated or pending is None:
        return jsonify(error=_("Your login has expired. Please log in again.")), 400
    user, _state = pending
    found = two_factor.authentication_ceremony(user)
    ceremony.keep_challenge(ceremony.SECOND_STEP, found.challenge)
    return jsonify(two_factor.ceremony_json(found))


@bp.post("/passkey/options")
def passkey_options():
    """The options for navigator.credentials.get for a login with a passkey alone (JSON)."""
    if current_user.is_authenticated:
        return jsonify(error=_("You are already logged in.")), 400
    found = two_factor.authentication_ceremony()
    ceremony.keep_challenge(ceremony.PASSWORDLESS, found.challenge)
    return jsonify(two_factor.ceremony_json(found))


@bp.post("/passkey")
@rate_limited
def passkey_login():
    """A login with a passkey alone; the passkey must have checked its holder (PIN, biometrics)."""
    if current_user.is_authenticated:
        return redirect(url_for("account.dashboard"))
    form = PasskeyLoginForm(prefix="passkey")
    if not form.validate_on_submit():
        abort(400)
    taken = ceremony.take_challenge(ceremony.PASSWORDLESS)
    owner = two_factor.passkey_owner(form.response.data)
    refused = _("This passkey was not accepted. Log in with your email and password instead.")
    if taken is None or owner is None:
        flash(refused, "error")
        return redirect(url_for("auth.login")), 303
    try:
        accounts.check_not_locked(owner)
        two_factor.verify_passkey(form.response.data, taken[0])
    except accounts.AccountLocked as error:
        flash(str(error), "error")
        return redirect(url_for("auth.login")), 303
    except two_factor.PasskeyError:
        with contextlib.suppress(accounts.AccountLocked):  # the next attempt is told
            accounts.count_failure(owner)
        transactions.commit_even_if_refused()  # keep the failure counted
        flash(refused, "error")
        return redirect(url_for("auth.login")), 303
    ceremony.end_pending_login()
    return finish_login(
        owner, bool(form.remember_me.data), "passwordless", safe_next_url(landing_endpoint(owner))
    )
