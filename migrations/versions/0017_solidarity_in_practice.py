"""solidarity in practice: what organizations offer and need

Revision ID: 0017_solidarity_in_practice
Revises: 0016_gatherings
Create Date: 2026-12-01 10:00:00

- solidarity_offers: one offer or need of an organization (a kind of help, a short text, a
  visibility: public / members), on its profile (campaign_id NULL) or for one campaign; one row
  per organization, scope, direction and kind (two partial unique indexes).

- solidarity_introductions: a member organization asks to be introduced to another (message,
  the contact fields each side chose, status pending / accepted / declined); one pending request
  per pair (partial unique index).
- solidarity_blocks: an organization receives no more requests from another.
- solidarity_reports: a recipient reports an abusive request to the moderators.
- solidarity_cosponsors: an organization invited to co-sponsor another's project (status
  invited / accepted / declined).
- solidarity_statements, solidarity_statement_texts (versioned, per language),
  solidarity_signatures (named or counted; one active signature per organization).
- eight audit actions (introduction.requested, .accepted, .declined, .blocked, .reported;
  statement.published, .signed, .withdrawn) in the
  CHECK of audit_entries.action: audit_entries is rebuilt (batch) on SQLite, as 0012 does.
  Downgrading deletes the audit entries of the new actions (the old CHECK refuses them).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017_solidarity_in_practice"
down_revision = "0016_gatherings"
branch_labels = None
depends_on = None

# Frozen copies of the vocabularies (app/models/solidarity.py) as they are at this revision.
DIRECTIONS = ("offer", "need")
CATEGORIES = (
    "legal", "technical", "media", "research", "funding", "volunteers", "advocacy", "hosting",
    "training", "equipment",
)  # fmt: skip
VISIBILITIES = ("public", "members")
INTRODUCTION_STATUSES = ("pending", "accepted", "declined")
COSPONSOR_STATUSES = ("invited", "accepted", "declined")

AUDIT_ACTIONS_BEFORE = [
    "organization.approved", "organization.rejected", "organization.suspended",
    "organization.reinstated", "organization.resubmitted", "campaign.created", "campaign.updated",
    "campaign.archived", "campaign.reactivated", "project.hidden", "project.unhidden",
    "pledge_message.hidden", "pledge_message.unhidden", "user.promoted", "user.demoted",
    "rename.requested", "rename.withdrawn", "rename.approved", "rename.rejected",
    "organization.2fa_required", "organization.2fa_optional", "user.2fa_enabled",
    "user.2fa_disabled", "user.recovery_code_used", "organization.dark", "organization.visible",
    "organization.delisted", "organization.relisted", "deletion.requested", "deletion.cancelled",
    "organization.erased", "user.deleted", "review.requested", "review.declined",
    # 0014_campaign_life
    "coordinator.named", "coordinator.removed", "update.hidden", "update.unhidden",
    # 0016_gatherings
    "gathering.published", "gathering.cancelled",
]  # fmt: skip
NEW_AUDIT_ACTIONS = [
    "introduction.requested", "introduction.accepted", "introduction.declined",
    "introduction.blocked", "introduction.reported",
    "statement.published", "statement.signed", "statement.withdrawn",
]  # fmt: skip
AUDIT_CHECK = "ck_audit_entries_audit_action"


def _audit_check(actions):
    return "action IN (" + ", ".join(f"'{action}'" for action in actions) + ")"


def _enum(values, name):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=max(map(len, values)))


def upgrade():
    op.create_table(
        "solidarity_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("direction", _enum(DIRECTIONS, "offer_direction"), nullable=False),
        sa.Column("category", _enum(CATEGORIES, "offer_category"), nullable=False),
        sa.Column("text", sa.String(length=300), nullable=False),
        sa.Column("visibility", _enum(VISIBILITIES, "offer_visibility"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"],
            name=op.f("fk_solidarity_offers_campaign_id_campaigns"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"],
            name=op.f("fk_solidarity_offers_organization_id_organizations"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_solidarity_offers")),
    )  # fmt: skip
    with op.batch_alter_table("solidarity_offers") as batch_op:
        batch_op.create_index(
            "uq_solidarity_offers_profile", ["organization_id", "direction", "category"], unique=True,
            sqlite_where=sa.text("campaign_id IS NULL"), postgresql_where=sa.text("campaign_id IS NULL"),
        )  # fmt: skip
        batch_op.create_index(
            "uq_solidarity_offers_campaign", ["organization_id", "campaign_id", "direction", "category"],
            unique=True, sqlite_where=sa.text("campaign_id IS NOT NULL"),
            postgresql_where=sa.text("campaign_id IS NOT NULL"),
        )  # fmt: skip
        batch_op.create_index("ix_solidarity_offers_campaign", ["campaign_id", "direction", "category"])
        batch_op.create_index(
            "ix_solidarity_offers_direction_category", ["direction", "category", "organization_id"]
        )

    op.create_table(
        "solidarity_introductions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("requester_fields", sa.String(length=200), nullable=False),
        sa.Column("recipient_fields", sa.String(length=200), nullable=False),
        sa.Column("status", _enum(INTRODUCTION_STATUSES, "introduction_status"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("requester_id <> recipient_id", name=op.f("ck_solidarity_introductions_not_to_itself")),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["organizations.id"],
            name=op.f("fk_solidarity_introductions_recipient_id_organizations"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"], ["organizations.id"],
            name=op.f("fk_solidarity_introductions_requester_id_organizations"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["users.id"],
            name=op.f("fk_solidarity_introductions_requested_by_id_users"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_solidarity_introductions")),
    )  # fmt: skip
    with op.batch_alter_table("solidarity_introductions") as batch_op:
        batch_op.create_index(
            "uq_solidarity_introductions_pending", ["requester_id", "recipient_id"], unique=True,
            sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"),
        )  # fmt: skip
        batch_op.create_index(
            "ix_solidarity_introductions_requester_created", ["requester_id", "created_at"]
        )
        batch_op.create_index(
            "ix_solidarity_introductions_recipient_created", ["recipient_id", "created_at"]
        )

    op.create_table(
        "solidarity_blocks",
        sa.Column("blocker_id", sa.Integer(), nullable=False),
        sa.Column("blocked_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["blocked_id"], ["organizations.id"],
            name=op.f("fk_solidarity_blocks_blocked_id_organizations"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["blocker_id"], ["organizations.id"],
            name=op.f("fk_solidarity_blocks_blocker_id_organizations"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("blocker_id", "blocked_id", name=op.f("pk_solidarity_blocks")),
    )  # fmt: skip

    op.create_table(
        "solidarity_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("introduction_id", sa.Integer(), nullable=False),
        sa.Column("reported_by_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["introduction_id"], ["solidarity_introductions.id"],
            name=op.f("fk_solidarity_reports_introduction_id_solidarity_introductions"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reported_by_id"], ["users.id"],
            name=op.f("fk_solidarity_reports_reported_by_id_users"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_solidarity_reports")),
    )  # fmt: skip
    with op.batch_alter_table("solidarity_reports") as batch_op:
        batch_op.create_index(batch_op.f("ix_solidarity_reports_introduction_id"), ["introduction_id"])
        batch_op.create_index(batch_op.f("ix_solidarity_reports_created_at"), ["created_at"])

    op.create_table(
        "solidarity_cosponsors",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("status", _enum(COSPONSOR_STATUSES, "cosponsor_status"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["invited_by_id"], ["users.id"],
            name=op.f("fk_solidarity_cosponsors_invited_by_id_users"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"],
            name=op.f("fk_solidarity_cosponsors_organization_id_organizations"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"],
            name=op.f("fk_solidarity_cosponsors_project_id_projects"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", "organization_id", name=op.f("pk_solidarity_cosponsors")),
    )  # fmt: skip
    with op.batch_alter_table("solidarity_cosponsors") as batch_op:
        batch_op.create_index("ix_solidarity_cosponsors_organization_status", ["organization_id", "status"])

    op.create_table(
        "solidarity_statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("allow_counted", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("version >= 1", name=op.f("ck_solidarity_statements_version_positive")),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"],
            name=op.f("fk_solidarity_statements_campaign_id_campaigns"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"],
            name=op.f("fk_solidarity_statements_created_by_id_users"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_solidarity_statements")),
    )  # fmt: skip
    with op.batch_alter_table("solidarity_statements") as batch_op:
        batch_op.create_index(batch_op.f("ix_solidarity_statements_campaign_id"), ["campaign_id"])
    op.create_table(
        "solidarity_statement_texts",
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["statement_id"], ["solidarity_statements.id"],
            name=op.f("fk_solidarity_statement_texts_statement_id_solidarity_statements"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("statement_id", "version", "locale", name=op.f("pk_solidarity_statement_texts")),
    )  # fmt: skip
    op.create_table(
        "solidarity_signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("signed_by_id", sa.Integer(), nullable=True),
        sa.Column("named", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"],
            name=op.f("fk_solidarity_signatures_organization_id_organizations"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["signed_by_id"], ["users.id"],
            name=op.f("fk_solidarity_signatures_signed_by_id_users"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"], ["solidarity_statements.id"],
            name=op.f("fk_solidarity_signatures_statement_id_solidarity_statements"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_solidarity_signatures")),
    )  # fmt: skip
    with op.batch_alter_table("solidarity_signatures") as batch_op:
        batch_op.create_index(
            "uq_solidarity_signatures_active", ["statement_id", "organization_id"], unique=True,
            sqlite_where=sa.text("withdrawn_at IS NULL"), postgresql_where=sa.text("withdrawn_at IS NULL"),
        )  # fmt: skip
        batch_op.create_index(
            "ix_solidarity_signatures_statement_active", ["statement_id", "withdrawn_at", "created_at"]
        )

    with op.batch_alter_table("audit_entries") as batch_op:
        batch_op.drop_constraint(op.f(AUDIT_CHECK), type_="check")
        batch_op.create_check_constraint(
            op.f(AUDIT_CHECK), _audit_check(AUDIT_ACTIONS_BEFORE + NEW_AUDIT_ACTIONS)
        )


def downgrade():
    audit_entries = sa.table("audit_entries", sa.column("action", sa.String))
    op.execute(audit_entries.delete().where(audit_entries.c.action.in_(NEW_AUDIT_ACTIONS)))
    with op.batch_alter_table("audit_entries") as batch_op:
        batch_op.drop_constraint(op.f(AUDIT_CHECK), type_="check")
        batch_op.create_check_constraint(op.f(AUDIT_CHECK), _audit_check(AUDIT_ACTIONS_BEFORE))

    with op.batch_alter_table("solidarity_signatures") as batch_op:
        batch_op.drop_index("ix_solidarity_signatures_statement_active")
        batch_op.drop_index(
            "uq_solidarity_signatures_active",
            sqlite_where=sa.text("withdrawn_at IS NULL"), postgresql_where=sa.text("withdrawn_at IS NULL"),
        )  # fmt: skip
    op.drop_table("solidarity_signatures")
    op.drop_table("solidarity_statement_texts")
    with op.batch_alter_table("solidarity_statements") as batch_op:
        batch_op.drop_index(batch_op.f("ix_solidarity_statements_campaign_id"))
    op.drop_table("solidarity_statements")

    with op.batch_alter_table("solidarity_cosponsors") as batch_op:
        batch_op.drop_index("ix_solidarity_cosponsors_organization_status")
    op.drop_table("solidarity_cosponsors")

    with op.batch_alter_table("solidarity_reports") as batch_op:
        batch_op.drop_index(batch_op.f("ix_solidarity_reports_created_at"))
        batch_op.drop_index(batch_op.f("ix_solidarity_reports_introduction_id"))
    op.drop_table("solidarity_reports")
    op.drop_table("solidarity_blocks")
    with op.batch_alter_table("solidarity_introductions") as batch_op:
        batch_op.drop_index("ix_solidarity_introductions_recipient_created")
        batch_op.drop_index("ix_solidarity_introductions_requester_created")
        batch_op.drop_index(
            "uq_solidarity_introductions_pending",
            sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"),
        )  # fmt: skip
    op.drop_table("solidarity_introductions")

    with op.batch_alter_table("solidarity_offers") as batch_op:
        batch_op.drop_index("ix_solidarity_offers_direction_category")
        batch_op.drop_index("ix_solidarity_offers_campaign")
        batch_op.drop_index(
            "uq_solidarity_offers_campaign",
            sqlite_where=sa.text("campaign_id IS NOT NULL"), postgresql_where=sa.text("campaign_id IS NOT NULL"),
        )  # fmt: skip
        batch_op.drop_index(
            "uq_solidarity_offers_profile",
            sqlite_where=sa.text("campaign_id IS NULL"), postgresql_where=sa.text("campaign_id IS NULL"),
        )  # fmt: skip
    op.drop_table("solidarity_offers")
