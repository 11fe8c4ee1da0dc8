"""session translations: a programme session's title and speakers in more languages

Revision ID: 0019_session_translations
Revises: 0018_notification_choices
Create Date: 2026-12-01 14:30:00

- gathering_session_translations: a session's title and speakers in one more language (Arabic,
  Kurdish, French), one row per session and language, removed with its session. The session's
  own row keeps its title and speakers as the main (English) text, as a gathering's does
  (gathering_translations): existing sessions keep their data where it is, and every language
  falls back to it until a translation is entered.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0019_session_translations"
down_revision = "0018_notification_choices"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "gathering_session_translations",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("speakers", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["gathering_sessions.id"],
            name=op.f("fk_gathering_session_translations_session_id_gathering_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", "locale", name=op.f("pk_gathering_session_translations")),
    )


def downgrade():
    op.drop_table("gathering_session_translations")
