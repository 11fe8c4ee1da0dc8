"""The data model. Import models from here: ``from app.models import Organization``."""

# Registers the listener that keeps the organizations' sort keys current.
from app.models import sort_keys  # noqa: F401
from app.models.access_log import ContactDetailView
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
from app.models.follow import DEFAULT_FREQUENCY, FOLLOWABLE, FREQUENCIES, DigestDelivery, Follow
from app.models.gathering import (
    Gathering,
    GatheringCampaign,
    GatheringOrganization,
    GatheringProject,
    GatheringRole,
    GatheringSession,
    GatheringSessionTranslation,
    GatheringStatus,
    GatheringTranslation,
    Registration,
    RegistrationKind,
    RegistrationState,
    RegistrationType,
)
from app.models.login_session import LoginSession
from app.models.notification import CHOICES, MailBounce, Notification
from app.models.organization import CONTACT_FIELDS, IRAQ, Organization, OrganizationTranslation
from app.models.outbox import OutboxKind, OutboxMessage, OutboxStatus
from app.models.pledge import Pledge
from app.models.project import Project, ProjectCampaign, ProjectTranslation
from app.models.solidarity import (
    CosponsorStatus,
    Introduction,
    IntroductionBlock,
    IntroductionReport,
    IntroductionStatus,
    JointStatement,
    Offer,
    OfferCategory,
    OfferDirection,
    OfferVisibility,
    ProjectCosponsor,
    StatementSignature,
    StatementText,
)
from app.models.two_factor import RecoveryCode, WebAuthnCredential
from app.models.update import CampaignCoordinator, Update, UpdateRevision, UpdateText
from app.models.user import User

__all__ = [
    "ACCENTS",
    "CHOICES",
    "CONTACT_FIELDS",
    "DEFAULT_FREQUENCY",
    "FOLLOWABLE",
    "FREQUENCIES",
    "IRAQ",
    "AuditAction",
    "AuditEntry",
    "Campaign",
    "CampaignCoordinator",
    "CampaignStatus",
    "CampaignTranslation",
    "ContactDetailView",
    "CosponsorStatus",
    "DigestDelivery",
    "Follow",
    "Gathering",
    "GatheringCampaign",
    "GatheringOrganization",
    "GatheringProject",
    "GatheringRole",
    "GatheringSession",
    "GatheringSessionTranslation",
    "GatheringStatus",
    "GatheringTranslation",
    "Introduction",
    "IntroductionBlock",
    "IntroductionReport",
    "IntroductionStatus",
    "JointStatement",
    "LinkVisibility",
    "LoginSession",
    "MailBounce",
    "Notification",
    "Offer",
    "OfferCategory",
    "OfferDirection",
    "OfferVisibility",
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
    "ProjectCosponsor",
    "ProjectStatus",
    "ProjectTranslation",
    "RecoveryCode",
    "Registration",
    "RegistrationKind",
    "RegistrationState",
    "RegistrationType",
    "Role",
    "StatementSignature",
    "StatementText",
    "SupportKind",
    "Update",
    "UpdateRevision",
    "UpdateText",
    "User",
    "Visibility",
    "WebAuthnCredential",
]
