"""outbox of mail and jobs

Revision ID: 0005_outbox
Revises: 0004_organization_name_review
Create Date: 2026-12-01 02:50:14.765269

One new table, outbox_messages: mail and jobs written in the same transaction as the change
that causes them, and delivered after the commit (app/worker.py). No existing table changes.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_outbox'
down_revision = "0004_organization_name_review"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('mail', 'job', name='outbox_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('status', sa.Enum('pending', 'sending', 'sent', 'failed', 'discarded', name='outbox_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=True),
    sa.Column('subject', sa.Text(), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('discard', sa.Boolean(), nullable=False),
    sa.Column('job_name', sa.String(length=100), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lease_token', sa.String(length=32), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(kind = 'mail' AND recipient IS NOT NULL AND subject IS NOT NULL) OR (kind = 'job' AND job_name IS NOT NULL)", name=op.f('ck_outbox_messages_kind_has_its_fields')),
    sa.CheckConstraint("status <> 'sending' OR (lease_token IS NOT NULL AND lease_until IS NOT NULL)", name=op.f('ck_outbox_messages_sending_has_a_lease')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_outbox_messages_attempts_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages')),
    sa.UniqueConstraint('key', name=op.f('uq_outbox_messages_key'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_messages_status_next_attempt', ['status', 'next_attempt_at'], unique=False)


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_messages_status_next_attempt')

    op.drop_table('outbox_messages')
