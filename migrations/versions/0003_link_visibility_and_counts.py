"""project links get a visibility; pledges carry how they count

Revision ID: 0003_link_visibility_and_counts
Revises: 0002_search
Create Date: 2026-12-01 10:00:00

project_campaigns.visibility ('public' / 'members'): an existing link becomes public only
where the project's organization has an active public pledge to the campaign, and
members-only everywhere else, so that no link names an organization that pledged discreetly.

pledges.counted / pledges.counted_iraqi: whether a pledge adds to its campaign's numbers, and
on which side of the Iraqi/international split (app/services/counters.py). Existing pledges
get their current attribution: counted while active and of an approved organization, Iraqi
by the organization's country.

Then every campaign's counters are recomputed by the new rule (only public links count as
projects); the downgrade recomputes them by the old one (every link of a visible project of
an approved organization). Neither rebuilds organizations, campaigns or projects, so the
SQLite search triggers stay in place.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0003_link_visibility_and_counts"
down_revision = "0002_search"
branch_labels = None
depends_on = None


APPROVED_ORGANIZATION = (
    "EXISTS (SELECT 1 FROM organizations o WHERE o.id = pledges.organization_id AND o.status = 'approved')"
)
IRAQI_ORGANIZATION = (
    "EXISTS (SELECT 1 FROM organizations o WHERE o.id = pledges.organization_id AND o.country = 'IQ')"
)
PUBLICLY_PLEDGED = """EXISTS (
    SELECT 1 FROM pledges p JOIN projects pr ON pr.organization_id = p.organization_id
    WHERE pr.id = project_campaigns.project_id AND p.campaign_id = project_campaigns.campaign_id
      AND p.withdrawn_at IS NULL AND p.visibility = 'public')"""


def _project_count(only_public: bool) -> str:
    public = " AND pc.visibility = 'public'" if only_public else ""
    return f"""(SELECT count(*) FROM project_campaigns pc
        JOIN projects pr ON pr.id = pc.project_id
        JOIN organizations o ON o.id = pr.organization_id
        WHERE pc.campaign_id = campaigns.id AND pr.hidden_at IS NULL AND o.status = 'approved'{public})"""


def upgrade():
    with op.batch_alter_table("project_campaigns", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "visibility",
                sa.Enum("public", "members", name="link_visibility", native_enum=False, create_constraint=True),
                server_default="members",
                nullable=False,
            )
        )
    with op.batch_alter_table("pledges", schema=None) as batch_op:
        batch_op.add_column(sa.Column("counted", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("counted_iraqi", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index("ix_pledges_campaign_counted", ["campaign_id", "counted", "counted_iraqi"], unique=False)

    op.execute(f"UPDATE project_campaigns SET visibility = 'public' WHERE {PUBLICLY_PLEDGED}")
    op.execute(
        f"UPDATE pledges SET counted = (withdrawn_at IS NULL AND {APPROVED_ORGANIZATION}), "
        f"counted_iraqi = {IRAQI_ORGANIZATION}"
    )
    with op.batch_alter_table("pledges", schema=None) as batch_op:
        batch_op.create_check_constraint(op.f("ck_pledges_withdrawn_not_counted"), "withdrawn_at IS NULL OR NOT counted")

    op.execute(
        "UPDATE campaigns SET "
        "supporter_count = (SELECT count(*) FROM pledges WHERE pledges.campaign_id = campaigns.id AND counted), "
        "iraqi_supporter_count = (SELECT count(*) FROM pledges "
        "WHERE pledges.campaign_id = campaigns.id AND counted AND counted_iraqi), "
        f"project_count = {_project_count(only_public=True)}"
    )


def downgrade():
    with op.batch_alter_table("pledges", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_pledges_withdrawn_not_counted"), type_="check")
        batch_op.drop_index("ix_pledges_campaign_counted")
        batch_op.drop_column("counted_iraqi")
        batch_op.drop_column("counted")
    with op.batch_alter_table("project_campaigns", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_project_campaigns_link_visibility"), type_="check")
        batch_op.drop_column("visibility")

    # The counters as the code before this revision kept them: every active pledge of an
    # approved organization at once, every link.
    active_approved = f"pledges.campaign_id = campaigns.id AND withdrawn_at IS NULL AND {APPROVED_ORGANIZATION}"
    op.execute(
        "UPDATE campaigns SET "
        f"supporter_count = (SELECT count(*) FROM pledges WHERE {active_approved}), "
        f"iraqi_supporter_count = (SELECT count(*) FROM pledges WHERE {active_approved} AND {IRAQI_ORGANIZATION}), "
        f"project_count = {_project_count(only_public=False)}"
    )
