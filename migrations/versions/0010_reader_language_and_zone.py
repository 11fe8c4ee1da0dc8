"""the time zone a user reads dates in

Revision ID: 0010_reader_language_and_zone
Revises: 0009_dark_and_deletion
Create Date: 2026-12-11 06:00:00

Adds users.time_zone: the IANA zone a member chose for the dates of their pages and mail (NULL:
the site's own, Iraq's). The language of their mail is users.locale, which exists already and
is now filled at registration.

SQLite: the column is added in place (ALTER TABLE ADD/DROP COLUMN, recreate="never").
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010_reader_language_and_zone"
down_revision = "0009_dark_and_deletion"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("time_zone", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("users", recreate="never") as batch_op:
        batch_op.drop_column("time_zone")
