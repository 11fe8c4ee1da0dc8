"""Sending mail through Flask-Mail, with one backend per environment.

``MAIL_BACKEND``:
- ``memory`` (tests): Flask-Mail in testing mode; ``mail.record_messages()`` captures.
- ``file`` (development): each message is written as an ``.eml`` file to ``MAIL_OUTBOX_DIR``.
- ``smtp`` (production): sent with the ``MAIL_*`` server settings.

Bodies are text templates in ``templates/email/`` rendered in the recipient's language.
The log only ever says where a message went, never what it says: bodies carry tokens.
"""

from __future__ import annotations

import secrets
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Response, after_this_request, current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_mail import Message

from app.extensions import mail
from app.models import Organization, User
from app.services import tokens


def header_text(value: Any) -> str:
    """``value`` fit for a mail header built from user data: no line break or control character.

    Names are checked when they are written; this holds even for a row written before that (or
    by hand), so that no header can ever be injected (file backend) or fail the send (SMTP).
    """
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in str(value))
    return " ".join(text.split())


def send(recipient: str, subject: str, template: str, *, locale: str | None = None, **context: Any) -> None:
    """Render ``templates/email/<template>.txt`` and send it to one recipient.

    Raises ValueError for a recipient holding a line break or control character (the forms
    refuse such addresses; mail is never sent to a rewritten one).
    """
    deliver(build(recipient, subject, template, locale=locale, **context))


def build(
    recipient: str, subject: str, template: str, *, locale: str | None = None, **context: Any
) -> Message:
    """The message ``send`` would send, rendered in the recipient's language, not yet sent.

    Raises ValueError for a recipient holding a line break or control character."""
    if header_text(recipient) != recipient:
        raise ValueError("a mail recipient holds a line break or control character")
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        body = render_template(f"email/{template}.txt", **context)
        subject = header_text(subject)
    return Message(subject=subject, recipients=[recipient], body=body)


def deliver(message: Message) -> None:
    """Hand a built message to the configured backend."""
    backend = current_app.config.get("MAIL_BACKEND", "file")
    if backend == "file":
        _write_to_outbox(message)
    elif backend == "memory":
        # Flask-Mail records the message (record_messages) and, suppressed, sends nothing.
        if not current_app.extensions["mail"].suppress:
            raise RuntimeError("MAIL_BACKEND=memory needs TESTING or MAIL_SUPPRESS_SEND")
        mail.send(message)
    elif backend == "smtp":
        mail.send(message)
    else:
        raise RuntimeError(f"Unknown MAIL_BACKEND {backend!r}")


def deliver_after_response(message: Message, *, discard: bool = False) -> None:
    """Queue ``message`` to leave once the whole answer has gone to the client.

    How long the mail server takes then never shows in the answer's timing. With
    ``discard=True`` the message goes through the same steps and is dropped instead of
    sent: for answers that must not tell whether an address has an account.
    """
    app = current_app._get_current_object()

    def dispatch() -> None:
        if discard:
            return
        with app.app_context():
            try:
                deliver(message)
            except Exception:
                # The answer has gone: nothing to show the visitor, and it must not differ anyway.
                app.logger.exception("a queued message could not be sent")

    @after_this_request
    def dispatch_when_sent(response: Response) -> Response:
        response.call_on_close(dispatch)
        return response


def _write_to_outbox(message: Message) -> Path:
    outbox = Path(current_app.config["MAIL_OUTBOX_DIR"])
    outbox.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    path = outbox / f"{stamp}-{secrets.token_hex(4)}.eml"
    if not message.sender:
        message.sender = current_app.config["MAIL_DEFAULT_SENDER"]
    path.write_bytes(message.as_bytes())
    path.chmod(0o600)
    current_app.logger.info("mail written to %s", path)
    return path


# The messages of the membership workflow. Each takes what it needs and builds links
# from SITE_URL only.


def _message_to_user(user: User, subject: Any, template: str, **context: Any) -> Message:
    """One message to a user, in their language; the template gets ``user`` too."""
    return build(user.email, subject, template, locale=user.locale, user=user, **context)


def _send_to_user(user: User, subject: Any, template: str, **context: Any) -> None:
    deliver(_message_to_user(user, subject, template, **context))


def send_email_confirmation(user: User) -> None:
    token = tokens.make_token(
        tokens.EMAIL_CONFIRMATION, {"uid": user.id, "email": tokens.fingerprint(user.email)}
    )
    _send_to_user(
        user,
        _l("Confirm your email address for Tadamun"),
        "confirm_email",
        link=tokens.external_url("auth.confirm_email", token=token),
    )


def send_registration_attempt_notice(user: User) -> None:
    """Someone tried to register with an email that already has an account."""
    _send_to_user(
        user,
        _l("Someone tried to register with your email address"),
        "registration_attempt",
        login_link=tokens.external_url("auth.login"),
        reset_link=tokens.external_url("auth.reset_request"),
    )


def send_password_reset(user: User) -> None:
    deliver(password_reset_message(user))


def password_reset_message(user: User) -> Message:
    """The reset mail, built but not sent (the view decides when it leaves)."""
    token = tokens.make_token(
        tokens.PASSWORD_RESET, {"uid": user.id, "pw": tokens.fingerprint(user.password_hash)}
    )
    return _message_to_user(
        user,
        _l("Reset your Tadamun password"),
        "reset_password",
        link=tokens.external_url("auth.reset_password", token=token),
    )


def send_invitation(inviter: User, email: str, token: str) -> None:
    send(
        email,
        _l("You are invited to join %(organization)s on Tadamun", organization=inviter.organization.name),
        "invitation",
        locale=inviter.locale,
        inviter=inviter,
        organization=inviter.organization,
        link=tokens.external_url("auth.accept_invitation", token=token),
    )


def send_decision(organization: Organization, template: str, subject: Any, **context: Any) -> None:
    """Tell every user of an organization about a moderator's decision (approved, rejected, ...)."""
    for user in organization.users:
        _send_to_user(
            user,
            subject,
            template,
            organization=organization,
            dashboard_link=tokens.external_url("account.dashboard"),
            **context,
        )
