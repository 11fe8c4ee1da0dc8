"""going dark, delisting and deletion of organizations

Revision ID: 0009_dark_and_deletion
Revises: 0006_multilingual_search
Create Date: 2026-12-10 03:00:00

Adds to organizations three moments, each taking the organization out of public view
(app/services/visibility.py):
- dark_at: its owners took it out of public view;
- delisted_at: a moderator delisted it in an emergency;
- deletion_requested_at: its owners asked for its deletion (erased after the grace period).
and eight audit actions (organization.dark / visible / delisted / relisted / erased,
deletion.requested / cancelled, user.deleted) to the CHECK constraint of audit_entries.action.

SQLite: the columns are added in place (ALTER TABLE ADD/DROP COLUMN, recreate="never"), so the
organizations table is not rebuilt and the search triggers of 0002_search stay. audit_entries is
rebuilt (batch) to change its CHECK constraint; it has no trigger. Downgrading deletes the audit
entries of the new actions (the old CHECK refuses them).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009_dark_and_deletion"
down_revision = "0006_multilingual_search"
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
]
NEW_AUDIT_ACTIONS = [
    "organization.dark",
    "organization.visible",
    "organization.delisted",
    "organization.relisted",
    "deletion.requested",
    "deletion.cancelled",
    "organization.erased",
    "user.deleted",
]
AUDIT_CHECK = "ck_audit_entries_audit_action"
NEW_COLUMNS = ("dark_at", "delisted_at", "deletion_requested_at")


def _audit_check(actions):
    return "action IN (" + ", ".join(f"'{action}'" for action in actions) + ")"


def upgrade():
    with op.batch_alter_table("organizations", recreate="never") as batch_op:
        for name in NEW_COLUMNS:
            batch_op.add_column(sa.Column(name, sa.DateTime(timezone=True), nullable=True))

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

    with op.batch_alter_table("organizations", recreate="never") as batch_op:
        for name in reversed(NEW_COLUMNS):
            batch_op.drop_column(name)
