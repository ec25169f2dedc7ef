"""Managing users: admin listing and edits, self-service profile, roles and passwords.

Two rules no route can forget: the last active admin can never be demoted, deactivated or
deleted (409), and nobody changes their own role, status or token fields. A profile update that
names a protected field is refused (403), not silently trimmed, so clients learn of the mistake.
"""

from __future__ import annotations

import functools
from typing import Any
from zoneinfo import available_timezones

from pydantic import ConfigDict, EmailStr, Field, ValidationError, field_validator
from sqlalchemy import Connection, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from sonic_cms.auth import throttling
from sonic_cms.auth.passwords import password_columns, verify_password
from sonic_cms.auth.roles import role_permissions
from sonic_cms.auth.sessions import revoke_all_sessions
from sonic_cms.auth.users import (
    NAME_FIELDS,
    check_password_policy,
    create_user,
    public_user,
    validation_details,
)
from sonic_cms.context import Context
from sonic_cms.db.records import ROLE_PATTERN, ROLES
from sonic_cms.db.schema import ApiToken, SystemLog, User
from sonic_cms.errors import (
    Conflict,
    Forbidden,
    NotFound,
    Unauthorized,
    ValidationFailed,
)
from sonic_cms.inputs.bodies import KnownFields
from sonic_cms.inputs.text import control_problems

PROFILE_FIELDS = frozenset(
    {
        "first_name",
        "last_name",
        "avatar",
        "avatar_url",
        "phone",
        "bio",
        "timezone",
        "language",
        "theme",
        "email_notifications",
    }
)
ADMIN_FIELDS = PROFILE_FIELDS | {"email", "username", "role", "is_active", "email_verified"}
#: Never writable through a profile update, whoever asks.
PROTECTED_FIELDS = frozenset(
    {
        "id",
        "role",
        "is_active",
        "email",
        "username",
        "password",
        "password_hash",
        "email_verified",
        "two_factor_enabled",
        "two_factor_secret",
        "password_reset_token",
        "password_reset_expires",
        "email_verification_token",
        "invitation_token",
        "invited_by",
        "invited_at",
        "accepted_invitation_at",
        "last_login_at",
        "created_at",
        "updated_at",
    }
)
_USER_COLUMNS = tuple(User.__table__.columns)


@functools.cache
def _timezones() -> frozenset[str]:
    """The IANA zone names (read from disk once: the lookup walks the tz database)."""
    return frozenset(available_timezones())


class UserChanges(KnownFields):
    """Every field an update may carry, with its type and bounds (strict: no coercion).

    The names arrive as SonicJS's ``firstName``/``lastName`` or as ``first_name``/``last_name``.
    """

    model_config = KnownFields.model_config | ConfigDict(strict=True, str_strip_whitespace=True)

    first_name: str | None = Field(None, min_length=1, max_length=100, alias="firstName")
    last_name: str | None = Field(None, min_length=1, max_length=100, alias="lastName")
    avatar: str | None = Field(None, max_length=2048)
    avatar_url: str | None = Field(None, max_length=2048, pattern=r"^https?://\S+$")
    phone: str | None = Field(None, max_length=40, pattern=r"^[0-9+() .-]*$")
    bio: str | None = Field(None, max_length=2000)
    timezone: str | None = Field(None, max_length=64)
    language: str | None = Field(
        None, max_length=16, pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$"
    )
    theme: str | None = Field(None, pattern="^(light|dark|auto)$")
    email_notifications: bool | None = None
    email: EmailStr | None = None
    username: str | None = Field(None, min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    role: str | None = Field(None, pattern=ROLE_PATTERN)
    is_active: bool | None = None
    email_verified: bool | None = None

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str | None) -> str | None:
        if value is not None and value not in _timezones():
            raise ValueError("unknown time zone")
        return value


def _load(conn: Connection, user_id: str, *, lock: bool = False) -> Any:
    query = select(*_USER_COLUMNS).where(User.id == user_id)
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise NotFound("User not found", code="user_not_found")
    return row


def get_user(ctx: Context, user_id: str) -> dict[str, Any]:
    """One user: oneself always, others with ``users.read``."""
    actor = ctx.actor
    if actor.user_id != user_id:
        actor.require("users.read")
    elif not actor.is_authenticated:
        raise Unauthorized("Authentication required")
    with ctx.db.read() as conn:
        return public_user(_load(conn, user_id))


def list_users(
    ctx: Context,
    *,
    page: int = 1,
    limit: int = 20,
    role: str | None = None,
    active: bool | None = None,
    search: str | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """A page of users, filtered by role, status and a name/email search; and the total."""
    ctx.actor.require("users.read")
    conditions = []
    if role is not None:
        conditions.append(User.role == role)
    if active is not None:
        conditions.append(User.is_active == active)
    if search:
        pattern = (
            "%" + search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        conditions.append(
            or_(
                *(
                    func.lower(col).like(pattern, escape="\\")
                    for col in (User.email, User.username, User.first_name, User.last_name)
                )
            )
        )
    with ctx.db.read() as conn:
        total = conn.execute(select(func.count()).select_from(User).where(*conditions)).scalar_one()
        rows = conn.execute(
            select(*_USER_COLUMNS)
            .where(*conditions)
            .order_by(User.created_at.desc(), User.id)
            .limit(limit)
            .offset((page - 1) * limit)
        ).all()
    return [public_user(r) for r in rows], int(total)


def _parse_changes(changes: dict[str, Any]) -> dict[str, Any]:
    try:
        model = UserChanges.model_validate(changes)
    except ValidationError as exc:
        raise ValidationFailed("Validation failed", details=validation_details(exc)) from exc
    values = {name: getattr(model, name) for name in model.model_fields_set}
    if "email" in values and values["email"] is not None:
        values["email"] = str(values["email"]).lower()
    required = {"first_name", "last_name", "email", "username", "role", "is_active"}
    nulls = sorted(k for k in required & values.keys() if values[k] is None)
    problems = [{"path": k, "message": "may not be null"} for k in nulls]
    problems += control_problems(values, *NAME_FIELDS)
    if problems:
        raise ValidationFailed("Validation failed", details=problems)
    return values


def check_role_assignable(ctx: Context, role: str) -> None:
    """Nobody hands out a role with permissions they do not hold themselves (403)."""
    if role not in ROLES:
        raise ValidationFailed(
            "Validation failed", details=[{"path": "role", "message": "unknown role"}]
        )
    if ctx.actor.is_system:
        return
    beyond = role_permissions(ctx, role) - ctx.actor.permissions
    if beyond:
        raise Forbidden(f"You cannot assign the role {role}", code="role_escalation")


def _lock_for_change(conn: Connection, user_id: str) -> tuple[Any, int]:
    """Lock the active admins (in id order) and then the target; (target, active admin count).

    Every change that could remove an admin takes the admin rows first and in one order, so two
    concurrent demotions queue up instead of deadlocking, and the second sees the first's result.
    """
    admins = conn.execute(
        select(User.id)
        .where(User.role == "admin", User.is_active == True)  # noqa: E712
        .order_by(User.id)
        .with_for_update()
    ).all()
    return _load(conn, user_id, lock=True), len(admins)


def _guard_last_admin(target: Any, active_admins: int, *, keeps_admin: bool) -> None:
    """409 when the change would leave no active admin."""
    if keeps_admin or target.role != "admin" or not target.is_active:
        return
    if active_admins <= 1:
        raise Conflict("Cannot remove the last active admin", code="last_admin")


def update_user(ctx: Context, user_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Admin edit of any user (``users.update``); own role and status stay off limits."""
    ctx.actor.require("users.update")
    values = _parse_changes(changes)
    if ctx.actor.user_id == user_id and {"role", "is_active"} & values.keys():
        raise Forbidden("You cannot change your own role or status", code="self_escalation")
    if "role" in values:
        check_role_assignable(ctx, values["role"])
    return _apply(ctx, user_id, values)


def update_profile(ctx: Context, changes: dict[str, Any]) -> dict[str, Any]:
    """A signed-in user edits their own profile fields; protected fields are refused (403)."""
    actor = ctx.actor
    if actor.kind != "user" or actor.user_id is None:
        raise Unauthorized("Sign in to edit your profile")
    protected = sorted(PROTECTED_FIELDS & changes.keys())
    if protected:
        raise Forbidden(
            "These fields cannot be changed through your profile",
            code="field_not_editable",
            details=[{"path": name, "message": "not editable"} for name in protected],
        )
    return _apply(ctx, actor.user_id, _parse_changes(changes))


def _apply(ctx: Context, user_id: str, values: dict[str, Any]) -> dict[str, Any]:
    now = ctx.clock.now_ms()
    with ctx.db.write() as conn:
        target, active_admins = _lock_for_change(conn, user_id)
        keeps_admin = values.get("role", target.role) == "admin" and values.get(
            "is_active", target.is_active
        )
        _guard_last_admin(target, active_admins, keeps_admin=bool(keeps_admin))
        _refuse_taken(conn, user_id, values)
        if values:
            conn.execute(update(User).where(User.id == user_id).values(**values, updated_at=now))
        if values.get("is_active") is False:
            revoke_all_sessions(conn, user_id, now_ms=now)
        return public_user(_load(conn, user_id))


def _refuse_taken(conn: Connection, user_id: str, values: dict[str, Any]) -> None:
    for field, column in (("email", func.lower(User.email)), ("username", User.username)):
        if field in values:
            clash = conn.execute(
                select(User.id).where(column == values[field], User.id != user_id)
            ).first()
            if clash is not None:
                raise Conflict(
                    f"A user with this {field} already exists", code=f"duplicate_{field}"
                )


def deactivate_user(ctx: Context, user_id: str) -> dict[str, Any]:
    """Switch a user off: their sessions and API tokens stop working at once."""
    return update_user(ctx, user_id, {"is_active": False})


def delete_user(ctx: Context, user_id: str) -> None:
    """Delete a user and their tokens and sessions; 409 while content or media still name them.

    System log rows keep their record of what happened but lose the link to the deleted user
    (``user_id`` set to NULL; the seed's foreign key has no ON DELETE): a user who ever made a
    logged request could otherwise never be deleted."""
    ctx.actor.require("users.delete")
    if ctx.actor.user_id == user_id:
        raise Forbidden("You cannot delete yourself", code="self_delete")
    try:
        with ctx.db.write() as conn:
            target, active_admins = _lock_for_change(conn, user_id)
            _guard_last_admin(target, active_admins, keeps_admin=False)
            conn.execute(update(User).where(User.invited_by == user_id).values(invited_by=None))
            conn.execute(delete(ApiToken).where(ApiToken.user_id == user_id))
            conn.execute(update(SystemLog).where(SystemLog.user_id == user_id).values(user_id=None))
            conn.execute(delete(User).where(User.id == user_id))
    except IntegrityError as exc:
        raise Conflict(
            "The user still owns content or media; deactivate them instead", code="user_in_use"
        ) from exc


def set_role(ctx: Context, user_id: str, role: str) -> dict[str, Any]:
    """Change a user's role (the CLI's ``sonic users set-role``)."""
    return update_user(ctx, user_id, {"role": role})


def set_password(ctx: Context, user_id: str, password: str) -> None:
    """Set a user's password (``users.update``) and sign them out everywhere."""
    ctx.actor.require("users.update")
    _store_password(ctx, user_id, password)


def change_password(
    ctx: Context,
    *,
    current: str,
    new: str,
    ip: str | None = None,
) -> None:
    """A user changes their own password; other sessions are revoked, this one stays.

    The current password is checked under the sign-in throttle (the account's and the
    address's counters), so a stolen session cannot guess it faster than a login could.
    """
    actor = ctx.actor
    if actor.kind != "user" or actor.user_id is None:
        raise Unauthorized("Sign in to change your password")
    check_current_password(ctx, actor.user_id, current, ip=ip)
    _store_password(ctx, actor.user_id, new, keep_session=actor.session_id)


def check_current_password(ctx: Context, user_id: str, current: str, *, ip: str | None) -> None:
    """403 ``wrong_password`` unless ``current`` is the user's password; checked under the
    sign-in throttle (the account's and the address's counters), so a stolen session cannot
    guess it faster than a login could."""
    limits = throttling.credential_limits(ctx.settings, throttling.account_key(user_id), ip)
    throttling.charge(ctx, limits)
    with ctx.db.read() as conn:
        stored = conn.execute(select(User.password_hash).where(User.id == user_id)).scalar()
    if not verify_password(stored, current):
        raise Forbidden("Current password is incorrect", code="wrong_password")
    with ctx.db.write() as conn:
        throttling.password_verified(conn, limits)


def _store_password(
    ctx: Context, user_id: str, password: str, *, keep_session: str | None = None
) -> None:
    now = ctx.clock.now_ms()
    with ctx.db.write() as conn:
        target = _load(conn, user_id, lock=True)
        check_password_policy(password, email=target.email, username=target.username)
        conn.execute(
            update(User).where(User.id == user_id).values(**password_columns(password, now))
        )
        revoke_all_sessions(conn, user_id, now_ms=now, except_session=keep_session)


def find_user_id(ctx: Context, email_or_username: str) -> str:
    """The id of the user with this email (case-insensitive) or username; for the CLI."""
    ctx.actor.require("users.read")
    key = email_or_username.strip()
    with ctx.db.read() as conn:
        found = conn.execute(
            select(User.id).where(or_(func.lower(User.email) == key.lower(), User.username == key))
        ).scalar()
    if found is None:  # the CLI prints this line: name what the operator typed
        raise NotFound(f"User {key!r} not found", code="user_not_found")
    return str(found)


def admin_create_user(
    ctx: Context,
    *,
    email: str,
    username: str,
    password: str | None,
    role: str,
    first_name: str,
    last_name: str,
) -> dict[str, Any]:
    """Create a user from the admin API or CLI; the role must be within the actor's rights."""
    ctx.actor.require("users.create")
    check_role_assignable(ctx, role)
    user = create_user(
        ctx,
        email=email,
        username=username,
        password=password,
        role=role,
        first_name=first_name,
        last_name=last_name,
    )
    with ctx.db.read() as conn:
        return public_user(_load(conn, user.id))
