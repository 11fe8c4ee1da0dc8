"""Two-factor login: an authenticator app (TOTP, RFC 6238), passkeys and security keys
(WebAuthn), and ten single-use recovery codes.

A user "has two-factor login" while they hold at least one of an authenticator app or a passkey
(``User.two_factor_enabled_at``); recovery codes come with the first factor and go with the
last. Moderators and admins must have it before they reach moderation, and an organization's
owner may require it of all its members (``required_for``).

Checking a second factor counts like a password: a wrong code is a failed login on the account
(accounts.count_failure), so the lockout covers both steps. An authenticator code is accepted
once: the time step it belongs to is stored, and only a later step is accepted after it.
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import pyotp
import segno
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from flask_babel import gettext as _
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import parse_authentication_credential_json, parse_registration_credential_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from app.extensions import db
from app.models import AuditAction, Organization, RecoveryCode, User, WebAuthnCredential
from app.services import DomainError, NotAllowed, accounts, audit
from app.services.passwords import dummy_verify, hash_password, verify_password

security_log = logging.getLogger("app.security")

ISSUER = "Tadamun"
TOTP_INTERVAL = 30  # seconds per time step (RFC 6238's default, what every app expects)
TOTP_DRIFT_STEPS = 1  # a code of the step before or after is accepted too (a phone's clock drifts)
RECOVERY_CODE_COUNT = 10
# Lower-case letters and digits without the look-alikes (0/o, 1/l/i): 31 symbols, 10 of them
# per code, about 50 bits, written as two groups of five.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_CODE_LENGTH = 10

# Methods, as complete_login and the log name them.
TOTP = "totp"
RECOVERY_CODE = "recovery_code"
PASSKEY = "passkey"


class WrongCode(DomainError):
    """The code (or passkey answer) given as a second factor is not right."""


class PasskeyError(DomainError):
    """A passkey ceremony could not be verified."""


class LastFactorRequired(DomainError):
    """The user must keep two-factor login and tried to remove their last factor."""


# Who must have it --------------------------------------------------------------------------------


def required_for(user: User) -> bool:
    """Moderators and admins always; members when their organization requires it."""
    if user.is_moderator:
        return True
    organization = user.organization
    return organization is not None and organization.require_two_factor


def setup_needed(user: User) -> bool:
    return required_for(user) and not user.has_two_factor


@dataclass(frozen=True)
class Factors:
    """What a user's security page shows of their second factors."""

    on_since: datetime | None  # None: two-factor login is off
    app_since: datetime | None  # None: no authenticator app
    passkeys: list[WebAuthnCredential]  # oldest first
    unused_recovery_codes: int
    # Why it is required of the user and missing: "moderator", "organization", or None.
    missing_because: str | None


def factors_of(user: User) -> Factors:
    missing_because = None
    if setup_needed(user):
        missing_because = "moderator" if user.is_moderator else "organization"
    return Factors(
        on_since=user.two_factor_enabled_at,
        app_since=user.totp_enabled_at if user.totp_secret is not None else None,
        passkeys=sorted(user.passkeys, key=lambda passkey: passkey.id),
        unused_recovery_codes=unused_recovery_codes(user) if user.has_two_factor else 0,
        missing_because=missing_because,
    )


# The authenticator app's secret, sealed with the site's key ------------------------------------
# A copy of the database (a backup, a seized server disk) then does not give the secrets: they
# also need SECRET_KEY. Changing SECRET_KEY makes them unreadable: members then log in with a
# recovery code or a passkey and set up the app again.


def _fernet() -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"tadamun totp secret").derive(
        current_app.config["SECRET_KEY"].encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def seal(text: str) -> str:
    return _fernet().encrypt(text.encode()).decode()


def unseal(token: str | None) -> str | None:
    if not token:
        return None
    try:
        return _fernet().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        return None


# Authenticator app (TOTP) ----------------------------------------------------------------------


def new_totp_secret() -> str:
    return pyotp.random_base32()  # 32 base32 characters: 160 bits, RFC 4226's recommended size


def totp_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret, interval=TOTP_INTERVAL).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_code_data_uri(text: str) -> str:
    """An SVG QR code of ``text`` as a data: URI, for an <img> (the CSP allows data: images,
    and an image needs no markup from Python in the page)."""
    return segno.make(text, error="m").svg_data_uri(scale=5, border=2, dark="#000", light="#fff")


def grouped_secret(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def time_step(now: datetime) -> int:
    return int(now.timestamp()) // TOTP_INTERVAL


def _digits(code: str) -> str:
    return "".join(code.split())


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    code = _digits(code)
    if len(code) != 6 or not (code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret, interval=TOTP_INTERVAL)
    current = time_step(now)
    found = None
    for step in range(current - TOTP_DRIFT_STEPS, current + TOTP_DRIFT_STEPS + 1):
        # Compare every candidate (no early exit), in constant time.
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def _use_time_step(user: User, step: int) -> bool:
    """Record ``step`` as the user's last accepted one, unless it (or a later one) already was.

    One conditional UPDATE, so that two requests racing with the same code cannot both win.
    """
    result = db.session.execute(
        sa.update(User)
        .where(User.id == user.id, sa.or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    sa.orm.attributes.set_committed_value(user, "totp_last_step", step)
    return True


def enable_totp(user: User, secret: str, code: str, *, now: datetime | None = None) -> list[str] | None:
    """Keep ``secret`` as the user's authenticator app once they typed a code it made.

    Returns the new recovery codes when this is the user's first factor, else None.
    Raises WrongCode.
    """
    now = now or accounts.clock()
    step = _matching_step(secret, code, now)
    if step is None:
        raise WrongCode(_("This code is not right. Check the time on your phone, and type the newest code."))
    user.totp_secret = seal(secret)
    user.totp_enabled_at = now
    user.totp_last_step = step  # the code just typed cannot log in
    audit.record(
        user, AuditAction.USER_TWO_FACTOR_ENABLED, target_type="user", target_id=user.id,
        organization_id=user.organization_id,
    )  # fmt: skip
    security_log.info("two-factor: user %s added an authenticator app", user.id)
    return _factor_added(user, now)


def remove_totp(user: User) -> None:
    """Forget the authenticator app (the caller has checked the password and a second factor).

    Raises LastFactorRequired when it is the last factor of a user who must keep one.
    """
    if user.totp_secret is None:
        return
    _check_may_remove(user, remaining=len(user.passkeys))
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    _factor_removed(user, "an authenticator app")


def _check_totp(user: User, code: str, now: datetime) -> bool:
    secret = unseal(user.totp_secret)
    if secret is None:
        return False
    step = _matching_step(secret, code, now)
    return step is not None and _use_time_step(user, step)


# Recovery codes --------------------------------------------------------------------------------
# Stored as Argon2 hashes, like passwords, rather than a keyed hash: a copy of the database does
# not give them, and nothing depends on a key that may change (they are the way back in when
# everything else is lost). Checking one costs up to ten Argon2 checks, paid only by someone who
# has just given the right password, within the login rate limits and the lockout.


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalize_recovery_code(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch not in " -\t")


def looks_like_recovery_code(text: str) -> bool:
    code = normalize_recovery_code(text)
    return len(code) == RECOVERY_CODE_LENGTH and all(ch in RECOVERY_ALPHABET for ch in code)


def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with ten new ones; returns them, to be shown once."""
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.expire(user, ["recovery_codes"])
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    for code in codes:
        db.session.add(RecoveryCode(user_id=user.id, code_hash=hash_password(normalize_recovery_code(code))))
    db.session.flush()
    security_log.info("two-factor: user %s has new recovery codes", user.id)
    return codes


def unused_recovery_codes(user: User) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


def _use_recovery_code(user: User, text: str, now: datetime) -> bool:
    if not looks_like_recovery_code(text):
        return False
    code = normalize_recovery_code(text)
    unused = db.session.scalars(
        sa.select(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        .order_by(RecoveryCode.id)
    ).all()
    if not unused:
        dummy_verify(code)
        return False
    for candidate in unused:
        if verify_password(candidate.code_hash, code):
            # Conditional, so that two requests racing with one code cannot both use it.
            result = db.session.execute(
                sa.update(RecoveryCode)
                .where(RecoveryCode.id == candidate.id, RecoveryCode.used_at.is_(None))
                .values(used_at=now)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:
                return False
            sa.orm.attributes.set_committed_value(candidate, "used_at", now)
            audit.record(
                user, AuditAction.USER_RECOVERY_CODE_USED, target_type="user", target_id=user.id,
                organization_id=user.organization_id,
            )  # fmt: skip
            security_log.warning("two-factor: user %s used a recovery code", user.id)
            return True
    return False


# Passkeys and security keys (WebAuthn) -----------------------------------------------------------
# The relying party is the site at SITE_URL: its host is the rp_id, its scheme and host the only
# origin accepted. Browsers refuse an IP address as rp_id: use a name (http://localhost:5000 in
# development).


def rp_id() -> str:
    return urlsplit(current_app.config["SITE_URL"]).hostname or "localhost"


def expected_origin() -> str:
    parts = urlsplit(current_app.config["SITE_URL"])
    return f"{parts.scheme}://{parts.netloc}"


def _descriptors(user: User) -> list[PublicKeyCredentialDescriptor]:
    descriptors = []
    for passkey in user.passkeys:
        transports = []
        for name in passkey.transports.split():
            try:
                transports.append(AuthenticatorTransport(name))
            except ValueError:
                continue
        descriptors.append(
            PublicKeyCredentialDescriptor(id=passkey.credential_id, transports=transports or None)
        )
    return descriptors


@dataclass
class Ceremony:
    """What the browser gets (``options``, JSON) and what the server keeps until the answer
    (``challenge``, and for a registration the user handle to give the credential)."""

    options: str
    challenge: bytes
    user_handle: bytes | None = None


def registration_ceremony(user: User) -> Ceremony:
    # A random handle, never the id or the email: authenticators keep it, and may show it.
    handle = user.webauthn_user_handle or secrets.token_bytes(32)
    options = generate_registration_options(
        rp_id=rp_id(),
        rp_name=ISSUER,
        user_id=handle,
        user_name=user.email,
        user_display_name=user.email,
        exclude_credentials=_descriptors(user),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    return Ceremony(options=options_to_json(options), challenge=options.challenge, user_handle=handle)


def add_passkey(
    user: User, response: str, challenge: bytes, user_handle: bytes, name: str, *, now: datetime | None = None
) -> tuple[WebAuthnCredential, list[str] | None]:
    """Verify a registration (navigator.credentials.create) and keep the passkey.

    Returns the passkey, and the new recovery codes when it is the user's first factor.
    Raises PasskeyError.
    """
    now = now or accounts.clock()
    try:
        credential = parse_registration_credential_json(response)
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id(),
            expected_origin=expected_origin(),
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as error:
        security_log.info(
            "two-factor: passkey registration refused for user %s: %s", user.id, type(error).__name__
        )
        raise PasskeyError(_("This passkey could not be added. Please try again.")) from error
    taken = db.session.scalar(
        sa.select(WebAuthnCredential.id).where(WebAuthnCredential.credential_id == verified.credential_id)
    )
    if taken is not None:
        raise PasskeyError(_("This passkey is already registered."))
    transports = " ".join(t.value for t in (credential.response.transports or []))
    passkey = WebAuthnCredential(
        user_id=user.id,
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=transports[:100],
        name=name.strip()[:100] or _("Passkey"),
        created_at=now,
    )
    db.session.add(passkey)
    if user.webauthn_user_handle is None:
        user.webauthn_user_handle = user_handle
    db.session.flush()
    db.session.expire(user, ["passkeys"])
    audit.record(
        user, AuditAction.USER_TWO_FACTOR_ENABLED, target_type="user", target_id=user.id,
        organization_id=user.organization_id,
    )  # fmt: skip
    security_log.info("two-factor: user %s added passkey %s", user.id, passkey.id)
    return passkey, _factor_added(user, now)


def remove_passkey(user: User, passkey_id: int) -> None:
    """Forget one of the user's passkeys (the caller has checked the password and a factor).

    Raises NotAllowed for another user's passkey, LastFactorRequired for the last factor of a
    user who must keep one.
    """
    passkey = db.session.get(WebAuthnCredential, passkey_id)
    if passkey is None or passkey.user_id != user.id:
        raise NotAllowed(_("This passkey is not yours."))
    remaining = len(user.passkeys) - 1 + (1 if user.totp_secret else 0)
    _check_may_remove(user, remaining=remaining)
    db.session.delete(passkey)
    db.session.flush()
    db.session.expire(user, ["passkeys"])
    _factor_removed(user, "a passkey")


def authentication_ceremony(user: User | None = None) -> Ceremony:
    """Options for navigator.credentials.get: the user's passkeys as a second factor, or (no
    user) any passkey of this site the authenticator holds, for a passwordless login."""
    options = generate_authentication_options(
        rp_id=rp_id(),
        allow_credentials=_descriptors(user) if user is not None else [],
        # On its own, a passkey must also have checked its holder (PIN, fingerprint).
        user_verification=(
            UserVerificationRequirement.PREFERRED
            if user is not None
            else UserVerificationRequirement.REQUIRED
        ),
    )
    return Ceremony(options=options_to_json(options), challenge=options.challenge)


def verify_passkey(
    response: str, challenge: bytes, *, user: User | None = None, now: datetime | None = None
) -> WebAuthnCredential:
    """Verify an assertion (navigator.credentials.get) against the passkey it names.

    With ``user``, the passkey must be theirs (a second factor); without, it is a passwordless
    login and the authenticator must have verified its holder. Updates the signature counter.
    Raises PasskeyError.
    """
    now = now or accounts.clock()
    refused = PasskeyError(_("This passkey was not accepted."))
    try:
        credential = parse_authentication_credential_json(response)
    except (WebAuthnException, ValueError, TypeError, KeyError) as error:
        raise refused from error
    passkey = db.session.scalar(
        sa.select(WebAuthnCredential).where(WebAuthnCredential.credential_id == credential.raw_id)
    )
    if passkey is None or (user is not None and passkey.user_id != user.id):
        raise refused
    owner = passkey.user
    handle = credential.response.user_handle
    if handle is not None and owner.webauthn_user_handle is not None and handle != owner.webauthn_user_handle:
        raise refused
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id(),
            expected_origin=expected_origin(),
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=user is None,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as error:
        security_log.info("two-factor: passkey %s refused: %s", passkey.id, type(error).__name__)
        raise PasskeyError(_("This passkey was not accepted.")) from error
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = now
    db.session.flush()
    return passkey


def passkey_owner(response: str) -> User | None:
    """The user a passkey answer names (for counting a failure against the right account)."""
    try:
        credential = parse_authentication_credential_json(response)
    except (WebAuthnException, ValueError, TypeError, KeyError):
        return None
    return db.session.scalar(
        sa.select(User).join(WebAuthnCredential).where(WebAuthnCredential.credential_id == credential.raw_id)
    )


# The second step of a login, and confirming a sensitive change ---------------------------------


def verify_second_factor(
    user: User,
    *,
    code: str = "",
    passkey_response: str = "",
    challenge: bytes | None = None,
    now: datetime | None = None,
) -> str:
    """Check one second factor of ``user``: an authenticator code, a recovery code, or a
    passkey answer to ``challenge``. Returns the method that passed (TOTP, RECOVERY_CODE,
    PASSKEY).

    A failure counts like a wrong password (the caller must commit even when this raises).
    Raises AccountLocked (even for a right code while locked), WrongCode.
    """
    now = now or accounts.clock()
    accounts.check_not_locked(user, now=now)
    method = None
    if passkey_response and challenge:
        try:
            verify_passkey(passkey_response, challenge, user=user, now=now)
            method = PASSKEY
        except PasskeyError:
            method = None
    elif code.strip():
        if _check_totp(user, code, now):
            method = TOTP
        elif _use_recovery_code(user, code, now):
            method = RECOVERY_CODE
    if method is None:
        security_log.info("second factor refused for user %s", user.id)
        accounts.count_failure(user, now=now)
        raise WrongCode(_("This code is not right."))
    return method


def confirm_with_password_and_factor(
    user: User,
    password: str,
    *,
    code: str = "",
    passkey_response: str = "",
    challenge: bytes | None = None,
    now: datetime | None = None,
) -> str:
    """What removing a factor or renewing the recovery codes asks for: the password and a second
    factor. Both count toward the lockout like a login. Returns the method of the factor.

    Raises AccountLocked, accounts.WrongPassword, WrongCode.
    """
    now = now or accounts.clock()
    accounts.check_not_locked(user, now=now)
    if not verify_password(user.password_hash, password):
        accounts.count_failure(user, now=now)
        raise accounts.WrongPassword(_("Your password is not correct."))
    return verify_second_factor(
        user, code=code, passkey_response=passkey_response, challenge=challenge, now=now
    )


def check_password(user: User, password: str, *, now: datetime | None = None) -> None:
    """The password asked for before adding a factor (a stolen session alone cannot add one).

    Raises AccountLocked, accounts.WrongPassword.
    """
    now = now or accounts.clock()
    accounts.check_not_locked(user, now=now)
    if not verify_password(user.password_hash, password):
        accounts.count_failure(user, now=now)
        raise accounts.WrongPassword(_("Your password is not correct."))


# Keeping two_factor_enabled_at and the recovery codes in step with the factors ------------------


def _factor_added(user: User, now: datetime) -> list[str] | None:
    if user.two_factor_enabled_at is not None:
        return None
    user.two_factor_enabled_at = now
    db.session.flush()
    return new_recovery_codes(user)


def _check_may_remove(user: User, *, remaining: int) -> None:
    if remaining < 1 and required_for(user):
        raise LastFactorRequired(
            _("Two-factor login is required for you: add another way to log in before removing this one.")
        )


def _factor_removed(user: User, what: str) -> None:
    audit.record(
        user, AuditAction.USER_TWO_FACTOR_DISABLED, target_type="user", target_id=user.id,
        organization_id=user.organization_id,
    )  # fmt: skip
    security_log.info("two-factor: user %s removed %s", user.id, what)
    if user.totp_secret is None and not user.passkeys:
        user.two_factor_enabled_at = None
        db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
        db.session.expire(user, ["recovery_codes"])
        security_log.info("two-factor: user %s has no second factor left", user.id)
    db.session.flush()


# An organization's rule --------------------------------------------------------------------------


def set_organization_requirement(actor: User, organization: Organization, required: bool) -> None:
    """The organization's owner requires (or stops requiring) two-factor login of its members.

    Raises NotAllowed when the actor is not the organization's owner, or turns the rule on
    without two-factor login themselves (they would be shut out of their own account).
    """
    if not (actor.is_owner and actor.organization_id == organization.id):
        raise NotAllowed(_("Only the organization's owner can change this."))
    if required and not actor.has_two_factor:
        raise NotAllowed(_("Set up two-factor login for yourself first."))
    if organization.require_two_factor == required:
        return
    organization.require_two_factor = required
    if required:
        audit.record_about(actor, AuditAction.ORGANIZATION_TWO_FACTOR_REQUIRED, organization)
    else:
        audit.record_about(actor, AuditAction.ORGANIZATION_TWO_FACTOR_OPTIONAL, organization)
    db.session.flush()


def ceremony_json(ceremony: Ceremony) -> dict:
    """The options as a dict, for a JSON answer."""
    return json.loads(ceremony.options)
