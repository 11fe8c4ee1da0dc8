"""Member organizations of the network."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.enums import OrganizationKind, OrganizationStatus, Visibility, enum_column
from app.names import name_skeleton
from app.sorting import SORT_KEY_LENGTH

if TYPE_CHECKING:
    from app.models.pledge import Pledge
    from app.models.project import Project
    from app.models.user import User

IRAQ = "IQ"

# The contact details an organization can publish, each with its own visibility column, in the
# order the forms and pages show them. The social links are stored normalized
# (app/services/contact_details.py): a https:// Facebook address, a Telegram @handle, a
# WhatsApp number in ASCII digits.
CONTACT_FIELDS = (
    "contact_email",
    "contact_phone",
    "address",
    "contact_person",
    "facebook",
    "telegram",
    "whatsapp",
    # Its registration number in the org-id.guide form (IQ-NGO-… for the Iraqi NGO Directorate).
    "org_identifier",
)


class Organization(db.Model):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    # What look-alike names share (app.services.text.name_skeleton), kept in step with the name:
    # a new name that shares another organization's skeleton is refused in one indexed query.
    name_skeleton: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    # A new name an approved organization asked for; the old one stays public until a moderator
    # approves it.
    proposed_name: Mapped[str | None] = mapped_column(sa.String(200))
    proposed_name_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The names it gives itself in other languages, as shown ({"ar": "...", ...}; not those waiting
    # for review): a copy of organization_translations.name kept by app.models.sort_keys, so
    # that every page shows names in the reader's language without one more query.
    translated_names: Mapped[dict[str, str] | None] = mapped_column(sa.JSON)
    # The name in each interface language's order (app.sorting): the name readers of that
    # language are shown (its translation, else the main name), kept current before every flush
    # (app.models.sort_keys). Never loaded with the row.
    sort_key_ar: Mapped[str | None] = mapped_column(sa.String(SORT_KEY_LENGTH), deferred=True)
    sort_key_ckb: Mapped[str | None] = mapped_column(sa.String(SORT_KEY_LENGTH), deferred=True)
    sort_key_en: Mapped[str | None] = mapped_column(sa.String(SORT_KEY_LENGTH), deferred=True)
    sort_key_fr: Mapped[str | None] = mapped_column(sa.String(SORT_KEY_LENGTH), deferred=True)
    kind: Mapped[OrganizationKind] = mapped_column(enum_column(OrganizationKind, "organization_kind"))
    country: Mapped[str] = mapped_column(sa.String(2))  # ISO 3166-1 alpha-2, upper case
    city: Mapped[str] = mapped_column(sa.String(120), default="")  # city or governorate
    description: Mapped[str] = mapped_column(sa.Text, default="")
    website: Mapped[str | None] = mapped_column(sa.String(300))
    founded_year: Mapped[int | None]
    logo_filename: Mapped[str | None] = mapped_column(sa.String(80))

    status: Mapped[OrganizationStatus] = mapped_column(
        enum_column(OrganizationStatus, "organization_status"), default=OrganizationStatus.PENDING
    )
    # The reason of the latest rejection or suspension, shown to the organization's users.
    status_reason: Mapped[str | None] = mapped_column(sa.Text)

    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    contact_email_visibility: Mapped[Visibility] = mapped_column(
        enum_column(Visibility, "contact_email_visibility"), default=Visibility.HIDDEN
    )
    contact_phone: Mapped[str | None] = mapped_column(sa.String(40))
    contact_phone_visibility: Mapped[Visibility] = mapped_column(
        enum_column(Visibility, "contact_phone_visibility"), default=Visibility.HIDDEN
    )
    address: Mapped[str | None] = mapped_column(sa.String(300))
    address_visibility: Mapped[Visibility] = mapped_column(
        enum_column(Visibility, "address_visibility"), default=Visibility.HIDDEN
    )
    contact_person: Mapped[str | None] = mapped_column(sa.String(120))
    contact_person_visibility: Mapped[Visibility] = mapped_column(
        enum_column(Visibility, "contact_person_visibility"), default=Visibility.HIDDEN
    )
    facebook: Mapped[str | None] = mapped_column(sa.String(300))
    facebook_visibility: Mapped[Visibility] = mapped_column(
        enum_column(Visibility, "facebook_visibility"), default=Visibility.HIDDEN, server_default="hidden"
    )
    telegram: Mapped[str | None] = mapped_column(sa.String(40))
    telegram_visibility: Mapped[Visibility] = mapped_column(
        enum_column(Visibility, "telegram_visibility"), default=Visibility.HIDDEN, server_default="hidden"
    )
    whatsapp: Mapped[str | None] = mapped_column(sa.String(40))
    whatsapp_visibility: Mapped[Visibility] = mapped_column(
        enum_column(Visibility, "whatsapp_visibility"), default=Visibility.HIDDEN, server_default="hidden"
    )
    org_identifier: Mapped[str | None] = mapped_column(sa.String(80))
    org_identifier_visibility: Mapped[Visibility] = mapped_column(
        enum_column(Visibility, "org_identifier_visibility"),
        default=Visibility.HIDDEN,
        server_default="hidden",
    )
    # The organization chose to publish a Murmurations profile (public fields only) at
    # /open-data/murmurations/<slug>.json, for solidarity-economy maps to index.
    publishes_murmurations: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    # What search indexes: the row's text in every language, folded and stemmed in Python
    # (app.search_engine.engine keeps it current on every flush). Never loaded with the row.
    search_title: Mapped[str | None] = mapped_column(sa.Text, deferred=True)
    search_body: Mapped[str | None] = mapped_column(sa.Text, deferred=True)
    # Out of public view (app/services/visibility.py): gone dark by its owners' choice, delisted
    # by a moderator in an emergency, or waiting out the grace period of its deletion (erased
    # once it is over, app/services/leaving.py). Each is independent of the status.
    dark_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deletion_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Every member must log in with a second factor (set by the organization's owner).
    require_two_factor: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    # Kept by the pledge services in the same transaction as the pledge itself.
    public_pledge_count: Mapped[int] = mapped_column(default=0, server_default="0")

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    users: Mapped[list[User]] = relationship(back_populates="organization")
    pledges: Mapped[list[Pledge]] = relationship(back_populates="organization", passive_deletes=True)
    projects: Mapped[list[Project]] = relationship(back_populates="organization", passive_deletes=True)
    translations: Mapped[list[OrganizationTranslation]] = relationship(
        order_by="OrganizationTranslation.locale", viewonly=True
    )

    __table_args__ = (
        sa.CheckConstraint(
            "founded_year IS NULL OR (founded_year >= 1800 AND founded_year <= 2100)",
            name="founded_year_range",
        ),
        sa.CheckConstraint("length(country) = 2", name="country_code"),
        sa.CheckConstraint("public_pledge_count >= 0", name="public_pledge_count_positive"),
        # The directory lists approved organizations newest first, filtered by kind or country.
        sa.Index("ix_organizations_status_approved_at", "status", "approved_at", "id"),
        sa.Index("ix_organizations_status_kind", "status", "kind"),
        sa.Index("ix_organizations_status_country", "status", "country"),
        sa.Index("ix_organizations_status_submitted_at", "status", "submitted_at"),
        sa.Index("ix_organizations_status_name", "status", "name"),
        sa.Index("ix_organizations_name_skeleton", "name_skeleton"),
        # The directory in each language's alphabetical order.
        sa.Index("ix_organizations_status_sort_key_ar", "status", "sort_key_ar", "id"),
        sa.Index("ix_organizations_status_sort_key_ckb", "status", "sort_key_ckb", "id"),
        sa.Index("ix_organizations_status_sort_key_en", "status", "sort_key_en", "id"),
        sa.Index("ix_organizations_status_sort_key_fr", "status", "sort_key_fr", "id"),
    )

    @validates("name")
    def _keep_skeleton(self, key: str, name: str) -> str:
        self.name_skeleton = name_skeleton(name)
        return name

    def name_in(self, locale: str | None) -> str:
        """The name readers of ``locale`` are shown: the one given in that language, else the main one."""
        return name_in(self.name, self.translated_names, locale)

    @property
    def is_approved(self) -> bool:
        return self.status == OrganizationStatus.APPROVED

    @property
    def is_iraqi(self) -> bool:
        return self.country == IRAQ

    def visible_contacts(self, *, viewer_is_member: bool) -> dict[str, str]:
        """The contact details a viewer may see, keyed by field name.

        ``viewer_is_member`` is true for logged-in users of approved organizations
        and for moderators; hidden details are never returned.
        """
        allowed = {Visibility.PUBLIC}
        if viewer_is_member:
            allowed.add(Visibility.MEMBERS)
        shown = {}
        for field in CONTACT_FIELDS:
            value = getattr(self, field)
            if value and getattr(self, f"{field}_visibility") in allowed:
                shown[field] = value
        return shown

    def __repr__(self) -> str:
        return f"<Organization {self.slug} {self.status}>"


class OrganizationTranslation(db.Model):
    """An organization's name and description in one more language of its choosing.

    The name is a name like the main one (app/names.py): its skeleton is stored and compared
    with every other organization's names. An approved organization's new name in a language
    waits in ``proposed_name`` until a moderator approves it, as a rename does.
    """

    __tablename__ = "organization_translations"

    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    locale: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    name: Mapped[str | None] = mapped_column(sa.String(200))
    name_skeleton: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    proposed_name: Mapped[str | None] = mapped_column(sa.String(200))
    proposed_name_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (sa.Index("ix_organization_translations_name_skeleton", "name_skeleton"),)

    @validates("name")
    def _keep_skeleton(self, key: str, name: str | None) -> str | None:
        self.name_skeleton = name_skeleton(name) if name else ""
        return name


def name_in(name: str, translated_names: dict[str, str] | None, locale: str | None) -> str:
    """The name of an organization (read as plain columns) that readers of ``locale`` are shown:
    the one given in that language, else the main one (``Organization.name_in``)."""
    return (translated_names or {}).get(locale or "") or name
