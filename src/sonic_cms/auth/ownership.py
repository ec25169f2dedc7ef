"""The own-versus-any rule: ``content.update`` edits anything, ``content.update_own`` one's own.

Authors hold only the ``*_own`` permissions, so an author editing another author's item gets 403;
editors and admins hold the unrestricted ones. Services that write owned rows call this.
"""

from __future__ import annotations

from sonic_cms.actors import Actor
from sonic_cms.errors import Forbidden, Unauthorized


def holds_own_or_any(actor: Actor, any_permission: str, owner_id: str | None) -> bool:
    """Whether the actor holds ``any_permission``, or ``<any_permission>_own`` and owns the row."""
    if actor.can(any_permission):
        return True
    own = f"{any_permission}_own"
    return actor.can(own) and owner_id is not None and actor.user_id == owner_id


def require_own_or_any(actor: Actor, any_permission: str, owner_id: str | None) -> None:
    """Allow with ``any_permission``, or with ``<any_permission>_own`` when the actor owns it."""
    if holds_own_or_any(actor, any_permission, owner_id):
        return
    if not actor.is_authenticated:
        raise Unauthorized("Authentication required")
    raise Forbidden(f"Missing permission: {any_permission}", code="missing_permission")


def require_some_form(actor: Actor, any_permission: str) -> None:
    """Raise 403 unless the actor holds ``any_permission`` or its ``_own`` form: a request
    about many rows is refused at once when the caller could change none of them."""
    if actor.can(any_permission) or actor.can(f"{any_permission}_own"):
        return
    raise Forbidden(f"Missing permission: {any_permission}", code="missing_permission")
