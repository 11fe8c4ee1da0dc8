"""social links of organizations: Facebook page, Telegram, WhatsApp, each with its visibility

Revision ID: 0013_social_links
Revises: 0012_review_requests
Create Date: 2026-12-01 07:00:00

Adds to organizations three contact details (facebook, telegram, whatsapp), each with its own
visibility column ('public' / 'members' / 'hidden', like the other contact details); existing
organizations get 'hidden' and no value.

SQLite: the columns are added in place (ALTER TABLE ADD COLUMN, recreate="never"), so the
organizations table is not rebuilt and the search triggers of 0002_search stay.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013_social_links"
down_revision = "0012_review_requests"
branch_labels = None
depends_on = None

SOCIAL_LINKS = (("facebook", 300), ("telegram", 40), ("whatsapp", 40))


def upgrade():
    with op.batch_alter_table("organizations", recreate="never") as batch_op:
        for name, length in SOCIAL_LINKS:
            batch_op.add_column(sa.Column(name, sa.String(length), nullable=True))
    # A column with its CHECK, in one statement both SQLite (which cannot add a constraint to an
    # existing table) and PostgreSQL understand.
    for name, _length in SOCIAL_LINKS:
        column = f"{name}_visibility"
        op.execute(
            f"ALTER TABLE organizations ADD COLUMN {column} VARCHAR(7) DEFAULT 'hidden' NOT NULL "
            f"CONSTRAINT ck_organizations_{column} CHECK ({column} IN ('public', 'members', 'hidden'))"
        )


def downgrade():
    with op.batch_alter_table("organizations", recreate="never") as batch_op:
        for name, _length in reversed(SOCIAL_LINKS):
            batch_op.drop_column(f"{name}_visibility")
            batch_op.drop_column(name)
