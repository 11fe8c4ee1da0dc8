"""People who log in: members of an organization, moderators and admins."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.enums import OrganizationStatus, Role, enum_column

if TYPE_CHECKING:
    from app.models.organization import Organization
    from app.models.two_factor import RecoveryCode, WebAuthnCredential


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)  # stored lower-cased
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role, "user_role"), default=Role.MEMBER)
    organization_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    # The user who registered the organization; only owners invite colleagues.
    is_owner: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # The language the user registered in or last chose, and the time zone they chose (None:
    # Iraq's): pages once logged in, and every mail to them (app.services.mail).
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    time_zone: Mapped[str | None] = mapped_column(sa.String(64))

    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Bumped on logout, password change and suspension: every session that carries an
    # older number is refused, so a copied cookie stops working.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")

    # Updates on what the user follows since they last marked their notifications as read: the
    # header's count, kept here so that no page pays a query for it (app/services/notifications.py).
    unread_notifications: Mapped[int] = mapped_column(default=0, server_default="0")
    # What the user chose per kind of notification ({"application": "daily"}); a kind not in it
    # takes its default (app/services/notifications.py).
    notification_choices: Mapped[dict[str, str] | None] = mapped_column(sa.JSON)

    # Failed-login throttling, held in the database so it holds across workers.
    failed_login_count: Mapped[int] = mapped_column(default=0, server_default="0")
    failed_login_window_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_login_hour_count: Mapped[int] = mapped_column(default=0, server_default="0")
    failed_login_hour_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Two-factor login (app.services.two_factor). ``two_factor_enabled_at`` is set while the user
    # has at least one second factor, so that access checks need no query.
    two_factor_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_secret: Mapped[str | None] = mapped_column(sa.String(255))  # encrypted with the site's key
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last authenticator-app time step accepted: a code is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    # The random WebAuthn user handle (never the id or email), given on the first passkey.
    webauthn_user_handle: Mapped[bytes | None] = mapped_column(sa.LargeBinary(64), unique=True, index=True)

    organization: Mapped[Organization | None] = relationship(back_populates="users")
    passkeys: Mapped[list[WebAuthnCredential]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    recovery_codes: Mapped[list[RecoveryCode]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        # Members belong to an organization; moderators and admins act for the network.
        sa.CheckConstraint("role <> 'member' OR organization_id IS NOT NULL", name="member_has_organization"),
    )

    def get_id(self) -> str:
        # Flask-Login stores this in the session; the version makes old sessions invalid.
        return f"{self.id}:{self.session_version}"

    @property
    def is_moderator(self) -> bool:
        return self.role in (Role.MODERATOR, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def has_two_factor(self) -> bool:
        return self.two_factor_enabled_at is not None

    @property
    def is_approved_member(self) -> bool:
        """True when the user may act in the network's name for an approved organization."""
        return self.organization is not None and self.organization.status == OrganizationStatus.APPROVED

    @property
    def sees_members_only(self) -> bool:
        """Members-only contact details and pledges are shown to approved members and moderators."""
        return self.is_moderator or self.is_approved_member

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"
