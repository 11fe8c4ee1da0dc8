"""Following campaigns, organizations and projects.

A logged-in person follows from their account (one click, one row). A visitor follows with an
email address only, by double opt-in: the form writes nothing and mails a signed link
(``tokens.FOLLOW_CONFIRMATION``, expiring like an address confirmation); only opening it and
pressing the button writes the row, with the visitor's language. No account is created. The
form answers the same whatever the address, so it never tells whether an address already
follows (the link of an address that already follows confirms nothing new).

Every mail to a follower carries a one-click unsubscribe link (``tokens.UNSUBSCRIBE``, no
expiry; it names the row and a fingerprint of it, so a row id used again by another follower is
not reached by an old link) as a link in the text and as RFC 8058 ``List-Unsubscribe`` and
``List-Unsubscribe-Post`` headers (:func:`unsubscribe_headers`). It works without logging in.

Only subjects in public view can be followed (app/services/directory.py finds them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import (
    DEFAULT_FREQUENCY,
    FOLLOWABLE,
    FREQUENCIES,
    Campaign,
    Follow,
    Organization,
    Project,
    User,
)
from app.services import DomainError, NotAllowed, directory, mail, tokens
from app.services.directory import CampaignRef, ProjectRef
from app.services.mail import header_text

Subject = Campaign | Organization | Project
MEMBER_FOLLOWS_LIMIT = 200


def find_subject(kind: str, key: str, viewer: Any = None) -> Subject | None:
    """A followable campaign, organization or project in public view, by slug."""
    if kind == "campaign":
        return directory.get_campaign(key)
    if kind == "organization":
        return directory.get_organization(key)
    if kind == "project":
        return directory.get_project(key, viewer)
    return None


def subject_key(kind: str, subject: Subject | CampaignRef | ProjectRef) -> str:
    if kind not in FOLLOWABLE:
        raise ValueError(kind)
    return f"{kind}:{subject.id}"


def _subject_columns(kind: str, subject: Subject) -> dict[str, int]:
    return {f"{kind}_id": subject.id}


def _user_key(user: User) -> str:
    return f"user:{user.id}"


def _email_key(email: str) -> str:
    return f"email:{email}"


# Whether a reader follows a subject, by their keys (:func:`follow_keys`): built once (asked on
# every campaign, organization and project page a member reads), alone or with other questions.
FOLLOWS = sa.exists().where(
    Follow.follower_key == sa.bindparam("follower_key"), Follow.subject_key == sa.bindparam("subject_key")
)
_FOLLOWS = sa.select(FOLLOWS)


def follows_in_select(kind: str, subject_id: Any) -> sa.Exists:
    """:data:`FOLLOWS` for a subject read by the same select, its key (:func:`subject_key`,
    "kind:id") made from its id column; the reader by :func:`follower_parameters`."""
    if kind not in FOLLOWABLE:
        raise ValueError(kind)
    return sa.exists().where(
        Follow.follower_key == sa.bindparam("follower_key"),
        Follow.subject_key == sa.literal(f"{kind}:") + sa.cast(subject_id, sa.String),
    )


def follower_parameters(user: User) -> dict[str, str]:
    """The reader's parameter of :data:`FOLLOWS` and :func:`follows_in_select`."""
    return {"follower_key": _user_key(user)}


def follow_keys(user: User, kind: str, subject: Subject | CampaignRef | ProjectRef) -> dict[str, str]:
    """The parameters of :data:`FOLLOWS` for the logged-in ``user`` and ``subject``."""
    return {"follower_key": _user_key(user), "subject_key": subject_key(kind, subject)}


def is_following(user: Any, kind: str, subject: Subject | CampaignRef | ProjectRef) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(db.session.scalar(_FOLLOWS, follow_keys(user, kind, subject)))


@dataclass(frozen=True)
class FollowPanel:
    """What a page's follow button needs: the subject, and whether the viewer follows it (None:
    a visitor, who is offered the email form)."""

    kind: str
    key: str
    following: bool | None


def panel(
    kind: str, subject: Subject | CampaignRef | ProjectRef, viewer: Any, *, following: bool | None = None
) -> FollowPanel:
    """The follow button of ``viewer`` for ``subject``. ``following``: whether they follow it,
    when the caller asked already (:data:`FOLLOWS`); else one query for a logged-in viewer."""
    logged_in = viewer is not None and getattr(viewer, "is_authenticated", False)
    if not logged_in:
        following = None
    elif following is None:
        following = is_following(viewer, kind, subject)
    return FollowPanel(kind=kind, key=subject.slug, following=following)


# --- Members -------------------------------------------------------------------------------


def follow(user: User, kind: str, subject: Subject) -> Follow:
    """A logged-in person follows ``subject`` (again: nothing changes). Raises NotAllowed
    (nobody logged in), DomainError (too many follows)."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotAllowed(_("Log in to follow from your account."))
    key = subject_key(kind, subject)
    existing = db.session.scalar(
        sa.select(Follow).where(Follow.follower_key == _user_key(user), Follow.subject_key == key)
    )
    if existing is not None:
        return existing
    held = db.session.scalar(sa.select(sa.func.count()).select_from(Follow).where(Follow.user_id == user.id))
    if (held or 0) >= MEMBER_FOLLOWS_LIMIT:
        raise DomainError(_("You follow as many things as one account can."))
    row = Follow(
        user_id=user.id, follower_key=_user_key(user), subject_key=key, **_subject_columns(kind, subject)
    )
    db.session.add(row)
    db.session.flush()
    return row


def unfollow(user: User, kind: str, subject: Subject) -> None:
    """Stop following (not following already: nothing changes)."""
    db.session.execute(
        sa.delete(Follow).where(
            Follow.follower_key == _user_key(user), Follow.subject_key == subject_key(kind, subject)
        )
    )
    db.session.flush()


@dataclass(frozen=True)
class Followed:
    follow: Follow
    kind: str
    title: str
    slug: str


def follows_of(user: User, locale: str) -> list[Followed]:
    """What ``user`` follows and can still see, for their dashboard (four queries at most)."""
    from app.services import translations

    rows = list(
        db.session.scalars(
            sa.select(Follow)
            .where(Follow.user_id == user.id)
            .order_by(Follow.created_at.desc(), Follow.id.desc())
        )
    )
    ids = {kind: {getattr(r, f"{kind}_id") for r in rows if getattr(r, f"{kind}_id")} for kind in FOLLOWABLE}
    from app.services.visibility import publicly_listed

    campaigns = (
        {c.id: c for c in db.session.scalars(sa.select(Campaign).where(Campaign.id.in_(ids["campaign"])))}
        if ids["campaign"]
        else {}
    )
    organizations = (
        {
            o.id: o
            for o in db.session.scalars(
                sa.select(Organization).where(Organization.id.in_(ids["organization"]), publicly_listed())
            )
        }
        if ids["organization"]
        else {}
    )
    projects = (
        {
            p.id: p
            for p in db.session.scalars(
                sa.select(Project)
                .join(Project.organization)
                .where(Project.id.in_(ids["project"]), Project.hidden_at.is_(None), publicly_listed())
            )
        }
        if ids["project"]
        else {}
    )
    campaign_texts = translations.campaign_texts(list(campaigns.values()), locale)
    shown = []
    for row in rows:
        if row.campaign_id in campaigns:
            shown.append(
                Followed(
                    row, "campaign", campaign_texts[row.campaign_id].title, campaigns[row.campaign_id].slug
                )
            )
        elif row.organization_id in organizations:
            org = organizations[row.organization_id]
            shown.append(Followed(row, "organization", org.name_in(locale), org.slug))
        elif row.project_id in projects:
            project = projects[row.project_id]
            shown.append(Followed(row, "project", project.title, project.slug))
    return shown


# --- Visitors: double opt-in ---------------------------------------------------------------

FOLLOW_SUBJECT = {
    "campaign": _l("Confirm that you follow a campaign on Tadamun"),
    "organization": _l("Confirm that you follow an organization on Tadamun"),
    "project": _l("Confirm that you follow a project on Tadamun"),
}


def clean_email(email: str | None) -> str:
    """The address lower-cased; DomainError when it is not one."""
    text = (email or "").strip()
    if not text or len(text) > 254 or header_text(text) != text:
        raise DomainError(_("Enter a valid email address."))
    try:
        validated = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise DomainError(_("Enter a valid email address.")) from None
    return validated.normalized.lower()


def request_follow_by_email(email: str, kind: str, subject: Subject, locale: str) -> None:
    """Mail the confirmation link to ``email``; nothing else is written. Raises DomainError for an
    address that is not one (the only answer that differs)."""
    address = clean_email(email)
    token = tokens.make_token(
        tokens.FOLLOW_CONFIRMATION,
        {"email": address, "subject": subject_key(kind, subject), "locale": locale},
    )
    mail.send(
        address,
        FOLLOW_SUBJECT[kind],
        "follow_confirm",
        locale=locale,
        title=_subject_title(kind, subject, locale),
        link=tokens.external_url("following.confirm", token=token),
    )


def _subject_title(kind: str, subject: Subject, locale: str) -> str:
    from app.services import translations

    if kind == "campaign":
        return translations.localized_campaign(subject, locale).title  # type: ignore[arg-type]
    if kind == "organization":
        return subject.name_in(locale)  # type: ignore[union-attr]
    return subject.title  # type: ignore[union-attr]


@dataclass(frozen=True)
class PendingFollow:
    email: str
    kind: str
    subject: Subject
    locale: str
    title: str


def read_confirmation(token: str) -> PendingFollow:
    """What a confirmation link asks for. Raises tokens.InvalidToken / ExpiredToken, and
    InvalidToken when the subject is gone or out of public view."""
    payload = tokens.read_token(tokens.FOLLOW_CONFIRMATION, token)
    email, key, locale = payload.get("email"), payload.get("subject"), payload.get("locale")
    if not isinstance(email, str) or not isinstance(key, str) or not isinstance(locale, str):
        raise tokens.invalid_token()
    kind, _sep, raw_id = key.partition(":")
    subject = _subject_by_id(kind, raw_id)
    if subject is None:
        raise tokens.invalid_token()
    return PendingFollow(
        email=email, kind=kind, subject=subject, locale=locale, title=_subject_title(kind, subject, locale)
    )


def _subject_by_id(kind: str, raw_id: str) -> Subject | None:
    from app.services.visibility import publicly_listed

    if kind not in FOLLOWABLE or not raw_id.isdigit():
        return None
    subject_id = int(raw_id)
    if kind == "campaign":
        return db.session.get(Campaign, subject_id)
    if kind == "organization":
        return db.session.scalar(
            sa.select(Organization).where(Organization.id == subject_id, publicly_listed())
        )
    return db.session.scalar(
        sa.select(Project)
        .join(Project.organization)
        .where(Project.id == subject_id, Project.hidden_at.is_(None), publicly_listed())
    )


WELCOME_SUBJECT = _l("You follow %(title)s on Tadamun")


def confirm_follow(token: str, frequency: str = DEFAULT_FREQUENCY) -> Follow:
    """The visitor pressed the button of their confirmation link: the row is written (once; the
    same link again changes nothing) and a welcome mail with the unsubscribe link is queued."""
    pending = read_confirmation(token)
    key = subject_key(pending.kind, pending.subject)
    existing = db.session.scalar(
        sa.select(Follow).where(Follow.follower_key == _email_key(pending.email), Follow.subject_key == key)
    )
    if frequency not in FREQUENCIES:
        raise DomainError(_("Choose daily, weekly or never."))
    if existing is not None:
        return existing
    row = Follow(
        email=pending.email, locale=pending.locale, follower_key=_email_key(pending.email), subject_key=key,
        frequency=frequency,
        **_subject_columns(pending.kind, pending.subject),
    )  # fmt: skip
    db.session.add(row)
    db.session.flush()
    send_to_follower(
        row, WELCOME_SUBJECT, "follow_welcome", title=pending.title, kind=pending.kind,
        mail_subject_values={"title": pending.title},
    )  # fmt: skip
    return row


# --- Unsubscribing -------------------------------------------------------------------------


def _fingerprint(row: Follow) -> str:
    return tokens.fingerprint(f"{row.follower_key}|{row.subject_key}|{row.created_at.isoformat()}")


def unsubscribe_token(row: Follow) -> str:
    return tokens.make_token(tokens.UNSUBSCRIBE, {"fid": row.id, "fp": _fingerprint(row)})


def unsubscribe_url(row: Follow) -> str:
    return tokens.external_url("following.unsubscribe", token=unsubscribe_token(row))


def unsubscribe_all_url(follower_key: str) -> str:
    """A link that stops every follow of one follower (a digest's own link and header)."""
    token = tokens.make_token(
        tokens.UNSUBSCRIBE, {"all": tokens.fingerprint(follower_key), "fk": follower_key}
    )
    return tokens.external_url("following.unsubscribe", token=token)


def unsubscribe_headers_for(url: str) -> dict[str, str]:
    """RFC 2369 and RFC 8058 headers: mail programs show an unsubscribe button that POSTs."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def unsubscribe_headers(row: Follow) -> dict[str, str]:
    return unsubscribe_headers_for(unsubscribe_url(row))


def follows_of_token(token: str) -> list[Follow]:
    """The rows an unsubscribe link names (one follow, or every follow of one follower); empty
    when they are gone already. Raises tokens.InvalidToken for a damaged link."""
    payload = tokens.read_token(tokens.UNSUBSCRIBE, token)
    if "fk" in payload:
        follower_key, fp = payload.get("fk"), payload.get("all")
        if not isinstance(follower_key, str) or fp != tokens.fingerprint(follower_key):
            raise tokens.invalid_token()
        return list(db.session.scalars(sa.select(Follow).where(Follow.follower_key == follower_key)))
    follow_id, fp = payload.get("fid"), payload.get("fp")
    if not isinstance(follow_id, int) or not isinstance(fp, str):
        raise tokens.invalid_token()
    row = db.session.get(Follow, follow_id)
    if row is None or _fingerprint(row) != fp:
        return []
    return [row]


def unsubscribe(token: str) -> None:
    """One click: the rows the link names are deleted (gone already: nothing changes)."""
    for row in follows_of_token(token):
        db.session.delete(row)
    db.session.flush()


def set_frequency(user: User, kind: str, subject: Subject, frequency: str) -> None:
    """A member chooses how often they hear of one thing they follow. Raises DomainError."""
    if frequency not in FREQUENCIES:
        raise DomainError(_("Choose daily, weekly or never."))
    row = db.session.scalar(
        sa.select(Follow).where(
            Follow.follower_key == _user_key(user), Follow.subject_key == subject_key(kind, subject)
        )
    )
    if row is None:
        raise DomainError(_("You do not follow it."))
    row.frequency = frequency
    db.session.flush()


def recipient_of(row: Follow) -> tuple[str, str | None, str | None]:
    """(address, language, time zone) of a follower."""
    if row.user_id is not None:
        user = db.session.get(User, row.user_id)
        return user.email, user.locale, user.time_zone
    return row.email or "", row.locale, None


def send_to_follower(
    row: Follow, subject: Any, template: str, *, key: str | None = None,
    mail_subject_values: dict[str, str] | None = None, **context: Any,
) -> None:  # fmt: skip
    """Queue a mail to a follower in their language, with the unsubscribe link in the text
    (``unsubscribe``) and in the headers."""
    from flask_babel import force_locale

    address, locale, time_zone = recipient_of(row)
    with force_locale(locale or "en"):
        subject_text = str(subject) % mail_subject_values if mail_subject_values else str(subject)
    mail.send(
        address, subject_text, template, locale=locale, time_zone=time_zone, key=key,
        headers=unsubscribe_headers(row), unsubscribe=unsubscribe_url(row), **context,
    )  # fmt: skip
