"""campaign life: coordinators, updates and their history

Revision ID: 0014_campaign_life
Revises: 0013_social_links
Create Date: 2026-12-01 09:54:17.702714

- campaign_coordinators: member organizations a moderator names to coordinate a campaign.
- updates, update_texts (one row per language written), update_revisions (the words an edit
  replaced): news on campaigns and projects.
- follows: a member or a confirmed visitor's address following a campaign, organization or
  project, with how often it hears of it (daily / weekly digest, never).
- digest_deliveries: one row per reader and digest period (the idempotency key of digests).
- outbox_messages.headers (JSON, nullable): more headers of a mail (List-Unsubscribe).
- users.unread_notifications (integer, 0): the header's count of new updates on what one follows.
- four audit actions (coordinator.named, coordinator.removed, update.hidden, update.unhidden)
  in the CHECK of audit_entries.action (rebuilt in a batch, as 0012 does). Downgrading deletes
  the audit entries of the new actions (the old CHECK refuses them).
"""
import sqlalchemy as sa
from alembic import op

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
]
NEW_AUDIT_ACTIONS = ["coordinator.named", "coordinator.removed", "update.hidden", "update.unhidden"]
AUDIT_CHECK = "ck_audit_entries_audit_action"


def _audit_check(actions):
    return "action IN (" + ", ".join(f"'{action}'" for action in actions) + ")"


# revision identifiers, used by Alembic.
revision = '0014_campaign_life'
down_revision = '0013_social_links'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('campaign_coordinators',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('named_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_coordinators_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['named_by_id'], ['users.id'], name=op.f('fk_campaign_coordinators_named_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_campaign_coordinators_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'organization_id', name=op.f('pk_campaign_coordinators'))
    )
    with op.batch_alter_table('campaign_coordinators', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_coordinators_organization_id'), ['organization_id'], unique=False)

    op.create_table('updates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hidden_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('campaign_id IS NOT NULL OR project_id IS NOT NULL', name=op.f('ck_updates_has_subject')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_updates_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_updates_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_updates_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_updates_project_id_projects'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_updates'))
    )
    with op.batch_alter_table('updates', schema=None) as batch_op:
        batch_op.create_index('ix_updates_campaign_created', ['campaign_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_updates_created', ['created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_updates_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_updates_project_id'), ['project_id'], unique=False)

    op.create_table('update_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('update_id', sa.Integer(), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('title', sa.String(length=160), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('edited_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['edited_by_id'], ['users.id'], name=op.f('fk_update_revisions_edited_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['update_id'], ['updates.id'], name=op.f('fk_update_revisions_update_id_updates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_update_revisions'))
    )
    with op.batch_alter_table('update_revisions', schema=None) as batch_op:
        batch_op.create_index('ix_update_revisions_update_created', ['update_id', 'created_at', 'id'], unique=False)

    op.create_table('update_texts',
    sa.Column('update_id', sa.Integer(), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('title', sa.String(length=160), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['update_id'], ['updates.id'], name=op.f('fk_update_texts_update_id_updates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('update_id', 'locale', name=op.f('pk_update_texts'))
    )

    op.create_table('follows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('locale', sa.String(length=8), nullable=True),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('follower_key', sa.String(length=270), nullable=False),
    sa.Column('subject_key', sa.String(length=40), nullable=False),
    sa.Column('frequency', sa.String(length=10), server_default='weekly', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(CASE WHEN campaign_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN organization_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN project_id IS NULL THEN 0 ELSE 1 END) = 1', name=op.f('ck_follows_one_subject')),
    sa.CheckConstraint('(user_id IS NULL) <> (email IS NULL)', name=op.f('ck_follows_one_follower')),
    sa.CheckConstraint("frequency IN ('daily', 'weekly', 'never')", name=op.f('ck_follows_frequency_known')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_follows_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_follows_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_follows_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_follows_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follows')),
    sa.UniqueConstraint('follower_key', 'subject_key', name='follows_once')
    )
    with op.batch_alter_table('follows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follows_subject_key'), ['subject_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_follows_user_id'), ['user_id'], unique=False)
        batch_op.create_index('ix_follows_frequency_follower', ['frequency', 'follower_key'], unique=False)

    op.create_table('digest_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('follower_key', sa.String(length=270), nullable=False),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('period_key', sa.String(length=12), nullable=False),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('window_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('item_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("period IN ('daily', 'weekly')", name=op.f('ck_digest_deliveries_period_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digest_deliveries')),
    sa.UniqueConstraint('follower_key', 'period', 'period_key', name='one_digest_per_period')
    )
    with op.batch_alter_table('digest_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_digest_deliveries_follower_period_end', ['follower_key', 'period', 'window_end'], unique=False)

    with op.batch_alter_table('outbox_messages', recreate="never") as batch_op:
        batch_op.add_column(sa.Column('headers', sa.JSON(), nullable=True))

    with op.batch_alter_table('users', recreate="never") as batch_op:
        batch_op.add_column(sa.Column('unread_notifications', sa.Integer(), server_default='0', nullable=False))

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

    with op.batch_alter_table('outbox_messages', recreate="never") as batch_op:
        batch_op.drop_column('headers')

    with op.batch_alter_table('users', recreate="never") as batch_op:
        batch_op.drop_column('unread_notifications')

    with op.batch_alter_table('digest_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_digest_deliveries_follower_period_end')

    op.drop_table('digest_deliveries')

    with op.batch_alter_table('follows', schema=None) as batch_op:
        batch_op.drop_index('ix_follows_frequency_follower')
        batch_op.drop_index(batch_op.f('ix_follows_user_id'))
        batch_op.drop_index(batch_op.f('ix_follows_subject_key'))

    op.drop_table('follows')
    op.drop_table('update_texts')
    with op.batch_alter_table('update_revisions', schema=None) as batch_op:
        batch_op.drop_index('ix_update_revisions_update_created')

    op.drop_table('update_revisions')
    with op.batch_alter_table('updates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_updates_project_id'))
        batch_op.drop_index(batch_op.f('ix_updates_organization_id'))
        batch_op.drop_index('ix_updates_created')
        batch_op.drop_index('ix_updates_campaign_created')

    op.drop_table('updates')
    with op.batch_alter_table('campaign_coordinators', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_coordinators_organization_id'))

    op.drop_table('campaign_coordinators')
