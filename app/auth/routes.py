from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from app import ceremony, security, transactions
from app.access import hold_until_second_factor, rate_limited
from app.auth import bp
from app.auth.forms import (
    AcceptInvitationForm,
    LoginForm,
    PasskeyLoginForm,
    RegistrationForm,
    ResetPasswordForm,
    ResetRequestForm,
)
from app.i18n import current_locale
from app.models import OrganizationStatus, User
from app.services import DomainError, accounts, mail, membership, tokens, two_factor
from app.urls import safe_next_url


@bp.route("/login", methods=["GET", "POST"])
@rate_limited
def login():
    if current_user.is_authenticated:
        return redirect(url_for("account.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.email.data, form.password.data)
        except accounts.AccountLocked as error:
            transactions.commit_even_if_refused()  # the failure counters authenticate() updated
            return render_template(
                "auth/login.html",
                form=form,
                passkey_form=PasskeyLoginForm(prefix="passkey"),
                failure=str(error),
            )
        if user is None:
            transactions.commit_even_if_refused()  # the failure counters authenticate() updated
            # The same words whether the email is unknown or the password wrong: said once, above
            # the form, not also beside a field (it is about the pair, not one of them).
            return render_template(
                "auth/login.html",
                form=form,
                passkey_form=PasskeyLoginForm(prefix="passkey"),
                failure=_("Email or password is not correct."),
            )
        if user.has_two_factor:
            # Half logged in: the second step finishes the login (app.auth.two_factor_routes).
            ceremony.begin_pending_login(user, form.remember_me.data, safe_next_url(landing_endpoint(user)))
            return redirect(url_for("auth.second_step"))
        return finish_login(user, form.remember_me.data, "password", safe_next_url(landing_endpoint(user)))
    return render_template("auth/login.html", form=form, passkey_form=PasskeyLoginForm(prefix="passkey"))


def landing_endpoint(user: User) -> str:
    """Where a login lands when no page asked for it: each role where its work is."""
    return "moderation.queue" if user.is_moderator else "account.dashboard"


def finish_login(user: User, remember: bool, method: str, next_url: str):
    """The end of every login on the web, whatever proved it (``method``): security.log_in (the
    login record, the session and cookies; the one call of login_user), and on: to set up
    two-factor login first when it is required of the user and missing. The request commits
    the login record when it answers."""
    security.log_in(user, remember=remember, method=method)
    session.pop(REGISTERED_EMAIL, None)  # the session cookie is signed, not encrypted
    if two_factor.setup_needed(user):
        return send_to_setup(user)
    return redirect(next_url)


def send_to_setup(user: User):
    """After a login: two-factor login is required of this user and missing."""
    hold_until_second_factor()
    if user.is_moderator:
        flash(
            _(
                "Moderators and administrators log in with a second factor. Set up an authenticator "
                "app or a passkey now: moderation opens once it is done."
            ),
            "info",
        )
    else:
        flash(
            _(
                "Your organization asks every member to log in with a second factor. Set up an "
                "authenticator app or a passkey now: your account opens once it is done."
            ),
            "info",
        )
    return redirect(url_for("account.security"))


@bp.post("/logout")
@login_required
def logout():
    accounts.end_all_sessions(current_user)
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("main.home"))


@bp.route("/register", methods=["GET", "POST"])
@rate_limited
def register():
    if current_user.is_authenticated:
        return redirect(url_for("account.dashboard"))
    form = RegistrationForm()
    if form.validate_on_submit():
        if form.nickname.data:
            # Only a bot fills the hidden field: a vague refusal, and nothing written.
            flash(_("Your application could not be sent. Please try again later."), "error")
            return render_template("auth/register.html", form=form), 400
        try:
            registration = membership.register_organization(
                form.profile_data(), form.email.data, form.password.data, locale=current_locale()
            )
        except membership.EmailAlreadyRegistered as taken:
            # Answer exactly as on success; tell the account's owner instead of the visitor.
            # Nothing of the registration was written: the notice alone is committed.
            mail.send_registration_attempt_notice(taken.user)
            session[REGISTERED_EMAIL] = accounts.normalize_email(form.email.data)
            return redirect(url_for("auth.registered"))
        except accounts.WeakPassword as error:
            form.password.errors.append(str(error))
        except membership.NameTooClose as error:
            form.name.errors.append(str(error))
        except DomainError as error:
            flash(str(error), "error")
            return render_template("auth/register.html", form=form), 400
        else:
            mail.send_email_confirmation(registration.user)
            session[REGISTERED_EMAIL] = registration.user.email
            return redirect(url_for("auth.registered"))
    return render_template("auth/register.html", form=form), 400 if form.errors else 200


# The address the visitor registered with in this browser, for "Check your email". A duplicate
# address is kept too: the page must not tell a new account from an existing one.
REGISTERED_EMAIL = "registered_email"


@bp.get("/register/sent")
def registered():
    return render_template("auth/registered.html", email=session.get(REGISTERED_EMAIL))


@bp.post("/register/sent/again")
@rate_limited
def resend_registration_link():
    """Send the confirmation link again to the address registered in this browser. The answer
    is the same whether the address has an account waiting, is confirmed, or has none."""
    email = session.get(REGISTERED_EMAIL)
    if email:
        membership.resend_email_confirmation(email)
    flash(_("If this address is waiting for confirmation, a new link is on its way to it."), "info")
    return redirect(url_for("auth.registered"))


# Links from emails open a page with a button: the change happens on POST, so that a
# mail scanner that fetches links cannot use them up.


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    if request.method == "POST":
        try:
            user = membership.confirm_email(token)
        except tokens.InvalidToken as error:
            return render_template("auth/token_problem.html", message=str(error)), 400
        session[CONFIRMED_WAITING] = (
            user.organization is not None and user.organization.status == OrganizationStatus.PENDING
        )
        return redirect(url_for("auth.email_confirmed"))
    return render_template("auth/confirm_email.html", token=token)


# Whether the account just confirmed belongs to an application still waiting for a moderator.
CONFIRMED_WAITING = "confirmed_waiting"


@bp.get("/confirmed")
def email_confirmed():
    """What happens after the email is confirmed."""
    return render_template("auth/email_confirmed.html", waiting=session.get(CONFIRMED_WAITING))


@bp.post("/confirm/resend")
@login_required
@rate_limited
def resend_confirmation():
    if current_user.email_confirmed_at is None:
        mail.send_email_confirmation(current_user)  # leaves after the request's commit
    flash(_("We have sent you a new confirmation link."), "info")
    return redirect(url_for("account.dashboard"))


@bp.route("/reset", methods=["GET", "POST"])
@rate_limited
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        membership.request_password_reset(form.email.data)  # the message leaves after the commit
        flash(
            _("If this email address has an account, we have sent it a link to set a new password."), "info"
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_request.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@rate_limited
def reset_password(token: str):
    try:
        membership.user_for_reset_token(token)
    except tokens.InvalidToken as error:
        return render_template("auth/token_problem.html", message=str(error)), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            membership.reset_password(token, form.password.data)
        except accounts.WeakPassword as error:
            transactions.refused()  # the form is shown again with a 200
            form.password.errors.append(str(error))
        else:
            if current_user.is_authenticated:
                logout_user()
            flash(_("Your password is changed. Please log in with the new one."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form, token=token)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@rate_limited
def accept_invitation(token: str):
    try:
        invitation = membership.read_invitation(token)
    except tokens.InvalidToken as error:
        return render_template("auth/token_problem.html", message=str(error)), 400
    if current_user.is_authenticated:
        abort(403)  # an invitation creates a new account; log out first
    form = AcceptInvitationForm()
    if form.validate_on_submit():
        try:
            user = membership.accept_invitation(token, form.password.data, locale=current_locale())
        except accounts.WeakPassword as error:
            transactions.refused()  # the form is shown again with a 200
            form.password.errors.append(str(error))
        else:
            flash(
                _("Welcome to %(organization)s on Tadamun.", organization=invitation.organization.name),
                "success",
            )
            return finish_login(user, False, "invitation", url_for("account.dashboard"))
    return render_template("auth/accept_invitation.html", form=form, invitation=invitation, token=token)
