"""The data model. Import models from here: ``from app.models import Organization``."""

from app.models.audit import AuditEntry
from app.models.campaign import ACCENTS, Campaign, CampaignTranslation
from app.models.enums import (
    AuditAction,
    CampaignStatus,
    LinkVisibility,
    OrganizationKind,
    OrganizationStatus,
    PledgeVisibility,
    ProjectStatus,
    Role,
    SupportKind,
    Visibility,
)
from app.models.organization import CONTACT_FIELDS, IRAQ, Organization, OrganizationTranslation
from app.models.outbox import OutboxKind, OutboxMessage, OutboxStatus
from app.models.pledge import Pledge
from app.models.project import Project, ProjectCampaign
from app.models.user import User

__all__ = [
    "ACCENTS",
    "CONTACT_FIELDS",
    "IRAQ",
    "AuditAction",
    "AuditEntry",
    "Campaign",
    "CampaignStatus",
    "CampaignTranslation",
    "LinkVisibility",
    "Organization",
    "OrganizationKind",
    "OrganizationStatus",
    "OrganizationTranslation",
    "OutboxKind",
    "OutboxMessage",
    "OutboxStatus",
    "Pledge",
    "PledgeVisibility",
    "Project",
    "ProjectCampaign",
    "ProjectStatus",
    "Role",
    "SupportKind",
    "User",
    "Visibility",
]
