"""Permission and access-control tables: permissions, role_permissions, api_tokens."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Index, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sonic_cms.db.schema.base import Base, pk, references
from sonic_cms.db.types import EpochMs, JSONText


class Permission(Base):
    """A named capability such as ``content.publish``."""

    __tablename__ = "permissions"

    id: Mapped[str] = pk()
    name: Mapped[str] = mapped_column(Text, unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text)
    created_at: Mapped[int] = mapped_column(EpochMs)


class RolePermission(Base):
    """A permission granted to a role."""

    __tablename__ = "role_permissions"

    id: Mapped[str] = pk()
    role: Mapped[str] = mapped_column(Text)
    permission_id: Mapped[str] = references("permissions.id")
    created_at: Mapped[int] = mapped_column(EpochMs)

    __table_args__ = (UniqueConstraint("role", "permission_id"),)


class ApiToken(Base):
    """A token for programmatic access.

    ``token`` holds a keyed digest of the secret, never the secret itself (the seed stores it
    in plaintext; a leaked database must not hand out working tokens).
    """

    __tablename__ = "api_tokens"

    id: Mapped[str] = pk()
    name: Mapped[str] = mapped_column(Text)
    token: Mapped[str] = mapped_column(Text, unique=True)
    user_id: Mapped[str] = references("users.id")
    permissions: Mapped[Any] = mapped_column(JSONText())
    expires_at: Mapped[int | None] = mapped_column(EpochMs)
    last_used_at: Mapped[int | None] = mapped_column(EpochMs)
    created_at: Mapped[int] = mapped_column(EpochMs)

    __table_args__ = (
        Index("idx_api_tokens_user", "user_id"),
        Index("idx_api_tokens_token", "token"),
    )
