"""Where a member is logged in: one row per login, which the session cookie points at."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class LoginSession(db.Model):
    """One login: the browser's session and, when asked for, its remember-me cookie.

    Both cookies carry this row's id (app.security.login_token); the user loader refuses them
    once ``ended_at`` is set, so ending the row ends that login wherever its cookies are.
    What it keeps of the browser is coarse on purpose (docs/security.md): the browser and
    system families, the country when a local GeoIP database says it, the address cut to its
    network, and a hash of the device cookie. Rows are purged 180 days after their last use.
    """

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Moved forward at most every few minutes (security.touch_login_session), not per request.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    remember: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # How the user proved who they are ("password", "invitation", ...).
    method: Mapped[str] = mapped_column(sa.String(20), default="password", server_default="password")
    browser: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    system: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    country: Mapped[str | None] = mapped_column(sa.String(2))
    network: Mapped[str | None] = mapped_column(sa.String(50))
    # SHA-256 of the user's id and the browser's device cookie: tells a browser seen before
    # from a new one, and cannot link two accounts used in the same browser.
    device_hash: Mapped[str | None] = mapped_column(sa.String(64))

    __table_args__ = (
        sa.Index("ix_login_sessions_user_created", "user_id", "created_at"),
        sa.Index("ix_login_sessions_last_seen_at", "last_seen_at"),
    )

    def __repr__(self) -> str:
        return f"<LoginSession {self.id} of user {self.user_id}>"
