"""Who is acting: the principal every service call receives and checks permissions against.

An actor is a signed-in user, an API token (its own permission set, never more than its
owner's), the system (CLI, scheduler, migrations), or nobody (anonymous reads).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sonic_cms.errors import Forbidden, Unauthorized

ActorKind = Literal["user", "token", "system", "anonymous"]


@dataclass(frozen=True)
class Actor:
    """A principal and the permissions it holds."""

    kind: ActorKind
    user_id: str | None = None
    role: str | None = None
    permissions: frozenset[str] = field(default_factory=frozenset)
    token_id: str | None = None
    session_id: str | None = None

    @property
    def is_system(self) -> bool:
        """The system may do anything; it is never an HTTP caller."""
        return self.kind == "system"

    @property
    def is_authenticated(self) -> bool:
        """Whether some identity stands behind the call."""
        return self.kind != "anonymous"

    def can(self, permission: str) -> bool:
        """Whether the actor holds ``permission``."""
        return self.is_system or permission in self.permissions

    def require(self, permission: str) -> None:
        """Raise unless the actor holds ``permission`` (401 for anonymous, 403 otherwise)."""
        if self.can(permission):
            return
        if not self.is_authenticated:
            raise Unauthorized("Authentication required")
        raise Forbidden(f"Missing permission: {permission}", code="missing_permission")


SYSTEM = Actor(kind="system")
ANONYMOUS = Actor(kind="anonymous", permissions=frozenset({"content.read", "collections.read"}))
