"""organization name skeletons, and new names under review

Revision ID: 0004_organization_name_review
Revises: 0003_link_visibility_and_counts
Create Date: 2026-12-01 03:00:00

Adds to organizations:
- name_skeleton (indexed): what look-alike names share, so that a new name too close to
  another organization's is refused in one query; filled here for every existing row.
- proposed_name, proposed_name_at: a new name an approved organization asked for, waiting for
  a moderator.
and four audit actions (rename.requested / withdrawn / approved / rejected) to the CHECK
constraint of audit_entries.action.

The skeleton function below is a copy of app.services.text.name_skeleton at the time of
writing: a migration must not import the application, whose code moves on
(tests/test_migrations_names.py checks that the two agree).

SQLite: the new columns are added in place (ALTER TABLE ADD/DROP COLUMN, recreate="never"), so
the organizations table is not rebuilt and the search triggers of 0002_search stay.
audit_entries is rebuilt (batch) to change its CHECK constraint; it has no trigger.
Downgrading deletes the audit entries of the four new actions (the old CHECK refuses them).
"""

import unicodedata
from functools import lru_cache

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0004_organization_name_review"
down_revision = "0003_link_visibility_and_counts"
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
]
NEW_AUDIT_ACTIONS = ["rename.requested", "rename.withdrawn", "rename.approved", "rename.rejected"]
AUDIT_CHECK = "ck_audit_entries_audit_action"


def _audit_check(actions):
    return "action IN (" + ", ".join(f"'{action}'" for action in actions) + ")"


# --- A copy of app.services.text.name_skeleton ---------------------------------------------------

SKELETON_MAX_LENGTH = 200
_ARABIC_FOLDS = str.maketrans(
    {
        "ى": "ي",
        "ی": "ي",
        "ې": "ي",
        "ێ": "ي",
        "ۍ": "ي",
        "ک": "ك",
        "ڪ": "ك",
        "ة": "ه",
        "ۃ": "ه",
        "ە": "ه",
        "ھ": "ه",
        "ہ": "ه",
        "ڕ": "ر",
        "ڵ": "ل",
        "ۆ": "و",
        "ـ": "",
        **{chr(0x06F0 + d): chr(0x0660 + d) for d in range(10)},
    }
)


@lru_cache(maxsize=1)
def _confusable_prototypes():
    from confusable_homoglyphs.confusables import confusables_data

    parent = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a, b):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for source, homoglyphs in confusables_data.items():
        source = source.replace("\u200e", "")
        for homoglyph in homoglyphs:
            union(source, homoglyph["c"].replace("\u200e", ""))
    union("i", "l")

    classes = {}
    for member in list(parent):
        classes.setdefault(find(member), []).append(member)

    def preference(member):
        return (len(member) == 1, not member.isalpha(), not member.isascii(), not member.islower(), member)

    table = {}
    for members in classes.values():
        representative = min(members, key=preference)
        for member in members:
            if len(member) == 1 and member != representative:
                table[member] = representative
    return table


def _fold(text, *, drop_separators):
    text = unicodedata.normalize("NFKD", text.translate(_ARABIC_FOLDS))
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if category in ("Mn", "Me", "Cf", "Cc"):
            continue
        if drop_separators and category[0] not in "LN":
            continue
        kept.append(ch)
    return "".join(kept)


def name_skeleton(name):
    table = _confusable_prototypes()
    text = _fold(unicodedata.normalize("NFKC", name or ""), drop_separators=True)
    for _ in range(4):
        mapped = "".join(table.get(ch, ch) for ch in text)
        folded = _fold(unicodedata.normalize("NFKC", mapped.casefold()), drop_separators=False)
        if folded == text:
            break
        text = folded
    return text[:SKELETON_MAX_LENGTH]


# --- Steps ---------------------------------------------------------------------------------------


def upgrade():
    with op.batch_alter_table("organizations", recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column("name_skeleton", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("proposed_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("proposed_name_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_organizations_name_skeleton", ["name_skeleton"], unique=False)

    connection = op.get_bind()
    organizations = sa.table(
        "organizations",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("name_skeleton", sa.String),
    )
    rows = connection.execute(sa.select(organizations.c.id, organizations.c.name)).all()
    for start in range(0, len(rows), 1000):
        connection.execute(
            organizations.update()
            .where(organizations.c.id == sa.bindparam("row_id"))
            .values(name_skeleton=sa.bindparam("skeleton")),
            [{"row_id": row.id, "skeleton": name_skeleton(row.name)} for row in rows[start : start + 1000]],
        )

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
        batch_op.drop_index("ix_organizations_name_skeleton")
        batch_op.drop_column("proposed_name_at")
        batch_op.drop_column("proposed_name")
        batch_op.drop_column("name_skeleton")
