"""login records and the access log of private contact details

Revision ID: 0008_sessions_and_access_log
Revises: 0007_strong_login
Create Date: 2026-12-01 12:00:00

Two new tables, nothing else changed:
- login_sessions: one row per login, which the session and remember-me cookies point at
  (where a member is logged in; ending a row ends that login).
- contact_detail_views: how many times a viewer from outside an organization was shown its
  members-only or hidden contact details, per organization, viewer and day.

Sessions from before this revision carry no login record: they end once (users log in again).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008_sessions_and_access_log"
down_revision = "0007_strong_login"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "login_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("remember", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("method", sa.String(length=20), server_default="password", nullable=False),
        sa.Column("browser", sa.String(length=40), server_default="", nullable=False),
        sa.Column("system", sa.String(length=40), server_default="", nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("network", sa.String(length=50), nullable=True),
        sa.Column("device_hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_login_sessions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_sessions")),
    )
    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_login_sessions_last_seen_at", ["last_seen_at"], unique=False)
        batch_op.create_index("ix_login_sessions_user_created", ["user_id", "created_at"], unique=False)

    op.create_table(
        "contact_detail_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("viewer_id", sa.Integer(), nullable=True),
        sa.Column("viewer_organization_id", sa.Integer(), nullable=True),
        sa.Column("viewer_is_moderator", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("views", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("views >= 1", name=op.f("ck_contact_detail_views_views_positive")),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_contact_detail_views_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["viewer_id"], ["users.id"], name=op.f("fk_contact_detail_views_viewer_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["viewer_organization_id"],
            ["organizations.id"],
            name=op.f("fk_contact_detail_views_viewer_organization_id_organizations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_detail_views")),
        # The target of the upsert that counts a view.
        sa.UniqueConstraint("organization_id", "viewer_id", "day", name="uq_contact_detail_views_viewer_day"),
    )
    with op.batch_alter_table("contact_detail_views", schema=None) as batch_op:
        batch_op.create_index("ix_contact_detail_views_day", ["day"], unique=False)
        batch_op.create_index(
            "ix_contact_detail_views_organization_day", ["organization_id", "day", "id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("contact_detail_views", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_detail_views_organization_day")
        batch_op.drop_index("ix_contact_detail_views_day")
    op.drop_table("contact_detail_views")

    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_login_sessions_user_created")
        batch_op.drop_index("ix_login_sessions_last_seen_at")
    op.drop_table("login_sessions")
