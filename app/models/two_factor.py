"""The second factors of a login: passkeys / security keys (WebAuthn) and recovery codes.

The authenticator-app secret (TOTP) is a column of the user (``users.totp_secret``), encrypted.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.user import User


class WebAuthnCredential(db.Model):
    """A passkey or security key registered by a user (the public half only)."""

    __tablename__ = "webauthn_credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The authenticator's id for the credential; unique across the site, so that a passwordless
    # login finds its user from it alone.
    credential_id: Mapped[bytes] = mapped_column(sa.LargeBinary(1024), unique=True)
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary)  # COSE, as the authenticator gave it
    sign_count: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    transports: Mapped[str] = mapped_column(sa.String(100), default="")  # space-separated
    name: Mapped[str] = mapped_column(sa.String(100))  # the user's own label ("phone", "blue key")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="passkeys")

    __table_args__ = (sa.CheckConstraint("sign_count >= 0", name="sign_count_positive"),)

    def __repr__(self) -> str:
        return f"<WebAuthnCredential {self.id} of user {self.user_id}>"


class RecoveryCode(db.Model):
    """One single-use recovery code, stored as an Argon2 hash like a password."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="recovery_codes")

    def __repr__(self) -> str:
        return f"<RecoveryCode {self.id} of user {self.user_id}>"
