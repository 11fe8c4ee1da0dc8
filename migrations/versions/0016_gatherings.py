"""gatherings: conferences, forums and sessions, with registration

Revision ID: 0016_gatherings
Revises: 0015_open_data
Create Date: 2026-12-01 09:54:43

- gatherings (+ gathering_translations): texts in four languages, dates with a time zone, place,
  status (draft / published / cancelled), outcome;
- gathering_sessions (the programme), gathering_organizations (organizers and supporters),
  gathering_campaigns and gathering_projects (links);
- registration_types (delegate / observer / speaker: capacity, deadline, approval) and
  registrations (an organization or a person; state; needs seen by the organizer only;
  the reminders already sent);
- two audit actions (gathering.published, gathering.cancelled) in the CHECK of
  audit_entries.action (the table is rebuilt on SQLite, as 0012 does).
Downgrading deletes the audit entries of the new actions (the old CHECK refuses them).
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0016_gatherings"
down_revision = "0015_open_data"
branch_labels = None
depends_on = None

AUDIT_ACTIONS_BEFORE = [
    "organization.approved",
    "organization.rejected",
    "organization.suspended",
    "organization.reinstated",
    "organization.resubmitted",
    "campaign.created",
    "campaign.updated",
    "campaign.archived",
    "campaign.reactivated",
    "project.hidden",
    "project.unhidden",
    "pledge_message.hidden",
    "pledge_message.unhidden",
    "user.promoted",
    "user.demoted",
    "rename.requested",
    "rename.withdrawn",
    "rename.approved",
    "rename.rejected",
    "organization.2fa_required",
    "organization.2fa_optional",
    "user.2fa_enabled",
    "user.2fa_disabled",
    "user.recovery_code_used",
    "organization.dark",
    "organization.visible",
    "organization.delisted",
    "organization.relisted",
    "deletion.requested",
    "deletion.cancelled",
    "organization.erased",
    "user.deleted",
    "review.requested",
    "review.declined",
    # 0014_campaign_life
    "coordinator.named",
    "coordinator.removed",
    "update.hidden",
    "update.unhidden",
]
NEW_AUDIT_ACTIONS = ["gathering.published", "gathering.cancelled"]
AUDIT_CHECK = "ck_audit_entries_audit_action"


def _audit_check(actions):
    return "action IN (" + ", ".join(f"'{action}'" for action in actions) + ")"


def upgrade():
    op.create_table(
        "gatherings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("logistics", sa.Text(), nullable=False),
        sa.Column("visa_notice", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("city", sa.String(length=120), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("venue", sa.String(length=200), nullable=False),
        sa.Column("online_url", sa.String(length=300), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "published",
                "cancelled",
                name="gathering_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ends_at >= starts_at", name=op.f("ck_gatherings_ends_after_start")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gatherings")),
        sa.UniqueConstraint("slug", name=op.f("uq_gatherings_slug")),
    )
    with op.batch_alter_table("gatherings", schema=None) as batch_op:
        batch_op.create_index("ix_gatherings_status_ends", ["status", "ends_at", "id"], unique=False)
        batch_op.create_index("ix_gatherings_status_starts", ["status", "starts_at", "id"], unique=False)

    op.create_table(
        "gathering_campaigns",
        sa.Column("gathering_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_gathering_campaigns_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["gathering_id"],
            ["gatherings.id"],
            name=op.f("fk_gathering_campaigns_gathering_id_gatherings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("gathering_id", "campaign_id", name=op.f("pk_gathering_campaigns")),
    )
    with op.batch_alter_table("gathering_campaigns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gathering_campaigns_campaign_id"), ["campaign_id"], unique=False)

    op.create_table(
        "gathering_organizations",
        sa.Column("gathering_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "organizer", "supporter", name="gathering_role", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["gathering_id"],
            ["gatherings.id"],
            name=op.f("fk_gathering_organizations_gathering_id_gatherings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_gathering_organizations_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("gathering_id", "organization_id", name=op.f("pk_gathering_organizations")),
    )
    with op.batch_alter_table("gathering_organizations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_gathering_organizations_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "gathering_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gathering_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("room", sa.String(length=120), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("speakers", sa.String(length=500), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("interpretation", sa.String(length=60), nullable=False),
        sa.CheckConstraint(
            "ends_at >= starts_at", name=op.f("ck_gathering_sessions_session_ends_after_start")
        ),
        sa.ForeignKeyConstraint(
            ["gathering_id"],
            ["gatherings.id"],
            name=op.f("fk_gathering_sessions_gathering_id_gatherings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gathering_sessions")),
    )
    with op.batch_alter_table("gathering_sessions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_gathering_sessions_gathering_starts", ["gathering_id", "starts_at"], unique=False
        )

    op.create_table(
        "gathering_translations",
        sa.Column("gathering_id", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("logistics", sa.Text(), nullable=False),
        sa.Column("visa_notice", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["gathering_id"],
            ["gatherings.id"],
            name=op.f("fk_gathering_translations_gathering_id_gatherings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("gathering_id", "locale", name=op.f("pk_gathering_translations")),
    )
    op.create_table(
        "registration_types",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gathering_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "delegate",
                "observer",
                "speaker",
                name="registration_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("requires_approval", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.CheckConstraint("capacity >= 0", name=op.f("ck_registration_types_capacity_positive")),
        sa.ForeignKeyConstraint(
            ["gathering_id"],
            ["gatherings.id"],
            name=op.f("fk_registration_types_gathering_id_gatherings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_types")),
        sa.UniqueConstraint("gathering_id", "kind", name="uq_registration_types_gathering_kind"),
    )
    op.create_table(
        "gathering_projects",
        sa.Column("gathering_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["gathering_id"],
            ["gatherings.id"],
            name=op.f("fk_gathering_projects_gathering_id_gatherings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_gathering_projects_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("gathering_id", "project_id", name=op.f("pk_gathering_projects")),
    )
    with op.batch_alter_table("gathering_projects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gathering_projects_project_id"), ["project_id"], unique=False)

    op.create_table(
        "registrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gathering_id", sa.Integer(), nullable=False),
        sa.Column("registration_type_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "confirmed",
                "waiting",
                "cancelled",
                "attended",
                name="registration_state",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "visibility",
            sa.Enum(
                "public",
                "members",
                "counted",
                name="registration_visibility",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("dietary_needs", sa.String(length=500), nullable=False),
        sa.Column("interpretation_needs", sa.String(length=200), nullable=False),
        sa.Column("needs_visa_letter", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("week_reminder_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("day_reminder_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "organization_id IS NOT NULL OR user_id IS NOT NULL",
            name=op.f("ck_registrations_registrant_known"),
        ),
        sa.ForeignKeyConstraint(
            ["gathering_id"],
            ["gatherings.id"],
            name=op.f("fk_registrations_gathering_id_gatherings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_registrations_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["registration_type_id"],
            ["registration_types.id"],
            name=op.f("fk_registrations_registration_type_id_registration_types"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_registrations_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registrations")),
    )
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.create_index("ix_registrations_gathering_state", ["gathering_id", "state"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_registrations_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(
            "ix_registrations_type_state_created",
            ["registration_type_id", "state", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_registrations_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            "uq_registrations_active_organization",
            ["gathering_id", "organization_id"],
            unique=True,
            sqlite_where=sa.text("organization_id IS NOT NULL AND state <> 'cancelled'"),
            postgresql_where=sa.text("organization_id IS NOT NULL AND state <> 'cancelled'"),
        )
        batch_op.create_index(
            "uq_registrations_active_person",
            ["gathering_id", "user_id"],
            unique=True,
            sqlite_where=sa.text("organization_id IS NULL AND state <> 'cancelled'"),
            postgresql_where=sa.text("organization_id IS NULL AND state <> 'cancelled'"),
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

    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_registrations_active_person",
            sqlite_where=sa.text("organization_id IS NULL AND state <> 'cancelled'"),
            postgresql_where=sa.text("organization_id IS NULL AND state <> 'cancelled'"),
        )
        batch_op.drop_index(
            "uq_registrations_active_organization",
            sqlite_where=sa.text("organization_id IS NOT NULL AND state <> 'cancelled'"),
            postgresql_where=sa.text("organization_id IS NOT NULL AND state <> 'cancelled'"),
        )
        batch_op.drop_index(batch_op.f("ix_registrations_user_id"))
        batch_op.drop_index("ix_registrations_type_state_created")
        batch_op.drop_index(batch_op.f("ix_registrations_organization_id"))
        batch_op.drop_index("ix_registrations_gathering_state")

    op.drop_table("registrations")
    with op.batch_alter_table("gathering_projects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gathering_projects_project_id"))

    op.drop_table("gathering_projects")
    op.drop_table("registration_types")
    op.drop_table("gathering_translations")
    with op.batch_alter_table("gathering_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_gathering_sessions_gathering_starts")

    op.drop_table("gathering_sessions")
    with op.batch_alter_table("gathering_organizations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gathering_organizations_organization_id"))

    op.drop_table("gathering_organizations")
    with op.batch_alter_table("gathering_campaigns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gathering_campaigns_campaign_id"))

    op.drop_table("gathering_campaigns")
    with op.batch_alter_table("gatherings", schema=None) as batch_op:
        batch_op.drop_index("ix_gatherings_status_starts")
        batch_op.drop_index("ix_gatherings_status_ends")

    op.drop_table("gatherings")
