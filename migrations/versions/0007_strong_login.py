"""strong login: authenticator app, passkeys, recovery codes, organizations requiring them

Revision ID: 0007_strong_login
Revises: 0006_multilingual_search
Create Date: 2026-12-01 03:30:00

Columns are added and dropped with plain ALTER TABLE on both databases (SQLite 3.35+ drops
columns natively), so neither ``users`` (referenced by every table, with foreign keys on) nor
``organizations`` (whose search triggers a rebuild would lose) is rebuilt. Only
``audit_entries`` is rebuilt on SQLite, to widen its list of actions.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007_strong_login"
down_revision = "0006_multilingual_search"
branch_labels = None
depends_on = None

OLD_ACTIONS = [
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
    # Added by 0004_organization_name_review.
    "rename.requested",
    "rename.withdrawn",
    "rename.approved",
    "rename.rejected",
]
NEW_ACTIONS = [
    "organization.2fa_required",
    "organization.2fa_optional",
    "user.2fa_enabled",
    "user.2fa_disabled",
    "user.recovery_code_used",
]

USER_COLUMNS = [
    ("two_factor_enabled_at", sa.DateTime(timezone=True)),
    ("totp_secret", sa.String(length=255)),
    ("totp_enabled_at", sa.DateTime(timezone=True)),
    ("totp_last_step", sa.BigInteger()),
    ("webauthn_user_handle", sa.LargeBinary(length=64)),
]


def _set_actions(old, new):
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_audit_entries_audit_action"), type_="check")
        batch_op.alter_column(
            "action",
            existing_type=sa.String(length=max(map(len, old))),
            type_=sa.String(length=max(map(len, new))),
            existing_nullable=False,
        )
        batch_op.create_check_constraint(
            op.f("ck_audit_entries_audit_action"), sa.column("action").in_(new)
        )


def upgrade():
    for name, type_ in USER_COLUMNS:
        op.add_column("users", sa.Column(name, type_, nullable=True))
    op.create_index("ix_users_webauthn_user_handle", "users", ["webauthn_user_handle"], unique=True)
    op.add_column(
        "organizations",
        sa.Column("require_two_factor", sa.Boolean(), server_default=sa.false(), nullable=False),
    )

    op.create_table(
        "webauthn_credentials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.LargeBinary(length=1024), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("transports", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("sign_count >= 0", name=op.f("ck_webauthn_credentials_sign_count_positive")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_webauthn_credentials_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webauthn_credentials")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_webauthn_credentials_credential_id")),
    )
    op.create_index("ix_webauthn_credentials_user_id", "webauthn_credentials", ["user_id"])

    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_recovery_codes_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
    )
    op.create_index("ix_recovery_codes_user_id", "recovery_codes", ["user_id"])

    _set_actions(OLD_ACTIONS, OLD_ACTIONS + NEW_ACTIONS)


def downgrade():
    # Entries of the new kinds cannot be kept under the old list of actions.
    audit = sa.table("audit_entries", sa.column("action", sa.String))
    op.execute(audit.delete().where(audit.c.action.in_(NEW_ACTIONS)))
    _set_actions(OLD_ACTIONS + NEW_ACTIONS, OLD_ACTIONS)

    op.drop_index("ix_recovery_codes_user_id", table_name="recovery_codes")
    op.drop_table("recovery_codes")
    op.drop_index("ix_webauthn_credentials_user_id", table_name="webauthn_credentials")
    op.drop_table("webauthn_credentials")

    op.drop_column("organizations", "require_two_factor")
    op.drop_index("ix_users_webauthn_user_handle", table_name="users")
    for name, _type in reversed(USER_COLUMNS):
        op.drop_column("users", name)
