"""notification choices, notifications of other events, bounced addresses

Revision ID: 0018_notification_choices
Revises: 0017_solidarity_in_practice
Create Date: 2026-12-01 14:30:00

- users.notification_choices (JSON, nullable): per kind of notification, "now", "daily",
  "weekly" or "never" (a kind not in it takes its default).
- notifications: one event for one reader (kind, params, when its mail is due, when mailed).
- mail_bounces: addresses the mail server refused for good (no more digests or notifications).
No audit action is added.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0018_notification_choices"
down_revision = "0017_solidarity_in_practice"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("notification_choices", sa.JSON(), nullable=True))

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("mail_due", sa.String(length=10), nullable=True),
        sa.Column("mailed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index("ix_notifications_user_created", ["user_id", "created_at"], unique=False)
        batch_op.create_index("ix_notifications_due", ["mail_due", "mailed_at"], unique=False)

    op.create_table(
        "mail_bounces",
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("bounced_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_mail_bounces")),
    )


def downgrade():
    op.drop_table("mail_bounces")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_due")
        batch_op.drop_index("ix_notifications_user_created")
    op.drop_table("notifications")
    with op.batch_alter_table("users", recreate="never") as batch_op:
        batch_op.drop_column("notification_choices")
