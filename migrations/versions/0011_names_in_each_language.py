# ruff: noqa: RUF001  (Arabic-script letters)
"""names in each language, project translations, sort keys in each language

Revision ID: 0011_names_in_each_language
Revises: 0010_reader_language_and_zone
Create Date: 2026-12-01 07:00:00

- organization_translations: name (the organization's name in that language, shown), its
  name_skeleton (indexed, compared with every other name: app/names.py), proposed_name and
  proposed_name_at (an approved organization's new name in that language, waiting for review);
- project_translations: a project's title, summary and description in another language, and
  projects.translated_texts: a copy of the titles and summaries (none yet);
- organizations.translated_names: a copy of the shown names in other languages (none yet);
- organizations.sort_key_ar / _ckb / _en / _fr (indexed with status and id): the name in each
  language's alphabetical order, filled here for existing rows.

SQLite: the organizations columns are added in place (recreate="never"), so the table is not
rebuilt and its search triggers stay. The sort key below is a copy of app/sorting.py at the time
of writing: a migration must not import the application, whose code moves on.
"""

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011_names_in_each_language"
down_revision = "0010_reader_language_and_zone"
branch_labels = None
depends_on = None

# --- a copy of app/sorting.py -----------------------------------------------------------------

# The interface languages that have a stored key (the columns ``sort_key_<lang>``).
SORT_LOCALES = ("ar", "ckb", "en", "fr")
SORT_KEY_LENGTH = 300
_LETTERS_KEPT = SORT_KEY_LENGTH // 6

ARABIC_ALPHABET = "ءابپتثجچحخدذرزژسشصضطظعغفڤقكگلمنهوي"
SORANI_ALPHABET = "ءئابپتجچحخدرڕزژسشعغفڤقکگلڵمنهەوۆیێ"

# Letters that count as another one (beyond the marks NFKD takes off alef with hamza).
_ARABIC_VARIANTS = {"ٱ": "ا", "ة": "ت", "ى": "ي", "ی": "ي", "ک": "ك", "ؤ": "و", "ئ": "ي", "ە": "ه", "ھ": "ه"}
_SORANI_VARIANTS = {"ك": "ک", "ي": "ی", "ى": "ی", "ة": "ە", "ھ": "ه", "ٱ": "ا", "ؤ": "و"}

_ARTICLE = re.compile(r"^ال(?=\w\w)")
_SPACE = 1
_DIGITS = 0x10  # then 0-9
_FIRST_SCRIPT = 0x100
_SECOND_SCRIPT = 0x1000
_OTHERS = 0x10000


def _is_arabic_script(ch: str) -> bool:
    return "\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f"


def _clean(name: str, variants: dict[str, str], protected: str = "") -> str:
    """Lower case, without marks, tatweel, punctuation; Arabic letter variants folded."""
    text = unicodedata.normalize("NFKC", name or "").casefold()
    text = "".join(variants.get(ch, ch) for ch in text)
    # Sorani's ئ is a letter of its own, not ی with a hamza: kept whole.
    decomposed = "".join(ch if ch in protected else unicodedata.normalize("NFKD", ch) for ch in text)
    kept = []
    for ch in decomposed:
        category = unicodedata.category(ch)
        if category.startswith("M") or ch == "ـ":
            continue
        if category.startswith("Z") or ch.isspace():
            if kept and kept[-1] != " ":
                kept.append(" ")
            continue
        if category[0] in "LN":
            kept.append(ch)
    return "".join(kept).strip()


def _weight(ch: str, alphabet: str, arabic_first: bool) -> int:
    if ch == " ":
        return _SPACE
    if ch.isdigit():
        return _DIGITS + unicodedata.digit(ch, 0)
    arabic = _is_arabic_script(ch)
    if arabic and ch in alphabet:
        base = _FIRST_SCRIPT if arabic_first else _SECOND_SCRIPT
        return base + alphabet.index(ch)
    if "a" <= ch <= "z":
        base = _SECOND_SCRIPT if arabic_first else _FIRST_SCRIPT
        return base + ord(ch) - ord("a")
    if arabic:  # an Arabic-script letter outside the alphabet: after it, by code point
        return (_FIRST_SCRIPT if arabic_first else _SECOND_SCRIPT) + 0x80 + ord(ch) - 0x0600
    return _OTHERS + ord(ch)


def sort_key(name: str, locale: str) -> str:
    """The key that orders ``name`` among others for a reader of ``locale`` (hex digits)."""
    if locale == "ckb":
        alphabet, variants, arabic_first = SORANI_ALPHABET, _SORANI_VARIANTS, True
    elif locale == "ar":
        alphabet, variants, arabic_first = ARABIC_ALPHABET, _ARABIC_VARIANTS, True
    else:
        alphabet, variants, arabic_first = ARABIC_ALPHABET, _ARABIC_VARIANTS, False
    text = _ARTICLE.sub("", _clean(name, variants, "ئ" if locale == "ckb" else ""))
    return "".join(f"{_weight(ch, alphabet, arabic_first):06x}" for ch in text[:_LETTERS_KEPT])


# --- the migration ------------------------------------------------------------------------------


def upgrade():
    with op.batch_alter_table("organization_translations", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("name_skeleton", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("proposed_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("proposed_name_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_organization_translations_name_skeleton", "organization_translations", ["name_skeleton"]
    )
    with op.batch_alter_table("projects", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("translated_texts", sa.JSON(), nullable=True))
    op.create_table(
        "project_translations",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_translations_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", "locale", name=op.f("pk_project_translations")),
    )
    with op.batch_alter_table("organizations", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("translated_names", sa.JSON(), nullable=True))
        for locale in SORT_LOCALES:
            batch_op.add_column(
                sa.Column(f"sort_key_{locale}", sa.String(length=SORT_KEY_LENGTH), nullable=True)
            )
    organizations = sa.table(
        "organizations",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        *(sa.column(f"sort_key_{locale}", sa.String) for locale in SORT_LOCALES),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(organizations.c.id, organizations.c.name)).all()
    for start in range(0, len(rows), 1000):
        connection.execute(
            organizations.update()
            .where(organizations.c.id == sa.bindparam("row_id"))
            .values(**{f"sort_key_{locale}": sa.bindparam(f"key_{locale}") for locale in SORT_LOCALES}),
            [
                {"row_id": row.id, **{f"key_{locale}": sort_key(row.name, locale) for locale in SORT_LOCALES}}
                for row in rows[start : start + 1000]
            ],
        )
    for locale in SORT_LOCALES:
        op.create_index(
            f"ix_organizations_status_sort_key_{locale}",
            "organizations",
            ["status", f"sort_key_{locale}", "id"],
        )


def downgrade():
    for locale in SORT_LOCALES:
        op.drop_index(f"ix_organizations_status_sort_key_{locale}", table_name="organizations")
    with op.batch_alter_table("organizations", recreate="never") as batch_op:
        for locale in SORT_LOCALES:
            batch_op.drop_column(f"sort_key_{locale}")
        batch_op.drop_column("translated_names")
    op.drop_table("project_translations")
    with op.batch_alter_table("projects", recreate="never") as batch_op:
        batch_op.drop_column("translated_texts")
    op.drop_index("ix_organization_translations_name_skeleton", table_name="organization_translations")
    with op.batch_alter_table("organization_translations", recreate="never") as batch_op:
        batch_op.drop_column("proposed_name_at")
        batch_op.drop_column("proposed_name")
        batch_op.drop_column("name_skeleton")
        batch_op.drop_column("name")
