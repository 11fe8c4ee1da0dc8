"""Membership: organizations apply, correct and re-apply; users confirm email and are invited.

Every function validates, writes and flushes; the caller commits once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from app.extensions import db
from app.models import (
    CONTACT_FIELDS,
    IRAQ,
    AuditAction,
    Organization,
    OrganizationKind,
    OrganizationStatus,
    OrganizationTranslation,
    Role,
    User,
    Visibility,
)
from app.models.base import utcnow
from app.names import name_skeleton
from app.services import (
    DomainError,
    NotAllowed,
    accounts,
    audit,
    contact_details,
    counters,
    mail,
    notifications,
    tokens,
)
from app.services.passwords import hash_password
from app.services.text import check_one_line, slugify, unique_slug

# The profile fields an organization's users may set; anything else in the data is ignored,
# so a forged form field such as ``status`` changes nothing.
PROFILE_FIELDS = (
    "name",
    "kind",
    "country",
    "city",
    "description",
    "website",
    "founded_year",
    *CONTACT_FIELDS,
    *(f"{field}_visibility" for field in CONTACT_FIELDS),
    "publishes_murmurations",
)


class EmailAlreadyRegistered(DomainError):
    """The email has an account. Views must not say so: they answer as if registration worked."""

    def __init__(self, user: User):
        super().__init__(_("This email address cannot be used."))
        self.user = user


class NameTooClose(DomainError):
    """Another organization (of any status) has a name that looks the same.

    The message says no more than that, so that it does not reveal a hidden organization's status.
    """

    def __init__(self):
        super().__init__(
            _(
                "This name is too close to an existing organization's name. "
                "Please choose a name that is clearly different."
            )
        )


@dataclass
class Registration:
    organization: Organization
    user: User


def _clean_profile(data: dict[str, Any]) -> dict[str, Any]:
    profile = {key: data[key] for key in PROFILE_FIELDS if key in data}
    for key in ("name", "city", "description", "website", *CONTACT_FIELDS):
        if key in profile and isinstance(profile[key], str):
            profile[key] = profile[key].strip()
    for key in ("website", *CONTACT_FIELDS):
        if key in profile and not profile[key]:
            profile[key] = None
    if profile.get("contact_email"):
        profile["contact_email"] = profile["contact_email"].lower()
    if not profile.get("name", "x"):
        raise DomainError(_("Please give the organization's name."))
    # Defence in depth: the forms check the same, but the API, the CLI and tests come here too.
    for key in ("name", "city", "website", *CONTACT_FIELDS):
        if isinstance(profile.get(key), str):
            check_one_line(profile[key])
    if "name" in profile and not name_skeleton(profile["name"]):
        raise DomainError(_("The name must contain letters or digits."))
    if "kind" in profile:
        profile["kind"] = OrganizationKind(profile["kind"])
    if "country" in profile:
        country = (profile["country"] or "").upper()
        if len(country) != 2 or not country.isalpha():
            raise DomainError(_("Please choose a country."))
        profile["country"] = country
    for key in contact_details.NORMALIZERS:
        if key in profile:
            profile[key] = contact_details.normalized(key, profile[key])
    if "publishes_murmurations" in profile:
        profile["publishes_murmurations"] = bool(profile["publishes_murmurations"])
    for field in CONTACT_FIELDS:
        key = f"{field}_visibility"
        if key in profile:
            profile[key] = Visibility(profile[key])
    return profile


def unique_organization_slug(name: str) -> str:
    """A slug for the name; when taken (by any organization, hidden ones too), with a random suffix."""
    return unique_slug(Organization, slugify(name, max_length=100))


def check_name_available(name: str, organization: Organization | None = None) -> None:
    """Raises NameTooClose when another organization's name, or one of its names in another
    language, has the same skeleton (one query)."""
    skeleton = name_skeleton(name)
    main = sa.select(Organization.id).where(Organization.name_skeleton == skeleton)
    translated = sa.select(OrganizationTranslation.organization_id).where(
        OrganizationTranslation.name_skeleton == skeleton
    )
    if organization is not None and organization.id is not None:
        main = main.where(Organization.id != organization.id)
        translated = translated.where(OrganizationTranslation.organization_id != organization.id)
    if db.session.scalar(sa.select(sa.or_(main.exists(), translated.exists()))):
        raise NameTooClose()


def register_organization(
    profile: dict[str, Any], email: str, password: str, *, locale: str | None = None
) -> Registration:
    """Create a pending organization and its first user (the owner), who reads the site and
    their mail in ``locale`` (the language they registered in).

    Raises EmailAlreadyRegistered (views answer as on success), WeakPassword, NameTooClose,
    DomainError. Nothing is written when it raises.
    """
    email = accounts.normalize_email(email)
    # Check everything else first: an answer that differs only for a taken email would tell.
    fields = _clean_profile(profile)
    check_name_available(fields["name"])
    accounts.check_password_policy(password, email=email, organization_name=fields.get("name"))
    password_hash = hash_password(password)  # before the lookup: both answers cost the same time
    existing = accounts.find_user_by_email(email)
    if existing is not None:
        raise EmailAlreadyRegistered(existing)
    organization = Organization(
        slug=unique_organization_slug(fields["name"]),
        status=OrganizationStatus.PENDING,
        submitted_at=utcnow(),
        **fields,
    )
    user = User(
        email=email,
        password_hash=password_hash,
        role=Role.MEMBER,
        organization=organization,
        is_owner=True,
        locale=locale,
    )
    db.session.add_all([organization, user])
    db.session.flush()
    return Registration(organization, user)


def _check_can_edit(organization: Organization, actor: User) -> None:
    if actor.organization_id != organization.id:
        raise NotAllowed(_("You can only edit your own organization."))


def update_profile(organization: Organization, actor: User, data: dict[str, Any]) -> Organization:
    """Save profile and contact visibility of a pending or approved organization.

    A pending application's new name applies at once (a moderator reviews the whole
    application). An approved organization's new name is only asked for: the old one stays
    public until a moderator approves it (``proposed_name``), and the request is in the audit log.

    Raises NotAllowed for another organization's user, or when the organization is rejected
    (use ``resubmit_application``) or suspended; NameTooClose, DomainError for invalid data.
    """
    _check_can_edit(organization, actor)
    if organization.status == OrganizationStatus.SUSPENDED:
        raise NotAllowed(_("A suspended organization cannot change its profile."))
    if organization.status == OrganizationStatus.REJECTED:
        raise NotAllowed(_("Correct your application and send it again to change it."))
    fields = _clean_profile(data)
    if organization.status == OrganizationStatus.APPROVED and "name" in fields:
        _ask_for_name(organization, actor, fields.pop("name"))
    _apply_profile(organization, fields)
    db.session.flush()
    return organization


def _ask_for_name(organization: Organization, actor: User, name: str) -> None:
    if name == organization.name:
        if organization.proposed_name is not None:
            _record_name_request(organization, actor, AuditAction.ORGANIZATION_RENAME_WITHDRAWN)
            organization.proposed_name = None
            organization.proposed_name_at = None
        return
    if name == organization.proposed_name:
        return
    if name_skeleton(name) != organization.name_skeleton:
        check_name_available(name, organization)
    organization.proposed_name = name
    organization.proposed_name_at = utcnow()
    _record_name_request(organization, actor, AuditAction.ORGANIZATION_RENAME_REQUESTED)


def _record_name_request(organization: Organization, actor: User, action: AuditAction) -> None:
    audit.record_about(actor, action, organization, f"{organization.name} → {organization.proposed_name}")


def _apply_profile(organization: Organization, fields: dict[str, Any]) -> None:
    if "name" in fields and name_skeleton(fields["name"]) != organization.name_skeleton:
        check_name_available(fields["name"], organization)
    new_country = fields.get("country", organization.country)
    moves_iraqi_count = (organization.country == IRAQ) != (new_country == IRAQ)
    for key, value in fields.items():
        setattr(organization, key, value)
    if moves_iraqi_count:
        # The Iraqi/international split counts by country; the public profile shows the new one
        # at once, so only the public pledges move now (see app/services/counters.py).
        counters.organization_changed(organization)


def resubmit_application(organization: Organization, actor: User, data: dict[str, Any]) -> Organization:
    """A rejected organization corrects its application and applies again (back to pending).

    Raises NotAllowed unless the actor belongs to the organization and it is rejected.
    """
    _check_can_edit(organization, actor)
    if organization.status != OrganizationStatus.REJECTED:
        raise NotAllowed(_("Only a rejected application can be sent again."))
    fields = _clean_profile(data)
    _apply_profile(organization, fields)
    organization.status = OrganizationStatus.PENDING
    organization.status_reason = None
    organization.submitted_at = utcnow()
    db.session.flush()
    audit.record_about(actor, AuditAction.ORGANIZATION_RESUBMITTED, organization)
    notifications.application_submitted(organization, resubmitted=True)
    return organization


def confirm_email(token: str) -> User:
    """Mark the email of the token's user as confirmed.

    Raises ExpiredToken, InvalidToken (tampered, or already used).
    """
    payload = tokens.read_token(tokens.EMAIL_CONFIRMATION, token)
    user = db.session.get(User, payload.get("uid")) if isinstance(payload.get("uid"), int) else None
    if (
        user is None
        or user.email_confirmed_at is not None
        or payload.get("email") != tokens.fingerprint(user.email)
    ):
        raise tokens.invalid_token()
    user.email_confirmed_at = utcnow()
    db.session.flush()
    organization = user.organization
    if user.is_owner and organization is not None and organization.status == OrganizationStatus.PENDING:
        # The application is real once its owner's address is: the moderators hear of it now.
        notifications.application_submitted(organization)
    return user


# Never saved: an unknown address's reset message is built for this stand-in like a real one.
_NO_ACCOUNT_HASH = "$argon2id$v=19$m=19456,t=2,p=1$" + "A" * 22 + "$" + "A" * 43


def request_password_reset(email: str) -> None:
    """Queue the reset message for ``email``, whether or not the address has an account.

    Both cases run the same lookup, build the same token and message and write the same
    outbox row, and neither hashes anything, so the answer's timing does not tell whether the
    address is registered. Only a real account's message is sent: the stand-in's is marked
    to be discarded, and the worker drops it after the commit.
    """
    email = accounts.normalize_email(email)
    user = accounts.find_user_by_email(email)
    recipient = user if user is not None else User(id=0, email=email, password_hash=_NO_ACCOUNT_HASH)
    mail.send_password_reset(recipient, discard=user is None)


def resend_email_confirmation(email: str) -> None:
    """Queue a new confirmation link for ``email`` if it belongs to an account still waiting
    for confirmation.

    Unknown and already confirmed addresses run the same lookup and queue the same message for
    a stand-in, marked to be discarded, so neither the answer nor its timing tells whether the
    address has an account or is confirmed.
    """
    email = accounts.normalize_email(email)
    user = accounts.find_user_by_email(email)
    waiting = user is not None and user.email_confirmed_at is None
    recipient = user if waiting else User(id=0, email=email, password_hash=_NO_ACCOUNT_HASH)
    mail.send_email_confirmation(recipient, discard=not waiting)


def reset_password(token: str, new_password: str) -> User:
    """Set a new password from a reset link; the link then stops working and every session ends.

    Raises ExpiredToken, InvalidToken, WeakPassword.
    """
    user = user_for_reset_token(token)
    accounts.set_password(user, new_password)
    return user


def user_for_reset_token(token: str) -> User:
    """The user a reset link is for. Raises ExpiredToken, InvalidToken (tampered or used)."""
    payload = tokens.read_token(tokens.PASSWORD_RESET, token)
    uid = payload.get("uid")
    user = db.session.get(User, uid) if isinstance(uid, int) else None
    if user is None or payload.get("pw") != tokens.fingerprint(user.password_hash):
        raise tokens.invalid_token()
    return user


def create_invitation(inviter: User, email: str) -> str | None:
    """A signed invitation link's token for ``email`` to join the inviter's organization.

    Returns None when the email already has an account (the view answers the same, so an
    owner cannot probe who is registered). Raises NotAllowed unless the inviter is the owner
    of an approved organization.
    """
    if not inviter.is_owner or not inviter.is_approved_member:
        raise NotAllowed(_("Only the owner of an approved organization can invite colleagues."))
    email = accounts.normalize_email(email)
    if accounts.find_user_by_email(email) is not None:
        return None
    return tokens.make_token(
        tokens.INVITATION, {"org": inviter.organization_id, "email": email, "by": inviter.id}
    )


@dataclass
class Invitation:
    organization: Organization
    email: str


def read_invitation(token: str) -> Invitation:
    """What an invitation link offers. Raises ExpiredToken, InvalidToken (tampered, used, or
    the organization can no longer invite)."""
    payload = tokens.read_token(tokens.INVITATION, token)
    org_id, email, inviter_id = payload.get("org"), payload.get("email"), payload.get("by")
    if not isinstance(org_id, int) or not isinstance(email, str) or not isinstance(inviter_id, int):
        raise tokens.invalid_token()
    organization = db.session.get(Organization, org_id)
    inviter = db.session.get(User, inviter_id)
    if (
        organization is None
        or organization.status != OrganizationStatus.APPROVED
        or inviter is None
        or inviter.organization_id != org_id
        or not inviter.is_owner
        # Used once: the account now exists.
        or accounts.find_user_by_email(email) is not None
    ):
        raise tokens.invalid_token()
    return Invitation(organization, email)


def accept_invitation(token: str, password: str, *, locale: str | None = None) -> User:
    """Create the invited user in the organization (not an owner), email confirmed by the link,
    who reads the site and their mail in ``locale`` (the language they accepted in).

    Raises ExpiredToken, InvalidToken, WeakPassword.
    """
    invitation = read_invitation(token)
    accounts.check_password_policy(
        password, email=invitation.email, organization_name=invitation.organization.name
    )
    user = User(
        email=invitation.email,
        password_hash=hash_password(password),
        role=Role.MEMBER,
        organization=invitation.organization,
        is_owner=False,
        email_confirmed_at=utcnow(),
        locale=locale,
    )
    db.session.add(user)
    db.session.flush()
    return user
