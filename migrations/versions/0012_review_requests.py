"""review requests and application snapshots

Revision ID: 0012_review_requests
Revises: 0011_names_in_each_language
Create Date: 2026-12-01 06:40:00

- audit_entries.snapshot (JSON, nullable): the application's fields as they were when a
  moderator rejected it, so a resubmitted application shows what changed since.
- projects.review_requested_at / review_request_note: a member asks a moderator to look again
  at a project a moderator hid.
- two audit actions (review.requested, review.declined) in the CHECK of audit_entries.action.

SQLite: the project columns are added in place (recreate="never": the search triggers of
0002_search stay); audit_entries is rebuilt (batch) to change its CHECK, as 0009 does.
Downgrading deletes the audit entries of the new actions (the old CHECK refuses them).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012_review_requests"
down_revision = "0011_names_in_each_language"
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
    # Added by 0009_dark_and_deletion.
    "organization.dark",
    "organization.visible",
    "organization.delisted",
    "organization.relisted",
    "deletion.requested",
    "deletion.cancelled",
    "organization.erased",
    "user.deleted",
]
NEW_AUDIT_ACTIONS = ["review.requested", "review.declined"]
AUDIT_CHECK = "ck_audit_entries_audit_action"


def _audit_check(actions):
    return "action IN (" + ", ".join(f"'{action}'" for action in actions) + ")"


def upgrade():
    with op.batch_alter_table("projects", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("review_requested_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("review_request_note", sa.Text(), nullable=True))

    with op.batch_alter_table("audit_entries") as batch_op:
        batch_op.add_column(sa.Column("snapshot", sa.JSON(), nullable=True))
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
        batch_op.drop_column("snapshot")

    with op.batch_alter_table("projects", recreate="never") as batch_op:
        batch_op.drop_column("review_request_note")
        batch_op.drop_column("review_requested_at")
