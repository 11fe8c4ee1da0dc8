"""One translated label for each value of the domain's closed vocabularies.

Forms (their choices), filters, pages and mail all read their words from here, so a kind of
organization reads the same on the registration form, in the directory and in a moderator's
queue. Each table maps the enum member (equal to its stored string) to a lazy label; calling a
table gives the label of one value in the page's language, ``.table()`` all of them.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.models import (
    AuditAction,
    CampaignStatus,
    GatheringStatus,
    LoginSession,
    OfferCategory,
    OfferDirection,
    OfferVisibility,
    OrganizationKind,
    OrganizationStatus,
    PledgeVisibility,
    ProjectStatus,
    RegistrationKind,
    RegistrationState,
    Role,
    SupportKind,
    Visibility,
)


class Labels(dict):
    """Lazy labels by value; translated once per language and process rather than once per row
    (lists show a badge or a label on every row, and translating each was a third of the
    campaign page's rendering time)."""

    def __init__(self, labels: Mapping) -> None:
        super().__init__(labels)
        self._by_locale: dict[str, dict[str, str]] = {}

    def table(self) -> dict[str, str]:
        """Every label, translated into the page's language, by the value's string."""
        locale = str(get_locale())
        table = self._by_locale.get(locale)
        if table is None:
            table = self._by_locale[locale] = {str(value): str(label) for value, label in self.items()}
        return table

    def __call__(self, value) -> str:
        """The label of one value; an unknown value is shown as it is."""
        return self.table().get(str(value), str(value))


ORGANIZATION_KIND = Labels(
    {
        OrganizationKind.HUMAN_RIGHTS_ASSOCIATION: _l("Human rights association"),
        OrganizationKind.CULTURAL_ASSOCIATION: _l("Cultural association"),
        OrganizationKind.WOMENS_GROUP: _l("Women's group"),
        OrganizationKind.YOUTH_GROUP: _l("Youth or student group"),
        OrganizationKind.NGO: _l("Non-governmental organization"),
        OrganizationKind.LABOUR_UNION: _l("Labour union"),
        OrganizationKind.MEDIA_OUTLET: _l("Media outlet"),
        OrganizationKind.INTERNATIONAL_NGO: _l("International NGO"),
        OrganizationKind.SOCIAL_MOVEMENT: _l("Social movement"),
        OrganizationKind.FOUNDATION: _l("Foundation"),
    }
)

SUPPORT_KIND = Labels(
    {
        SupportKind.ENDORSEMENT: _l("Endorsement"),
        SupportKind.ADVOCACY: _l("Advocacy"),
        SupportKind.VOLUNTEERS: _l("Volunteers"),
        SupportKind.EXPERTISE: _l("Expertise"),
        SupportKind.FUNDING: _l("Funding"),
        SupportKind.IN_KIND: _l("In-kind support"),
        SupportKind.HOSTING_EVENTS: _l("Hosting events"),
    }
)

# What an organization offers the network or needs from it (app/models/solidarity.py).
OFFER_CATEGORY = Labels(
    {
        OfferCategory.LEGAL: _l("Legal expertise"),
        OfferCategory.TECHNICAL: _l("Technical expertise"),
        OfferCategory.MEDIA: _l("Media expertise"),
        OfferCategory.RESEARCH: _l("Research"),
        OfferCategory.FUNDING: _l("Funding"),
        OfferCategory.VOLUNTEERS: _l("Volunteers"),
        OfferCategory.ADVOCACY: _l("Advocacy"),
        OfferCategory.HOSTING: _l("Hosting"),
        OfferCategory.TRAINING: _l("Training"),
        OfferCategory.EQUIPMENT: _l("Equipment"),
    }
)
OFFER_DIRECTION = Labels({OfferDirection.OFFER: _l("We offer"), OfferDirection.NEED: _l("We need")})
OFFER_VISIBILITY = Labels(
    {
        OfferVisibility.PUBLIC: _l("Public — anyone who can see your organization"),
        OfferVisibility.MEMBERS: _l("Members only — logged-in members of approved organizations"),
    }
)

# Each says in one line who will see the organization's name.
PLEDGE_VISIBILITY = Labels(
    {
        PledgeVisibility.PUBLIC: _l("Public — your organization is named on the campaign page"),
        PledgeVisibility.MEMBERS: _l(
            "Members only — named only to logged-in members of approved organizations"
        ),
        PledgeVisibility.COUNTED: _l("Counted only — adds to the numbers, never named anywhere"),
    }
)

# Who may see one contact detail of an organization.
CONTACT_VISIBILITY = Labels(
    {
        Visibility.PUBLIC: _l("Public"),
        Visibility.MEMBERS: _l("Members only"),
        Visibility.HIDDEN: _l("Moderators only"),
    }
)
CONTACT_VISIBILITY_HELP = _l(
    "Public: anyone can see it. Members only: logged-in members of approved organizations. "
    "Moderators only: only the network's moderators."
)

# The statuses of organizations, campaigns and projects (their values never collide), shown
# in badges on every list row.
STATUS = Labels(
    {
        OrganizationStatus.PENDING: _l("Pending review"),
        OrganizationStatus.APPROVED: _l("Approved"),
        OrganizationStatus.REJECTED: _l("Rejected"),
        OrganizationStatus.SUSPENDED: _l("Suspended"),
        CampaignStatus.ACTIVE: _l("Active"),
        CampaignStatus.ARCHIVED: _l("Archived"),
        ProjectStatus.PLANNED: _l("Planned"),
        ProjectStatus.RUNNING: _l("Running"),
        ProjectStatus.FINISHED: _l("Finished"),
    }
)

ROLE = Labels(
    {
        Role.MEMBER: _l("Member"),
        Role.MODERATOR: _l("Moderator"),
        Role.ADMIN: _l("Administrator"),
    }
)

# Moderation decisions and other audited actions, as the decision log reads them.
AUDIT_ACTION = Labels(
    {
        AuditAction.ORGANIZATION_APPROVED: _l("Organization approved"),
        AuditAction.ORGANIZATION_REJECTED: _l("Organization rejected"),
        AuditAction.ORGANIZATION_SUSPENDED: _l("Organization suspended"),
        AuditAction.ORGANIZATION_REINSTATED: _l("Organization reinstated"),
        AuditAction.ORGANIZATION_RESUBMITTED: _l("Application sent again"),
        AuditAction.ORGANIZATION_RENAME_REQUESTED: _l("New name asked for"),
        AuditAction.ORGANIZATION_RENAME_WITHDRAWN: _l("New name withdrawn"),
        AuditAction.ORGANIZATION_RENAME_APPROVED: _l("New name approved"),
        AuditAction.ORGANIZATION_RENAME_REJECTED: _l("New name refused"),
        AuditAction.ORGANIZATION_TWO_FACTOR_REQUIRED: _l("Two-factor login required of the members"),
        AuditAction.ORGANIZATION_TWO_FACTOR_OPTIONAL: _l("Two-factor login left to each member"),
        AuditAction.CAMPAIGN_CREATED: _l("Campaign created"),
        AuditAction.CAMPAIGN_UPDATED: _l("Campaign changed"),
        AuditAction.CAMPAIGN_ARCHIVED: _l("Campaign archived"),
        AuditAction.CAMPAIGN_REACTIVATED: _l("Campaign reactivated"),
        AuditAction.PROJECT_HIDDEN: _l("Project hidden"),
        AuditAction.PROJECT_UNHIDDEN: _l("Project shown again"),
        AuditAction.PLEDGE_MESSAGE_HIDDEN: _l("Pledge message hidden"),
        AuditAction.PLEDGE_MESSAGE_UNHIDDEN: _l("Pledge message shown again"),
        AuditAction.USER_PROMOTED: _l("User promoted"),
        AuditAction.USER_DEMOTED: _l("User demoted"),
        AuditAction.USER_TWO_FACTOR_ENABLED: _l("Second factor added"),
        AuditAction.USER_TWO_FACTOR_DISABLED: _l("Second factor removed"),
        AuditAction.USER_RECOVERY_CODE_USED: _l("Recovery code used to log in"),
        AuditAction.ORGANIZATION_WENT_DARK: _l("Went out of public view"),
        AuditAction.ORGANIZATION_CAME_BACK: _l("Came back into public view"),
        AuditAction.ORGANIZATION_DELISTED: _l("Delisted by a moderator"),
        AuditAction.ORGANIZATION_RELISTED: _l("Delisting lifted"),
        AuditAction.ORGANIZATION_DELETION_REQUESTED: _l("Deletion asked for"),
        AuditAction.ORGANIZATION_DELETION_CANCELLED: _l("Deletion cancelled"),
        AuditAction.ORGANIZATION_ERASED: _l("Organization erased"),
        AuditAction.USER_DELETED: _l("Account deleted"),
        AuditAction.REVIEW_REQUESTED: _l("Review of hidden content asked for"),
        AuditAction.REVIEW_DECLINED: _l("Content kept hidden after review"),
        AuditAction.INTRODUCTION_REQUESTED: _l("Introduction asked for"),
        AuditAction.INTRODUCTION_ACCEPTED: _l("Introduction accepted"),
        AuditAction.INTRODUCTION_DECLINED: _l("Introduction declined"),
        AuditAction.INTRODUCTION_BLOCKED: _l("Introductions blocked"),
        AuditAction.INTRODUCTION_REPORTED: _l("Introduction reported to moderators"),
        AuditAction.STATEMENT_PUBLISHED: _l("Joint statement published or revised"),
        AuditAction.STATEMENT_SIGNED: _l("Joint statement signed"),
        AuditAction.STATEMENT_WITHDRAWN: _l("Signature of a joint statement withdrawn"),
        AuditAction.GATHERING_PUBLISHED: _l("Gathering published"),
        AuditAction.GATHERING_CANCELLED: _l("Gathering cancelled"),
    }
)

GATHERING_STATUS = Labels(
    {
        GatheringStatus.DRAFT: _l("Draft"),
        GatheringStatus.PUBLISHED: _l("Published"),
        GatheringStatus.CANCELLED: _l("Cancelled"),
    }
)

REGISTRATION_KIND = Labels(
    {
        RegistrationKind.DELEGATE: _l("Delegate"),
        RegistrationKind.OBSERVER: _l("Observer"),
        RegistrationKind.SPEAKER: _l("Speaker"),
    }
)

REGISTRATION_STATE = Labels(
    {
        RegistrationState.PENDING: _l("Waiting for the organizer's approval"),
        RegistrationState.CONFIRMED: _l("Confirmed"),
        RegistrationState.WAITING: _l("On the waiting list"),
        RegistrationState.CANCELLED: _l("Cancelled"),
        RegistrationState.ATTENDED: _l("Attended"),
    }
)

# Who may see that an organization takes part in a gathering (the pledge rule).
REGISTRATION_VISIBILITY = Labels(
    {
        PledgeVisibility.PUBLIC: _l("Public — your organization is named on the gathering's page"),
        PledgeVisibility.MEMBERS: _l(
            "Members only — named only to logged-in members of approved organizations"
        ),
        PledgeVisibility.COUNTED: _l("Not named — only the organizers know"),
    }
)


def country_name(code: str) -> str:
    """A country's name in the current language (Babel's CLDR data), else its code."""
    locale = get_locale()
    territories = locale.territories if locale is not None else {}
    return territories.get(code, code)


def sorted_countries(codes: list[str]) -> list[tuple[str, str]]:
    """(code, name) pairs sorted by the name in the current language."""
    return sorted(((code, country_name(code)) for code in codes), key=lambda pair: pair[1].casefold())


def login_browser(login: LoginSession) -> str:
    """The browser and its system of a login ("Firefox on Android"), in the current language."""
    if not login.browser:
        if not login.system:
            return _("An unknown browser")
        return _("A browser on %(system)s", system=login.system)
    if not login.system:
        return login.browser
    return _("%(browser)s on %(system)s", browser=login.browser, system=login.system)


def login_place(login: LoginSession) -> str:
    """The country a login came from, in the current language, or "unknown"."""
    return country_name(login.country) if login.country else _("unknown")
