"""Notifications: what happened that a person should hear of, in-site and by mail, in one place.

Kinds (``KINDS``) and who reads them:
- moderators: ``application`` (a new or resubmitted membership application), ``review`` (a
  member asks to look again at a hidden project, or reports an introduction request);
- members (the users of an organization): ``decision`` (their organization approved, rejected
  with the reason, suspended, reinstated) and ``hidden`` (a moderator hid their project, pledge
  message or update, with the reason);
- followers with an account: ``update`` (a new update), ``supporter`` (a new supporter of a
  followed campaign the reader may see named), ``project`` (a new project linked to it).

Each person chooses per kind (``users.notification_choices``): at once, daily digest, weekly
digest, or never (``CHOICES``); a kind not chosen takes its default (``DEFAULTS``). For the
follower kinds a member's explicit choice applies to every follow except one set to "never";
without one, each follow's own frequency applies (and visitors following by email choose per
follow, as always).

The domain services call the functions below where the change is made (membership,
moderation, content moderation, introductions, pledges, projects, updates), in the change's
transaction: a ``Notification`` row per reader, and, for "at once", a mail queued in the outbox
(it leaves after the commit). No mail goes to a bounced address (``mail_bounces``), and at most
``NOTIFICATION_MAILS_PER_HOUR`` "at once" mails per recipient per hour: the excess stays
pending and goes out in the reader's next daily digest (app/services/digests.py).

What a follower reads is looked up again through the visibility rules each time it is shown
(:func:`describe`): a supporter named only if the reader may see its pledge named
(app/services/directory.py), nothing of an organization out of public view.

The header's count (``users.unread_notifications``) is moved by the statement that publishes
an update or adds a notification, so no page pays a query for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import (
    CHOICES,
    Campaign,
    Follow,
    MailBounce,
    Notification,
    Organization,
    Pledge,
    Project,
    ProjectCampaign,
    Update,
    User,
)
from app.models.base import utcnow
from app.services import DomainError, export, mail, tokens
from app.services.visibility import is_publicly_listed, publicly_listed

PAGE_SIZE = 20
EVENTS_SHOWN = 20

MODERATOR_KINDS = ("application", "review")
MEMBER_KINDS = ("decision", "hidden")
FOLLOWER_KINDS = ("update", "supporter", "project")
KINDS = MODERATOR_KINDS + MEMBER_KINDS + FOLLOWER_KINDS
DEFAULTS = {
    "application": "now",
    "review": "now",
    "decision": "now",
    "hidden": "now",
    "update": "weekly",
    "supporter": "weekly",
    "project": "weekly",
}
KIND_LABELS = {
    "application": _l("New and resubmitted membership applications"),
    "review": _l("Requests for review and reported introduction requests"),
    "decision": _l("Decisions on your organization"),
    "hidden": _l("Your content hidden, or shown again, by a moderator"),
    "update": _l("Updates on what you follow"),
    "supporter": _l("New supporters of campaigns you follow"),
    "project": _l("New projects on campaigns you follow"),
}
CHOICE_LABELS = {
    "now": _l("At once"),
    "daily": _l("Daily digest"),
    "weekly": _l("Weekly digest"),
    "never": _l("Never by mail"),
}
assert set(CHOICE_LABELS) == set(CHOICES)


# --- Choices -------------------------------------------------------------------------------


def kinds_for(user: User) -> tuple[str, ...]:
    """The kinds of notification ``user`` may receive (and choose for)."""
    if user.is_moderator:
        return MODERATOR_KINDS + FOLLOWER_KINDS
    if user.organization_id is not None:
        return MEMBER_KINDS + FOLLOWER_KINDS
    return FOLLOWER_KINDS


def explicit_choice(user: User, kind: str) -> str | None:
    """What ``user`` chose for ``kind`` (None: they never chose)."""
    value = (user.notification_choices or {}).get(kind)
    return value if value in CHOICES else None


def choice_of(user: User, kind: str) -> str:
    return explicit_choice(user, kind) or DEFAULTS[kind]


def choices_of(user: User) -> dict[str, str]:
    return {kind: choice_of(user, kind) for kind in kinds_for(user)}


def set_choices(user: User, wanted: dict[str, str]) -> None:
    """Save ``user``'s choice for each of their kinds. Raises DomainError for a missing or unknown
    choice (nothing is written)."""
    chosen = {}
    for kind in kinds_for(user):
        value = wanted.get(kind)
        if value not in CHOICES:
            raise DomainError(_("Choose how you hear of each kind of notification."))
        chosen[kind] = value
    user.notification_choices = chosen
    db.session.flush()


def follow_period(user: User, kind: str, follow_frequency: str) -> str:
    """When a member following something hears of ``kind`` on it: their explicit choice, unless
    they set the follow itself to "never"; without one, the follow's own frequency."""
    if follow_frequency == "never":
        return "never"
    return explicit_choice(user, kind) or follow_frequency


# --- Bounced addresses ---------------------------------------------------------------------


def _address(address: str) -> str:
    return (address or "").strip().lower()


def is_bounced(address: str) -> bool:
    return db.session.get(MailBounce, _address(address)) is not None


def bounced_among(addresses: list[str]) -> set[str]:
    wanted = {_address(a) for a in addresses if a}
    if not wanted:
        return set()
    return set(db.session.scalars(sa.select(MailBounce.address).where(MailBounce.address.in_(wanted))))


def mark_bounced(address: str, reason: str = "") -> bool:
    """Record that the mail server refused ``address`` for good. True when it is new."""
    address = _address(address)
    if not address or db.session.get(MailBounce, address) is not None:
        return False
    db.session.add(MailBounce(address=address, reason=(reason or "")[:200], bounced_at=utcnow()))
    db.session.flush()
    return True


def clear_bounced(address: str) -> bool:
    """The address works again (its owner fixed it). True when it was marked."""
    done = db.session.execute(sa.delete(MailBounce).where(MailBounce.address == _address(address)))
    db.session.flush()
    return bool(done.rowcount)


# --- Recording events ----------------------------------------------------------------------


def _mails_this_hour(user: User, now: datetime) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(
            Notification.user_id == user.id,
            Notification.mail_due == "now",
            Notification.mailed_at >= now - timedelta(hours=1),
        )
    )


def _record(
    user: User, kind: str, params: dict[str, Any], *, counts: bool = True,
    send: Callable[[User], None] | None = None,
) -> Notification:  # fmt: skip
    """One notification of ``kind`` for ``user``; mailed at once when they chose so, their address
    did not bounce and the hour's allowance is not spent (else it waits for the daily digest)."""
    choice = choice_of(user, kind)
    now = utcnow()
    row = Notification(
        user_id=user.id, kind=kind, params=params, mail_due=None if choice == "never" else choice,
        created_at=now,
    )  # fmt: skip
    db.session.add(row)
    if counts:
        # In SQL, so that two events at once both count; read again after the flush.
        user.unread_notifications = User.unread_notifications + 1
    db.session.flush()
    if choice == "now" and not is_bounced(user.email):
        limit = current_app.config["NOTIFICATION_MAILS_PER_HOUR"]
        if _mails_this_hour(user, now) < limit:
            if send is not None:
                send(user)
                row.mailed_at = now
            elif _mail_now(user, row):
                row.mailed_at = now
            else:
                row.mail_due = None  # nothing the reader may see any more
            db.session.flush()
    return row


def _moderators() -> list[User]:
    from app.models import Role

    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.role.in_((Role.MODERATOR, Role.ADMIN)), User.email_confirmed_at.is_not(None))
            .order_by(User.id)
        )
    )


def application_submitted(organization: Organization, *, resubmitted: bool = False) -> None:
    """Tell the moderators of a new (or resubmitted) membership application."""
    for moderator in _moderators():
        _record(
            moderator, "application",
            {"organization_id": organization.id, "name": organization.name, "resubmitted": resubmitted},
        )  # fmt: skip


def review_requested(project: Project) -> None:
    """Tell the moderators a member asks them to look again at a hidden project."""
    for moderator in _moderators():
        _record(
            moderator, "review",
            {"what": "project", "project_id": project.id, "title": project.title,
             "name": project.organization.name},
        )  # fmt: skip


def introduction_reported(report_id: int) -> None:
    """Tell the moderators an introduction request was reported as abusive."""
    for moderator in _moderators():
        _record(moderator, "review", {"what": "report", "report_id": report_id})


# A decision: the mail template and subject sent "at once".
DECISIONS = {
    "approved": ("approved", _l("Your organization is approved on Tadamun")),
    "rejected": ("rejected", _l("Your application to Tadamun was not approved")),
    "suspended": ("suspended", _l("Your organization is suspended on Tadamun")),
    "reinstated": ("reinstated", _l("Your organization is reinstated on Tadamun")),
    "delisted": (
        "organization_delisted",
        _l("A moderator has taken your organization out of public view on Tadamun"),
    ),
    "relisted": (
        "organization_relisted",
        _l("A moderator has lifted the delisting of your organization on Tadamun"),
    ),
    # On the new name an approved organization asked for, in its main language or another.
    "name_approved": ("name_approved", _l("Your organization's new name is approved")),
    "name_rejected": ("name_rejected", _l("Your organization's new name was not approved")),
}


def organization_decided(
    organization: Organization, decision: str, reason: str = "", *, name: str | None = None,
    **mail_context: Any,
) -> None:  # fmt: skip
    """Tell every user of ``organization`` a moderator's decision on it (with the reason).

    ``name``: the name the notification shows (the organization's, unless a decision on its name in
    another language names that one); ``mail_context``: what the decision's mail template needs
    besides (the refused name, the name kept)."""
    template, subject = DECISIONS[decision]
    params = {"decision": decision, "reason": reason, "name": name or organization.name}

    def send(user: User) -> None:
        mail.send_decision_to(user, organization, template, subject, reason=reason, **mail_context)

    for user in organization.users:
        _record(user, "decision", params, send=send)


def content_hidden(
    organization: Organization, what: str, item_id: int, title: str, reason: str,
    template: str | None = None, subject: Any = None, **context: Any,
) -> None:  # fmt: skip
    """Tell the users of ``organization`` a moderator hid (or kept hidden, or showed again) its
    ``what`` ("project", "pledge", "update", "review_declined"; "project_shown", "pledge_shown",
    "update_shown") with ``reason``; "at once" by
    ``template`` (None: the notification mail)."""

    def send(user: User) -> None:
        mail.send_decision_to(user, organization, template, subject, reason=reason, **context)

    for user in organization.users:
        _record(
            user, "hidden", {"what": what, "item_id": item_id, "title": title, "reason": reason},
            send=send if template is not None else None,
        )  # fmt: skip


def _following_members(
    subject_keys: list[str], kind: str, exclude: int | None = None
) -> list[tuple[User, Follow]]:
    """The members following one of ``subject_keys`` who hear of ``kind`` at once."""
    rows = db.session.execute(
        sa.select(User, Follow)
        .join(Follow, Follow.user_id == User.id)
        .where(
            Follow.subject_key.in_(subject_keys),
            User.email_confirmed_at.is_not(None),
            User.id != (exclude or -1),
            User.notification_choices.is_not(None),
        )
        .order_by(User.id, Follow.id)
    ).all()
    seen, found = set(), []
    for user, follow in rows:
        if user.id in seen or follow_period(user, kind, follow.frequency) != "now":
            continue
        seen.add(user.id)
        found.append((user, follow))
    return found


def followers_of_update(update: Update) -> sa.Select:
    """The ids of the accounts that follow what ``update`` is about."""
    return sa.select(Follow.user_id).where(
        Follow.subject_key.in_(_update_keys(update)), Follow.user_id.is_not(None)
    )


def _update_keys(update: Update) -> list[str]:
    keys = []
    if update.campaign_id is not None:
        keys.append(f"campaign:{update.campaign_id}")
    if update.project_id is not None and update.campaign_id is None:
        keys.append(f"project:{update.project_id}")
    if update.organization_id is not None:
        keys.append(f"organization:{update.organization_id}")
    return keys


def update_published(update: Update) -> None:
    """Count a new update for every account following what it is about (not its author), and mail
    it to those who chose "at once"; nothing when its organization is out of public view (it
    shows nowhere)."""
    if update.organization is not None and not is_publicly_listed(update.organization):
        return
    db.session.execute(
        sa.update(User)
        .where(User.id.in_(followers_of_update(update)), User.id != (update.author_id or -1))
        .values(unread_notifications=User.unread_notifications + 1)
        .execution_options(synchronize_session=False)
    )
    for user, follow in _following_members(_update_keys(update), "update", exclude=update.author_id):
        _record(user, "update", {"update_id": update.id, "follow_id": follow.id}, counts=False)


def _record_if_seen(user: User, kind: str, params: dict[str, Any]) -> None:
    """A follower's "at once" notification, in-site (counted) and by mail, only when its reader
    may see what it points to now: otherwise not even its count may tell it happened."""
    if describe(Notification(kind=kind, params=params), user, user.locale or "en") is not None:
        _record(user, kind, params)


def supporter_added(pledge: Pledge) -> None:
    """A new pledge: tell the followers of its campaign who chose "at once" and may see it
    named (:func:`describe` decides), in-site and by mail."""
    for user, follow in _following_members([f"campaign:{pledge.campaign_id}"], "supporter"):
        if user.organization_id == pledge.organization_id:
            continue
        _record_if_seen(user, "supporter", {"pledge_id": pledge.id, "follow_id": follow.id})


def project_linked(project: Project, campaign_ids: set[int]) -> None:
    """A project newly linked to campaigns: tell their followers who chose "at once" and may see
    the link, in-site and by mail."""
    for campaign_id in sorted(campaign_ids):
        for user, follow in _following_members([f"campaign:{campaign_id}"], "project"):
            if user.organization_id == project.organization_id:
                continue
            params = {"project_id": project.id, "campaign_id": campaign_id, "follow_id": follow.id}
            _record_if_seen(user, "project", params)


# --- Reading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """One notification in its reader's language: a sentence, a link, and an optional reason."""

    kind: str
    text: str
    url: str
    reason: str = ""
    created_at: datetime | None = None


def _campaign_title(campaign: Campaign, locale: str) -> str:
    from app.services import translations

    return translations.localized_campaign(campaign, locale).title


def describe(
    row: Notification, user: User, locale: str, found: dict[str, dict[Any, Any]] | None = None
) -> Shown | None:
    """``row`` as its reader ``user`` may read it now, in ``locale`` (None: nothing of it may be
    shown any more). The caller sets the locale (force_locale); ``found``, what
    :func:`_visible_targets` found for a batch of rows (else it is looked up for this one)."""
    if found is None:
        found = _visible_targets([row], user)
    p = row.params or {}
    kind = row.kind
    if kind == "application":
        text = (
            _("%(name)s sent its membership application again.", name=p.get("name", ""))
            if p.get("resubmitted")
            else _("%(name)s applied for membership.", name=p.get("name", ""))
        )
        url = tokens.external_url("moderation.organization", organization_id=p.get("organization_id", 0))
        return Shown(kind, text, url, created_at=row.created_at)
    if kind == "review":
        if p.get("what") == "report":
            text = _("A member reported an introduction request as abusive.")
            return Shown(kind, text, tokens.external_url("solidarity.reports"), created_at=row.created_at)
        text = _(
            "%(name)s asks for a review of its hidden project “%(title)s”.",
            name=p.get("name", ""), title=p.get("title", ""),
        )  # fmt: skip
        return Shown(
            kind, text, tokens.external_url("moderation.queue") + "#reviews", created_at=row.created_at
        )
    if kind == "decision":
        texts = {
            "approved": _("%(name)s is approved: welcome to the network."),
            "rejected": _("The application of %(name)s was rejected."),
            "suspended": _("%(name)s is suspended."),
            "reinstated": _("%(name)s is reinstated."),
            "delisted": _("A moderator took %(name)s out of public view."),
            "relisted": _("A moderator lifted the delisting of %(name)s."),
            "name_approved": _("%(name)s now carries its new name."),
            "name_rejected": _("Your organization's new name was not approved"),
        }
        template = texts.get(p.get("decision", ""))
        if template is None:
            return None
        return Shown(
            kind, template % {"name": p.get("name", "")}, tokens.external_url("account.dashboard"),
            p.get("reason", ""), row.created_at,
        )  # fmt: skip
    if kind == "hidden":
        texts = {
            "project": _("A moderator hid your project “%(title)s”."),
            "pledge": _("A moderator hid your pledge message on “%(title)s”."),
            "update": _("A moderator hid your update “%(title)s”."),
            "review_declined": _("Your project “%(title)s” stays hidden."),
            "project_shown": _("A moderator made your project “%(title)s” visible again."),
            "pledge_shown": _("A moderator made your pledge message on “%(title)s” visible again."),
            "update_shown": _("A moderator showed your update “%(title)s” again."),
        }
        template = texts.get(p.get("what", ""))
        if template is None:
            return None
        # A project shown again links to its page; what stays hidden is listed on the dashboard.
        url = (
            tokens.external_url("projects.detail", key=str(p.get("item_id", 0)))
            if p.get("what") == "project_shown"
            else tokens.external_url("account.dashboard")
        )
        return Shown(kind, template % {"title": p.get("title", "")}, url, p.get("reason", ""), row.created_at)
    if kind == "update":
        update = found["updates"].get(p.get("update_id", 0))
        text_in = update.text_in(locale) if update is not None else None
        if update is None or text_in is None:
            return None
        if update.campaign is not None:
            url = tokens.external_url("campaigns.detail", slug=update.campaign.slug) + f"#update-{update.id}"
        else:
            url = tokens.external_url("projects.detail", key=update.project.slug) + "#updates"
        return Shown(kind, _("New update: %(title)s", title=text_in.title), url, created_at=row.created_at)
    if kind == "supporter":
        pledge = found["pledges"].get(p.get("pledge_id", 0))
        if pledge is None:
            return None
        text = _(
            "%(name)s supports %(campaign)s.",
            name=pledge.organization.name_in(locale), campaign=_campaign_title(pledge.campaign, locale),
        )  # fmt: skip
        return Shown(
            kind,
            text,
            tokens.external_url("campaigns.detail", slug=pledge.campaign.slug),
            created_at=row.created_at,
        )
    if kind == "project":
        found_link = found["projects"].get((p.get("project_id", 0), p.get("campaign_id", 0)))
        if found_link is None:
            return None
        project, campaign = found_link
        text = _(
            "New project on %(campaign)s: %(title)s",
            campaign=_campaign_title(campaign, locale), title=project.title,
        )  # fmt: skip
        return Shown(
            kind, text, tokens.external_url("projects.detail", key=project.slug), created_at=row.created_at
        )
    return None


def _visible_targets(rows: list[Notification], user: User) -> dict[str, dict[Any, Any]]:
    """What the follower notifications among ``rows`` point to that ``user`` may see now: the
    one place the visibility rules are asked for them (three queries at most, however many
    rows). A pledge is there only when the reader may see it named (app/services/directory.py)
    and its organization is in public view; a project link only when the reader may see it and
    the project is not hidden; an update only when anyone may see it (app/services/updates.py)."""
    from app.services.directory import link_visibilities, named_visibilities
    from app.services.updates import _shown_updates

    found: dict[str, dict[Any, Any]] = {"updates": {}, "pledges": {}, "projects": {}}
    ids = {kind: [r.params or {} for r in rows if r.kind == kind] for kind in FOLLOWER_KINDS}
    update_ids = {p.get("update_id", 0) for p in ids["update"]}
    if update_ids:
        found["updates"] = {
            u.id: u for u in db.session.scalars(_shown_updates().where(Update.id.in_(update_ids))).unique()
        }
    pledge_ids = {p.get("pledge_id", 0) for p in ids["supporter"]}
    if pledge_ids:
        found["pledges"] = {
            pledge.id: pledge
            for pledge in db.session.scalars(
                sa.select(Pledge)
                .join(Pledge.organization)
                .where(
                    Pledge.id.in_(pledge_ids),
                    Pledge.withdrawn_at.is_(None),
                    Pledge.visibility.in_(named_visibilities(user)),
                    publicly_listed(Organization),
                )
                .options(joinedload(Pledge.organization), joinedload(Pledge.campaign))
            )
        }
    project_ids = {p.get("project_id", 0) for p in ids["project"]}
    if project_ids:
        for project, campaign in db.session.execute(
            sa.select(Project, Campaign)
            .join(Project.organization)
            .join(ProjectCampaign, ProjectCampaign.project_id == Project.id)
            .join(Campaign, Campaign.id == ProjectCampaign.campaign_id)
            .where(
                Project.id.in_(project_ids),
                ProjectCampaign.visibility.in_(link_visibilities(user)),
                Project.hidden_at.is_(None),
                publicly_listed(Organization),
            )
        ):
            found["projects"][(project.id, campaign.id)] = (project, campaign)
    return found


def describe_all(rows: list[Notification], user: User, locale: str) -> list[Shown]:
    """``rows`` as :func:`describe` shows them, leaving out what ``user`` may not see now; the
    same few queries however many rows."""
    found = _visible_targets(rows, user)
    shown = (describe(row, user, locale, found) for row in rows)
    return [item for item in shown if item is not None]


NOW_SUBJECTS = {
    "application": _l("A membership application waits on Tadamun"),
    "review": _l("A request waits for a moderator on Tadamun"),
    "decision": _l("A decision on your organization on Tadamun"),
    "hidden": _l("A moderator hid your content on Tadamun"),
    "update": _l("A new update on Tadamun"),
    "supporter": _l("A new supporter on Tadamun"),
    "project": _l("A new project on Tadamun"),
}


SHOWN_SUBJECT = _l("A moderator made your content visible again on Tadamun")


def _mail_now(user: User, row: Notification) -> bool:
    """Queue the "at once" mail of ``row`` to ``user`` (False: nothing they may read)."""
    from app.services import following

    locale = user.locale or "en"
    with force_locale(locale):
        shown = describe(row, user, locale)
        if shown is None:
            return False
        subject = str(NOW_SUBJECTS[row.kind])
        if row.kind == "hidden" and str(row.params.get("what", "")).endswith("_shown"):
            subject = str(SHOWN_SUBJECT)
    follow = db.session.get(Follow, row.params.get("follow_id", 0)) if row.kind in FOLLOWER_KINDS else None
    headers = following.unsubscribe_headers(follow) if follow is not None else None
    mail.send(
        user.email, subject, "notification", locale=locale, time_zone=user.time_zone,
        key=f"notification:{row.id}", headers=headers, shown=shown,
        settings_link=tokens.external_url("notifications.settings"),
        unsubscribe=following.unsubscribe_url(follow) if follow is not None else None,
    )  # fmt: skip
    return True


def pending_for_digest(user: User, period: str) -> list[Notification]:
    """The notifications of ``user`` waiting for the ``period`` digest: those chosen for it, and
    (daily) the "at once" ones the hourly allowance held back."""
    dues = ("daily", "now") if period == "daily" else (period,)
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(
                Notification.user_id == user.id,
                Notification.mail_due.in_(dues),
                Notification.mailed_at.is_(None),
            )
            .order_by(Notification.created_at, Notification.id)
            .limit(200)
        )
    )


def users_with_pending(period: str) -> list[int]:
    dues = ("daily", "now") if period == "daily" else (period,)
    return list(
        db.session.scalars(
            sa.select(Notification.user_id)
            .where(Notification.mail_due.in_(dues), Notification.mailed_at.is_(None))
            .distinct()
        )
    )


NOTIFICATION_RETENTION = timedelta(days=180)


def purge_old_notifications(now: datetime) -> int:
    """Erase the notifications older than 180 days (``flask purge``); how many."""
    done = db.session.execute(
        sa.delete(Notification).where(Notification.created_at < now - NOTIFICATION_RETENTION)
    )
    db.session.flush()
    return done.rowcount or 0


# Shown on the notifications page: every kind but "update", as the page lists every update on
# what the reader follows (app/services/updates.py decides which may be seen) whatever they chose.
PAGE_KINDS = tuple(kind for kind in KINDS if kind != "update")


def events_of(user: User, locale: str, number: int = 1) -> tuple[list[Shown], bool]:
    """Page ``number`` of ``user``'s notifications (newest first) as they may read them now,
    and whether there are older ones; the same few queries however many."""
    rows = list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.user_id == user.id, Notification.kind.in_(PAGE_KINDS))
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(EVENTS_SHOWN + 1)
            .offset((number - 1) * EVENTS_SHOWN)
        )
    )
    return describe_all(rows[:EVENTS_SHOWN], user, locale), len(rows) > EVENTS_SHOWN


def _key(kind: str, column: Any) -> sa.ColumnElement[str]:
    """SQL: a follow's subject key ("campaign:3") for the id in ``column``."""
    return sa.literal(f"{kind}:", sa.String) + sa.cast(column, sa.String)


def _followed_updates(user: User) -> sa.Select:
    from app.services.updates import _shown_updates

    follows = sa.select(Follow.subject_key).where(Follow.user_id == user.id).scalar_subquery()
    on_campaign = _key("campaign", Update.campaign_id)
    on_project = _key("project", Update.project_id)
    by_organization = _key("organization", Update.organization_id)
    return _shown_updates().where(
        sa.or_(
            sa.and_(Update.campaign_id.is_not(None), on_campaign.in_(follows)),
            sa.and_(Update.campaign_id.is_(None), on_project.in_(follows)),
            sa.and_(Update.organization_id.is_not(None), by_organization.in_(follows)),
        )
    )


def page(user: User, locale: str, number: int = 1) -> dict[str, Any]:
    """Page ``number`` of ``user``'s notifications and of the updates on what they follow (each
    list its own 20 newest on the page), in ``locale``, and how many are new."""
    from app.services.updates import UpdatePage, localized

    number = min(max(number, 1), 10_000)
    rows = list(
        db.session.scalars(
            _followed_updates(user)
            .options(joinedload(Update.campaign))
            .limit(PAGE_SIZE + 1)
            .offset((number - 1) * PAGE_SIZE)
        ).unique()
    )
    items = rows[:PAGE_SIZE]
    events, more_events = events_of(user, locale, number)
    return {
        "events": events,
        "updates": UpdatePage(items=items, page=number, has_next=len(rows) > PAGE_SIZE),
        "shown": localized(items, locale),
        "unread": user.unread_notifications if number == 1 else 0,
        "page": number,
        "has_older": more_events or len(rows) > PAGE_SIZE,
    }


def mark_read(user: User) -> None:
    user.unread_notifications = 0
    db.session.flush()


# --- In the organization's data export (app/services/export.py) ---------------------------
# The organization's own people's data only: their choices, the mark on their address, and
# their notifications with the words about their own organization (a decision, a hidden
# item and its reason). Of what they heard about others (applications, supporters, projects,
# updates) only the kind and the dates: nothing of other people.


def _people(organization: Organization) -> list[User]:
    return list(
        db.session.scalars(sa.select(User).where(User.organization_id == organization.id).order_by(User.id))
    )


@export.section(
    "notification_choices",
    _l("each person's notification choices (chosen, or the default) and any refusal of their address"),
)
def _export_choices(organization: Organization) -> list[dict[str, Any]]:
    people = _people(organization)
    bounces = {
        bounce.address: bounce
        for bounce in db.session.scalars(
            sa.select(MailBounce).where(MailBounce.address.in_([_address(u.email) for u in people]))
        )
    }
    rows: list[dict[str, Any]] = []
    for user in people:
        bounce = bounces.get(_address(user.email))
        rows.extend(
            {
                "user": user.email,
                "kind": kind,
                "choice": choice_of(user, kind),
                "chosen": explicit_choice(user, kind) is not None,
                "mail_refused_at": bounce.bounced_at if bounce else None,
                "mail_refused_reason": bounce.reason if bounce else "",
            }
            for kind in kinds_for(user)
        )
    return rows


_EXPORTED_PARAMS = ("decision", "what", "title", "reason", "name")


@export.section("notifications", _l("the notifications of the organization's people, mailed or not"))
def _export_notifications(organization: Organization) -> list[dict[str, Any]]:
    rows = db.session.execute(
        sa.select(Notification, User.email)
        .join(User, User.id == Notification.user_id)
        .where(User.organization_id == organization.id)
        .order_by(Notification.user_id, Notification.created_at, Notification.id)
    ).all()
    exported = []
    for row, email in rows:
        own = row.kind in MEMBER_KINDS  # about their own organization
        exported.append(
            {
                "user": email,
                "kind": row.kind,
                "created_at": row.created_at,
                "mail": row.mail_due or "never",
                "mailed_at": row.mailed_at,
                **{key: (row.params or {}).get(key, "") if own else "" for key in _EXPORTED_PARAMS},
            }
        )
    return exported
