"""Authentication state that must outlive one process: sign-in sessions and login throttles.

Sessions make logout real (SonicJS only clears the cookie): every access token names its
session, and a revoked session's tokens stop working at once on every app server. Throttle
counters live in the database so that several workers share them.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from sonic_cms.db.schema.base import Base, pk, references
from sonic_cms.db.types import EpochMs


class AuthSession(Base):
    """A sign-in: the refresh token's keyed digest and whether the session was revoked."""

    __tablename__ = "auth_sessions"

    id: Mapped[str] = pk()
    user_id: Mapped[str] = references("users.id", cascade=True)
    refresh_token_hash: Mapped[str] = mapped_column(Text, unique=True)
    #: The digest the last refresh replaced: presenting it again means the token was copied.
    previous_refresh_hash: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[int] = mapped_column(EpochMs)
    expires_at: Mapped[int] = mapped_column(EpochMs)
    last_used_at: Mapped[int | None] = mapped_column(EpochMs)
    revoked_at: Mapped[int | None] = mapped_column(EpochMs)
    user_agent: Mapped[str | None] = mapped_column(Text)
    ip_address: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("idx_auth_sessions_user", "user_id"),
        Index("idx_auth_sessions_previous", "previous_refresh_hash"),
    )


class AuthThrottle(Base):
    """Failed attempts for one key (``account:<email>`` or ``ip:<address>``) in a window."""

    __tablename__ = "auth_throttle"

    key: Mapped[str] = mapped_column(Text, primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    window_started_at: Mapped[int] = mapped_column(EpochMs)
    locked_until: Mapped[int | None] = mapped_column(EpochMs)


class AuthTotpStep(Base):
    """The last TOTP time step a user signed in with: a code is good once, not for 90 seconds."""

    __tablename__ = "auth_totp_steps"

    user_id: Mapped[str] = mapped_column(
        Text, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    last_step: Mapped[int] = mapped_column(EpochMs)
