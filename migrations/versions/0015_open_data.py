"""open data: organization identifiers (org-id.guide) with their visibility; Murmurations opt-in

Revision ID: 0015_open_data
Revises: 0014_campaign_life
Create Date: 2026-12-01 10:20:00

Adds to organizations a registration identifier in the org-id.guide form (org_identifier, such as
IQ-NGO-1234) with its own visibility column ('public' / 'members' / 'hidden', like the contact
details; existing organizations get 'hidden' and no value), and publishes_murmurations (whether
the organization publishes a Murmurations profile; false for everyone until they opt in).

SQLite: the columns are added in place (ALTER TABLE ADD COLUMN), so the organizations table is
not rebuilt and the search triggers of 0002_search stay.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015_open_data"
down_revision = "0014_campaign_life"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("organizations", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("org_identifier", sa.String(80), nullable=True))
        batch_op.add_column(
            sa.Column("publishes_murmurations", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.execute(
        "ALTER TABLE organizations ADD COLUMN org_identifier_visibility VARCHAR(7) DEFAULT 'hidden' NOT NULL "
        "CONSTRAINT ck_organizations_org_identifier_visibility "
        "CHECK (org_identifier_visibility IN ('public', 'members', 'hidden'))"
    )


def downgrade():
    with op.batch_alter_table("organizations", recreate="never") as batch_op:
        batch_op.drop_column("org_identifier_visibility")
        batch_op.drop_column("publishes_murmurations")
        batch_op.drop_column("org_identifier")
