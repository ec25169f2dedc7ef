"""Users: creation, lookup and the first admin.

Every function checks the principal its context acts for, so the CLI, the API and plugins
share one set of rules. Every new account fires ``auth:register`` (``context.extra["method"]`` says
how it came: ``registration``, ``admin`` for the admin API and the CLI, ``invitation``).
"""

from __future__ import annotations

import secrets
from functools import partial
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, func, insert, or_, select

from sonic_cms.auth.passwords import MAX_PASSWORD_LENGTH, hash_password
from sonic_cms.context import Context
from sonic_cms.db.records import UserInsert, UserSelect
from sonic_cms.db.schema import User
from sonic_cms.errors import Conflict, ValidationFailed
from sonic_cms.ids import new_id
from sonic_cms.inputs.text import control_problems
from sonic_cms.plugins import hookspecs
from sonic_cms.plugins.hooks import HookScope

MIN_PASSWORD_LENGTH = 8


def check_password_policy(password: str, *, email: str, username: str) -> None:
    """Refuse short, over-long, or guessable (equal to email/username) passwords."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(f"must be at most {MAX_PASSWORD_LENGTH} characters")
    if password.lower() in {email.lower(), username.lower()}:
        problems.append("must differ from the email and username")
    if problems:
        details = [{"path": "password", "message": p} for p in problems]
        raise ValidationFailed("Validation failed", details=details)


def create_user(
    ctx: Context,
    *,
    email: str,
    username: str,
    password: str | None,
    role: str = "viewer",
    first_name: str = "",
    last_name: str = "",
    method: str = "admin",
) -> UserSelect:
    """Create a user; 409 when the email (case-insensitively) or username is taken.

    ``method`` is how the account came (``auth:register``'s ``context.extra["method"]``).
    """
    ctx.actor.require("users.create")
    if password is not None:
        check_password_policy(password, email=email, username=username)
    now = ctx.clock.now_ms()
    record = _validated_record(
        {
            "id": new_id(),
            "email": email.strip().lower(),
            "username": username,
            "first_name": first_name or username,
            "last_name": last_name or "-",
            "password_hash": hash_password(password) if password is not None else None,
            "role": role,
            "created_at": now,
            "updated_at": now,
        }
    )
    with ctx.db.write() as conn:
        hooks = ctx.hook_scope(conn)
        record = filter_registration(hooks, record, method)
        if password is not None:
            check_password_policy(password, email=record.email, username=record.username)
        refuse_duplicates(conn, record.email, record.username)
        conn.execute(insert(User).values(**record.model_dump()))
        user = UserSelect.model_validate(record.model_dump())
        hooks.after_commit(hookspecs.AUTH_REGISTER, public_user(user.model_dump()), method=method)
        hooks.record(hookspecs.AUTH_REGISTER, partial(public_user, user.model_dump()))
    hooks.fire()
    return user


def public_user(row: Any) -> dict[str, Any]:
    """A user without any secret column: the one serializer every route uses (the ``User``
    representation of docs/api.md). The names carry SonicJS's ``firstName``/``lastName``
    keys, which its clients read; every other field keeps the seed's column name."""
    mapping = row._mapping if hasattr(row, "_mapping") else row
    user = UserSelect.model_validate(dict(mapping)).model_dump()
    names = {"firstName": user.pop("first_name"), "lastName": user.pop("last_name")}
    return {**{k: user[k] for k in ("id", "email", "username")}, **names, **user}


#: The fields of a new account an ``auth:register`` filter may change (never the role: roles
#: are granted by people with the right to, not by a filter).
REGISTRATION_FIELDS = ("email", "username", "first_name", "last_name")


#: The user fields people name themselves with: the control-character rule applies.
NAME_FIELDS = ("username", "first_name", "last_name")


def _validated_record(values: dict[str, object]) -> UserInsert:
    problems = control_problems(values, *NAME_FIELDS)
    if problems:
        raise ValidationFailed("Validation failed", details=problems)
    try:
        return UserInsert.model_validate(values)
    except ValidationError as exc:
        raise ValidationFailed("Validation failed", details=validation_details(exc)) from exc


def filter_registration(hooks: HookScope, record: UserInsert, method: str) -> UserInsert:
    """Run the ``auth:register`` filters on a new account (inside its transaction, before the
    insert); changed fields are validated again like a client's (422 with field paths).

    The payload is ``{"email", "username", "first_name", "last_name", "role"}``: no secret.
    """
    if not hooks.wants(hookspecs.AUTH_REGISTER):
        return record
    payload = {key: getattr(record, key) for key in (*REGISTRATION_FIELDS, "role")}
    result = hooks.filter_dict(hookspecs.AUTH_REGISTER, dict(payload), method=method)
    changes = {k: result[k] for k in REGISTRATION_FIELDS if k in result and result[k] != payload[k]}
    if not changes:
        return record
    if isinstance(changes.get("email"), str):
        changes["email"] = changes["email"].strip().lower()
    return _validated_record({**record.model_dump(), **changes})


def refuse_duplicates(conn: Connection, email: str, username: str) -> None:
    """409 when the email (case-insensitively) or the username is taken."""
    taken = conn.execute(
        select(User.email, User.username).where(
            (func.lower(User.email) == email) | (User.username == username)
        )
    ).first()
    if taken is None:
        return
    field = "email" if taken.email.lower() == email else "username"
    raise Conflict(f"A user with this {field} already exists", code=f"duplicate_{field}")


def find_user_id(ctx: Context, key: str | None) -> str | None:
    """The id of the user ``key`` names (an id, an email in any case, or a username), or with
    no key the oldest admin: whom a maintenance command acts as when told nobody else."""
    with ctx.db.read() as conn:
        query = select(User.id)
        if key:
            query = query.where(
                or_(User.id == key, User.email == key.lower(), User.username == key)
            )
        else:
            query = query.where(User.role == "admin").order_by(User.created_at)
        found = conn.execute(query.limit(1)).scalar()
    return None if found is None else str(found)


def count_active_admins(ctx: Context) -> int:
    """How many active admins exist."""
    with ctx.db.read() as conn:
        query = select(func.count()).where(User.role == "admin", User.is_active == True)  # noqa: E712
        return int(conn.execute(query.select_from(User)).scalar_one())


def ensure_admin(
    ctx: Context, *, email: str, password: str
) -> tuple[UserSelect | None, str | None]:
    """Create the first admin unless an active one exists.

    Returns the new user and, when no password was given, the generated one (shown once).
    """
    if count_active_admins(ctx) > 0:
        return None, None
    generated = None
    if not password:
        generated = password = secrets.token_urlsafe(18)
    user = create_user(
        ctx,
        email=email or "admin@example.com",
        username="admin",
        password=password,
        role="admin",
        first_name="Admin",
        last_name="User",
    )
    return user, generated


def validation_details(exc: ValidationError) -> list[dict[str, str]]:
    """Pydantic errors as the API's per-field details: ``{"path", "message"}``."""
    return [
        {"path": ".".join(str(p) for p in err["loc"]), "message": err["msg"]}
        for err in exc.errors()
    ]
