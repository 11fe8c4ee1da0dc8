"""index for the home page's newest pledges

Revision ID: 0003_newest_pledges_index
Revises: 0002_search
Create Date: 2026-11-22 20:25:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "0003_newest_pledges_index"
down_revision = "0002_search"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("pledges", schema=None) as batch_op:
        batch_op.create_index(
            "ix_pledges_active_created", ["withdrawn_at", "created_at", "id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("pledges", schema=None) as batch_op:
        batch_op.drop_index("ix_pledges_active_created")
