"""Mail: rendered during the request, queued in the outbox, sent by the worker after the commit.

``send()`` renders a message in the recipient's language and adds it to the outbox in the
current transaction (``app.services.outbox``): a request that rolls back sends nothing, and a
request never waits for a mail server. ``transmit()`` is what the worker (``app.worker``) calls
to hand a message to ``MAIL_BACKEND``:
- ``memory`` (tests): Flask-Mail in testing mode; ``mail.record_messages()`` captures.
- ``file`` (development): each message is written as an ``.eml`` file to ``MAIL_OUTBOX_DIR``.
- ``smtp`` (production): sent with the ``MAIL_*`` server settings, within ``MAIL_TIMEOUT``.

Bodies are text templates in ``templates/email/`` rendered in the recipient's language.
The log only ever says where a message went, never what it says: bodies carry tokens.
"""

from __future__ import annotations

import secrets
import smtplib
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l
from flask_mail import Message, sanitize_address, sanitize_addresses

from app import dates
from app.extensions import mail
from app.models import Organization, User
from app.models.outbox import OutboxMessage
from app.services import outbox, tokens


def header_text(value: Any) -> str:
    """``value`` fit for a mail header built from user data: no line break or control character.

    Names are checked when they are written; this holds even for a row written before that (or
    by hand), so that no header can ever be injected (file backend) or fail the send (SMTP).
    """
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in str(value))
    return " ".join(text.split())


def send(
    recipient: str,
    subject: Any,
    template: str,
    *,
    locale: str | None = None,
    time_zone: str | None = None,
    discard: bool = False,
    key: str | None = None,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> None:
    """Render ``templates/email/<template>.txt`` for one recipient and queue it.

    Subject and body are in ``locale``, the recipient's language (for an address without an
    account: the language of the request that sends it), and their dates in ``time_zone``
    (None: the site's, Iraq's), whoever triggered the message.

    The message leaves after the caller's commit; nothing is sent if it rolls back. With
    ``discard`` it is rendered and queued all the same, and the worker drops it instead of
    sending it: for answers that must not tell whether an address has an account.

    Raises ValueError for a recipient holding a line break or control character (the forms
    refuse such addresses; mail is never sent to a rewritten one).
    """
    if header_text(recipient) != recipient:
        raise ValueError("a mail recipient holds a line break or control character")
    with force_locale(locale or _current_locale()), dates.force_timezone(time_zone):
        body = render_template(f"email/{template}.txt", **context)
        subject = header_text(subject)
    if headers and any(header_text(v) != v or header_text(k) != k for k, v in headers.items()):
        raise ValueError("a mail header holds a line break or control character")
    outbox.enqueue_mail(recipient, subject, body, discard=discard, key=key, headers=headers)


def _current_locale() -> str:
    """The language of the request sending a mail (or the site's, outside a request)."""
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def message_from_outbox(row: OutboxMessage) -> Message:
    """The message a queued row stands for, with the row's key as its Message-ID.

    A receiving server or a person can tell from the Message-ID that two copies are the same
    message, should one ever be handed over twice.
    """
    domain = urlsplit(current_app.config["SITE_URL"]).hostname or "tadamun.invalid"
    message = Message(
        subject=row.subject or "",
        recipients=[row.recipient],
        body=row.body or "",
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        date=row.created_at.timestamp(),
    )
    message.msgId = f"<{row.key}@{domain}>"
    if row.headers:
        message.extra_headers = dict(row.headers)
    return message


class PermanentMailError(Exception):
    """The mail server refused the message for good (5xx): trying again would not help.

    ``recipient_refused``: the server refused the recipient's address itself (a bounce: the
    address is marked, app/services/notifications.py), not the message or the sender."""

    def __init__(self, *args: Any, recipient_refused: bool = False):
        super().__init__(*args)
        self.recipient_refused = recipient_refused


def transmit(message: Message) -> None:
    """Hand one message to ``MAIL_BACKEND``.

    Raises PermanentMailError when the server refuses it for good, and any other exception
    (OSError, smtplib.SMTPException) when it could not be handed over this time.
    """
    backend = current_app.config.get("MAIL_BACKEND", "file")
    if backend == "file":
        _write_to_outbox(message)
    elif backend == "memory":
        # Flask-Mail records the message (record_messages) and, suppressed, sends nothing.
        if not current_app.extensions["mail"].suppress:
            raise RuntimeError("MAIL_BACKEND=memory needs TESTING or MAIL_SUPPRESS_SEND")
        mail.send(message)
    elif backend == "smtp":
        _send_by_smtp(message)
    else:
        raise RuntimeError(f"Unknown MAIL_BACKEND {backend!r}")


def _send_by_smtp(message: Message) -> None:
    if message.has_bad_headers():
        raise PermanentMailError("header injection refused")
    config = current_app.config
    factory = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    # A server that stops answering must not hold the worker past its lease.
    connection = factory(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"])
    try:
        if config["MAIL_USE_TLS"]:
            connection.starttls()
        if config["MAIL_USERNAME"] and config["MAIL_PASSWORD"]:
            connection.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        try:
            refused = connection.sendmail(
                sanitize_address(message.sender), sanitize_addresses(message.send_to), message.as_bytes()
            )
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            if _is_permanent(error):
                raise PermanentMailError(
                    _describe(error), recipient_refused=isinstance(error, smtplib.SMTPRecipientsRefused)
                ) from error
            raise
        if refused:
            codes = sorted(code for code, _ in refused.values())
            raise PermanentMailError(f"recipient refused: {codes}", recipient_refused=min(codes) >= 500)
    finally:
        # Once the server has accepted the message, a failed goodbye must not make the
        # worker think it was not sent (and send it again).
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            connection.close()


def _is_permanent(error: smtplib.SMTPException) -> bool:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return getattr(error, "smtp_code", 0) >= 500


def _describe(error: smtplib.SMTPException) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return f"recipient refused: {sorted(code for code, _ in error.recipients.values())}"
    return f"{type(error).__name__} {getattr(error, 'smtp_code', '')}".strip()


def _write_to_outbox(message: Message) -> Path:
    outbox_dir = Path(current_app.config["MAIL_OUTBOX_DIR"])
    outbox_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    path = outbox_dir / f"{stamp}-{secrets.token_hex(4)}.eml"
    if not message.sender:
        message.sender = current_app.config["MAIL_DEFAULT_SENDER"]
    path.write_bytes(message.as_bytes())
    path.chmod(0o600)
    current_app.logger.info("mail written to %s", path)
    return path


# The messages of the membership workflow. Each takes what it needs and builds links
# from SITE_URL only.


def _send_to_user(user: User, subject: Any, template: str, *, discard: bool = False, **context: Any) -> None:
    """One message to a user, in their language and time zone; the template gets ``user`` too."""
    send_to_user(user, subject, template, discard=discard, user=user, **context)


def send_to_user(recipient: User, subject: Any, template: str, **context: Any) -> None:
    """``send`` to a user's address, in their language and time zone."""
    send(
        recipient.email,
        subject,
        template,
        locale=recipient.locale,
        time_zone=recipient.time_zone,
        **context,
    )


def send_email_confirmation(user: User, *, discard: bool = False) -> None:
    """Queue the confirmation link; with ``discard`` (a stand-in) it is built the same way and
    never sent."""
    token = tokens.make_token(
        tokens.EMAIL_CONFIRMATION, {"uid": user.id, "email": tokens.fingerprint(user.email)}
    )
    _send_to_user(
        user,
        _l("Confirm your email address for Tadamun"),
        "confirm_email",
        discard=discard,
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


def send_password_reset(user: User, *, discard: bool = False) -> None:
    """Queue the reset mail; with ``discard`` (a stand-in for an unknown address) it is built
    and queued the same way, and never sent."""
    token = tokens.make_token(
        tokens.PASSWORD_RESET, {"uid": user.id, "pw": tokens.fingerprint(user.password_hash)}
    )
    _send_to_user(
        user,
        _l("Reset your Tadamun password"),
        "reset_password",
        discard=discard,
        link=tokens.external_url("auth.reset_password", token=token),
    )


def send_invitation(inviter: User, email: str, token: str) -> None:
    send(
        email,
        _l("You are invited to join %(organization)s on Tadamun", organization=inviter.organization.name),
        "invitation",  # to an address without an account: in the inviter's page language
        inviter=inviter,
        organization=inviter.organization,
        link=tokens.external_url("auth.accept_invitation", token=token),
    )


def send_decision(organization: Organization, template: str, subject: Any, **context: Any) -> None:
    """Tell every user of an organization about a moderator's decision (approved, rejected, ...)."""
    for user in organization.users:
        send_decision_to(user, organization, template, subject, **context)


def send_decision_to(
    user: User, organization: Organization, template: str, subject: Any, **context: Any
) -> None:
    """One user's message about a moderator's decision on their organization."""
    _send_to_user(
        user,
        subject,
        template,
        organization=organization,
        dashboard_link=tokens.external_url("account.dashboard"),
        **context,
    )


def send_new_device_notice(user: User, login: Any) -> None:
    """Tell a user that their account was just logged into (``login``, its LoginSession) from a
    browser it never used.

    Queued in the login's transaction and sent after it: the login's timing does not depend on
    the mail server."""
    _send_to_user(
        user,
        _l("A new login to your Tadamun account"),
        "new_device",
        login=login,
        sessions_link=tokens.external_url("account.sessions"),
        reset_link=tokens.external_url("auth.reset_request"),
    )


def send_recovery_code_used(user: User, remaining: int) -> None:
    """Tell the user a recovery code of theirs was just used to log in."""
    _send_to_user(
        user,
        _l("A recovery code was used to log in to your Tadamun account"),
        "recovery_code_used",
        remaining=remaining,
        security_link=tokens.external_url("account.security"),
        reset_link=tokens.external_url("auth.reset_request"),
    )


# What send_two_factor_changed can say; the template has one sentence for each.
TWO_FACTOR_CHANGES = (
    "app_added",
    "app_removed",
    "passkey_added",
    "passkey_removed",
    "codes_renewed",
    "locked",
)


def send_two_factor_changed(user: User, change: str) -> None:
    """Tell the user their second factors changed (or that the second step locked the account),
    so that someone using their account without them cannot do it unnoticed."""
    if change not in TWO_FACTOR_CHANGES:
        raise ValueError(change)
    _send_to_user(
        user,
        _l("Security notice for your Tadamun account"),
        "two_factor_changed",
        change=change,
        security_link=tokens.external_url("account.security"),
        reset_link=tokens.external_url("auth.reset_request"),
    )
