"""Closed vocabularies of the domain, stored as their string values.

Each is stored as VARCHAR with a CHECK constraint (``enum_column``) so that the
database refuses a value the code does not know, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import enum

import sqlalchemy as sa


class OrganizationStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


class OrganizationKind(enum.StrEnum):
    HUMAN_RIGHTS_ASSOCIATION = "human_rights_association"
    CULTURAL_ASSOCIATION = "cultural_association"
    WOMENS_GROUP = "womens_group"
    YOUTH_GROUP = "youth_group"
    NGO = "ngo"
    LABOUR_UNION = "labour_union"
    MEDIA_OUTLET = "media_outlet"
    INTERNATIONAL_NGO = "international_ngo"
    SOCIAL_MOVEMENT = "social_movement"
    FOUNDATION = "foundation"


class Visibility(enum.StrEnum):
    """Who may see one contact detail of an organization."""

    PUBLIC = "public"
    MEMBERS = "members"
    HIDDEN = "hidden"


class PledgeVisibility(enum.StrEnum):
    """Who may see that an organization supports a campaign."""

    PUBLIC = "public"  # named on the campaign page
    MEMBERS = "members"  # named only to logged-in approved members (and moderators)
    COUNTED = "counted"  # adds to the numbers, never named


class LinkVisibility(enum.StrEnum):
    """Who may see that a project serves a campaign (and so that its organization works on it)."""

    PUBLIC = "public"  # shown on the campaign's and the project's public pages
    MEMBERS = "members"  # shown only to logged-in approved members (and moderators)


class SupportKind(enum.StrEnum):
    ENDORSEMENT = "endorsement"
    ADVOCACY = "advocacy"
    VOLUNTEERS = "volunteers"
    EXPERTISE = "expertise"
    FUNDING = "funding"
    IN_KIND = "in_kind"
    HOSTING_EVENTS = "hosting_events"


class CampaignStatus(enum.StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"


class ProjectStatus(enum.StrEnum):
    PLANNED = "planned"
    RUNNING = "running"
    FINISHED = "finished"


class Role(enum.StrEnum):
    MEMBER = "member"
    MODERATOR = "moderator"
    ADMIN = "admin"


class AuditAction(enum.StrEnum):
    ORGANIZATION_APPROVED = "organization.approved"
    ORGANIZATION_REJECTED = "organization.rejected"
    ORGANIZATION_SUSPENDED = "organization.suspended"
    ORGANIZATION_REINSTATED = "organization.reinstated"
    ORGANIZATION_RESUBMITTED = "organization.resubmitted"
    # The column's length (the longest value: 25 characters) and its CHECK constraint come from
    # this list: a new value needs a migration that rebuilds them (as 0004 and 0007 do).
    ORGANIZATION_RENAME_REQUESTED = "rename.requested"
    ORGANIZATION_RENAME_WITHDRAWN = "rename.withdrawn"
    ORGANIZATION_RENAME_APPROVED = "rename.approved"
    ORGANIZATION_RENAME_REJECTED = "rename.rejected"
    ORGANIZATION_TWO_FACTOR_REQUIRED = "organization.2fa_required"
    ORGANIZATION_TWO_FACTOR_OPTIONAL = "organization.2fa_optional"
    CAMPAIGN_CREATED = "campaign.created"
    CAMPAIGN_UPDATED = "campaign.updated"
    CAMPAIGN_ARCHIVED = "campaign.archived"
    CAMPAIGN_REACTIVATED = "campaign.reactivated"
    PROJECT_HIDDEN = "project.hidden"
    PROJECT_UNHIDDEN = "project.unhidden"
    PLEDGE_MESSAGE_HIDDEN = "pledge_message.hidden"
    PLEDGE_MESSAGE_UNHIDDEN = "pledge_message.unhidden"
    USER_PROMOTED = "user.promoted"
    USER_DEMOTED = "user.demoted"
    USER_TWO_FACTOR_ENABLED = "user.2fa_enabled"
    USER_TWO_FACTOR_DISABLED = "user.2fa_disabled"
    USER_RECOVERY_CODE_USED = "user.recovery_code_used"
    # Out of public view and back: by the organization's owners, by a moderator.
    ORGANIZATION_WENT_DARK = "organization.dark"
    ORGANIZATION_CAME_BACK = "organization.visible"
    ORGANIZATION_DELISTED = "organization.delisted"
    ORGANIZATION_RELISTED = "organization.relisted"
    # Leaving: a deletion asked for (and cancelled within the grace period), the erasure itself.
    ORGANIZATION_DELETION_REQUESTED = "deletion.requested"
    ORGANIZATION_DELETION_CANCELLED = "deletion.cancelled"
    ORGANIZATION_ERASED = "organization.erased"
    USER_DELETED = "user.deleted"
    # A member asks a moderator to look again at hidden content; a moderator keeps it hidden.
    REVIEW_REQUESTED = "review.requested"
    REVIEW_DECLINED = "review.declined"
    # Introductions between organizations (issue #20); the moderators read the reports.
    INTRODUCTION_REQUESTED = "introduction.requested"
    INTRODUCTION_ACCEPTED = "introduction.accepted"
    INTRODUCTION_DECLINED = "introduction.declined"
    INTRODUCTION_BLOCKED = "introduction.blocked"
    INTRODUCTION_REPORTED = "introduction.reported"
    # Joint statements: published (and revised) by a coordinator; every signature and withdrawal.
    STATEMENT_PUBLISHED = "statement.published"
    STATEMENT_SIGNED = "statement.signed"
    STATEMENT_WITHDRAWN = "statement.withdrawn"

    # Gatherings: published and cancelled by their organizers (0016_gatherings).
    GATHERING_PUBLISHED = "gathering.published"
    GATHERING_CANCELLED = "gathering.cancelled"

    # Campaign life: a moderator names or removes a coordinating organization; an update is
    # hidden (deleted, with a reason) or shown again.
    COORDINATOR_NAMED = "coordinator.named"
    COORDINATOR_REMOVED = "coordinator.removed"
    UPDATE_HIDDEN = "update.hidden"
    UPDATE_UNHIDDEN = "update.unhidden"


def enum_column(enum_class: type[enum.StrEnum], name: str) -> sa.Enum:
    """A VARCHAR column type holding ``enum_class`` values, with a CHECK constraint."""
    return sa.Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_class),
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )
