"""solidarity in practice: what organizations offer and need

Revision ID: 0017_solidarity_in_practice
Revises: 0013_social_links
Create Date: 2026-12-01 10:00:00

- solidarity_offers: one offer or need of an organization (a kind of help, a short text, a
  visibility: public / members), on its profile (campaign_id NULL) or for one campaign; one row
  per organization, scope, direction and kind (two partial unique indexes).

No audit action is added.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017_solidarity_in_practice"
down_revision = "0013_social_links"
branch_labels = None
depends_on = None

# Frozen copies of the vocabularies (app/models/solidarity.py) as they are at this revision.
DIRECTIONS = ("offer", "need")
CATEGORIES = (
    "legal", "technical", "media", "research", "funding", "volunteers", "advocacy", "hosting",
    "training", "equipment",
)  # fmt: skip
VISIBILITIES = ("public", "members")


def _enum(values, name):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=max(map(len, values)))


def upgrade():
    op.create_table(
        "solidarity_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("direction", _enum(DIRECTIONS, "offer_direction"), nullable=False),
        sa.Column("category", _enum(CATEGORIES, "offer_category"), nullable=False),
        sa.Column("text", sa.String(length=300), nullable=False),
        sa.Column("visibility", _enum(VISIBILITIES, "offer_visibility"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"],
            name=op.f("fk_solidarity_offers_campaign_id_campaigns"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"],
            name=op.f("fk_solidarity_offers_organization_id_organizations"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_solidarity_offers")),
    )  # fmt: skip
    with op.batch_alter_table("solidarity_offers") as batch_op:
        batch_op.create_index(
            "uq_solidarity_offers_profile", ["organization_id", "direction", "category"], unique=True,
            sqlite_where=sa.text("campaign_id IS NULL"), postgresql_where=sa.text("campaign_id IS NULL"),
        )  # fmt: skip
        batch_op.create_index(
            "uq_solidarity_offers_campaign", ["organization_id", "campaign_id", "direction", "category"],
            unique=True, sqlite_where=sa.text("campaign_id IS NOT NULL"),
            postgresql_where=sa.text("campaign_id IS NOT NULL"),
        )  # fmt: skip
        batch_op.create_index("ix_solidarity_offers_campaign", ["campaign_id", "direction", "category"])
        batch_op.create_index(
            "ix_solidarity_offers_direction_category", ["direction", "category", "organization_id"]
        )


def downgrade():
    with op.batch_alter_table("solidarity_offers") as batch_op:
        batch_op.drop_index("ix_solidarity_offers_direction_category")
        batch_op.drop_index("ix_solidarity_offers_campaign")
        batch_op.drop_index(
            "uq_solidarity_offers_campaign",
            sqlite_where=sa.text("campaign_id IS NOT NULL"), postgresql_where=sa.text("campaign_id IS NOT NULL"),
        )  # fmt: skip
        batch_op.drop_index(
            "uq_solidarity_offers_profile",
            sqlite_where=sa.text("campaign_id IS NULL"), postgresql_where=sa.text("campaign_id IS NULL"),
        )  # fmt: skip
    op.drop_table("solidarity_offers")
