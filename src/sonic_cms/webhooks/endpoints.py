"""Registering webhook endpoints: the URL (checked by the SSRF rule), the events wanted, an
optional collection filter, the secret (shown once) and the active flag.

Every function checks ``settings.update`` itself (the administrators' permission, as for the
cache and the database pages), so the API, the admin pages and the CLI answer alike. The secret
is never part of an endpoint's representation: it is returned by :func:`create_endpoint` once.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

import httpx
from sqlalchemy import Connection, Row, delete, func, insert, select, update

from sonic_cms.actors import Actor
from sonic_cms.config import Settings
from sonic_cms.content.collections import find_collection
from sonic_cms.context import Context
from sonic_cms.errors import Conflict, NotFound, ValidationFailed
from sonic_cms.ids import new_id
from sonic_cms.inputs.addresses import address_allowed, refused, resolve_public_now
from sonic_cms.inputs.text import has_control
from sonic_cms.logs.audit import log_in_transaction
from sonic_cms.webhooks import signing
from sonic_cms.webhooks.events import EVENTS
from sonic_cms.webhooks.outbox import ENDPOINTS

PERMISSION = "settings.update"
#: The fields a client may set; ``secret`` is write-only.
FIELDS = ("url", "events", "collections", "description", "secret", "is_active")
MAX_DESCRIPTION = 500
MAX_COLLECTIONS = 100
_REFUSED = "The URL points to an address webhooks may not reach"


def endpoint(row: Row[Any] | Mapping[str, Any]) -> dict[str, Any]:
    """An endpoint as every route shows it: never its secret."""
    m = row._mapping if isinstance(row, Row) else row
    return {
        "id": m["id"],
        "url": m["url"],
        "description": m["description"],
        "events": list(m["events"] or ()),
        "collections": list(m["collections"] or ()),
        "is_active": bool(m["is_active"]),
        "consecutive_failures": m["consecutive_failures"],
        "disabled_reason": m["disabled_reason"],
        "created_by": m["created_by"],
        "created_at": m["created_at"],
        "updated_at": m["updated_at"],
    }


def list_endpoints(ctx: Context) -> list[dict[str, Any]]:
    """Every endpoint, oldest first."""
    ctx.actor.require(PERMISSION)
    with ctx.db.read() as conn:
        rows = conn.execute(select(ENDPOINTS).order_by(ENDPOINTS.c.created_at, ENDPOINTS.c.id))
        return [endpoint(row) for row in rows]


def get_endpoint(ctx: Context, endpoint_id: str) -> dict[str, Any]:
    """One endpoint (404 ``webhook_not_found``)."""
    ctx.actor.require(PERMISSION)
    with ctx.db.read() as conn:
        return endpoint(load_endpoint(conn, endpoint_id))


def load_endpoint(conn: Connection, endpoint_id: str) -> Row[Any]:
    """The endpoint row, or 404 ``webhook_not_found``."""
    row = conn.execute(select(ENDPOINTS).where(ENDPOINTS.c.id == endpoint_id)).first()
    if row is None:
        raise NotFound("Webhook endpoint not found", code="webhook_not_found")
    return row


def create_endpoint(ctx: Context, body: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """Register an endpoint; returns it and its secret (generated unless given), the only time
    the secret is ever returned.

    Raises:
        ValidationFailed: 422, a field is missing, unknown or invalid.
        BadRequest: 400 ``url_not_allowed`` / ``url_unresolvable`` (the SSRF rule).
        Conflict: 409 ``too_many_webhooks`` beyond SONIC_WEBHOOKS_MAX_ENDPOINTS.
    """
    ctx.actor.require(PERMISSION)
    missing = [{"path": f, "message": "required"} for f in ("url", "events") if f not in body]
    if missing:
        raise ValidationFailed("Validation failed", details=missing)
    secret = signing.new_secret() if body.get("secret") is None else body["secret"]
    defaults = {"description": "", "is_active": True}
    values = _checked(ctx.settings, {**defaults, **body, "secret": secret})
    now = ctx.clock.now_ms()
    with ctx.db.write() as conn:
        values["collections"] = _collection_ids(conn, values.get("collections", []))
        count = conn.execute(select(func.count()).select_from(ENDPOINTS)).scalar_one()
        if count >= ctx.settings.webhooks_max_endpoints:
            limit = ctx.settings.webhooks_max_endpoints
            raise Conflict(f"At most {limit} webhook endpoints", code="too_many_webhooks")
        row = {
            "id": new_id(),
            **values,
            "secret": signing.seal(ctx.settings, secret),
            "consecutive_failures": 0,
            "disabled_reason": None,
            "created_by": ctx.actor.user_id,
            "created_at": now,
            "updated_at": now,
        }
        conn.execute(insert(ENDPOINTS).values(**row))
        _audit(conn, now, ctx.actor, f"Webhook endpoint added: {row['url']}", row["id"])
    return endpoint(row), secret


def update_endpoint(ctx: Context, endpoint_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """Change an endpoint's fields. Turning ``is_active`` on again clears its failure count
    (an endpoint the worker disabled starts afresh). A new ``secret`` is stored, never shown.

    Raises:
        NotFound: 404 ``webhook_not_found``.
        ValidationFailed: 422; BadRequest: 400 (the SSRF rule), as for create.
    """
    ctx.actor.require(PERMISSION)
    values = _checked(ctx.settings, body)
    now = ctx.clock.now_ms()
    with ctx.db.write() as conn:
        load_endpoint(conn, endpoint_id)
        if "collections" in values:
            values["collections"] = _collection_ids(conn, values["collections"])
        if "secret" in values:
            values["secret"] = signing.seal(ctx.settings, values["secret"])
        if values.get("is_active") is True:
            values.update(consecutive_failures=0, disabled_reason=None)
        statement = update(ENDPOINTS).where(ENDPOINTS.c.id == endpoint_id)
        conn.execute(statement.values(**values, updated_at=now))
        row = load_endpoint(conn, endpoint_id)
        _audit(conn, now, ctx.actor, f"Webhook endpoint changed: {row.url}", endpoint_id)
    return endpoint(row)


def delete_endpoint(ctx: Context, endpoint_id: str) -> None:
    """Remove an endpoint with its pending and past deliveries (404 ``webhook_not_found``)."""
    ctx.actor.require(PERMISSION)
    now = ctx.clock.now_ms()
    with ctx.db.write() as conn:
        row = load_endpoint(conn, endpoint_id)
        conn.execute(delete(ENDPOINTS).where(ENDPOINTS.c.id == endpoint_id))
        _audit(conn, now, ctx.actor, f"Webhook endpoint removed: {row.url}", endpoint_id)


def _audit(conn: Connection, now: int, actor: Actor, message: str, endpoint_id: str) -> None:
    data = {"webhook_id": endpoint_id}
    log_in_transaction(
        conn, now, category="system", message=message, user_id=actor.user_id, data=data
    )


def _checked(settings: Settings, body: Mapping[str, Any]) -> dict[str, Any]:
    """The body's fields, each validated (422 listing every bad field; 400 for the SSRF rule,
    checked last so a malformed body is told about every field first)."""
    problems = [
        {"path": name[:60], "message": "unknown field; allowed: " + ", ".join(sorted(FIELDS))}
        for name in body
        if name not in FIELDS
    ]
    values: dict[str, Any] = {}
    for name, check in _CHECKS.items():
        if name in body:
            try:
                values[name] = check(settings, body[name])
            except ValueError as exc:
                problems.append({"path": name, "message": str(exc)})
            except ValidationFailed as exc:
                problems.extend(exc.details or [])
    if problems:
        raise ValidationFailed("Validation failed", details=problems)
    if "url" in values:
        check_reachable(settings, values["url"])
    return values


def checked_url(settings: Settings, value: Any) -> str:
    """An absolute http(s) URL without credentials, at most SONIC_WEBHOOKS_MAX_URL_CHARS."""
    limit = settings.webhooks_max_url_chars
    if not isinstance(value, str) or not value or len(value) > limit:
        raise ValueError(f"an http(s) URL of at most {limit} characters")
    if has_control(value) or any(c.isspace() for c in value):
        raise ValueError("may not contain spaces or control characters")
    try:
        url = httpx.URL(value)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise ValueError("not a valid URL") from exc
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError("an absolute http:// or https:// URL")
    if url.userinfo:
        raise ValueError("may not hold credentials (user:password@)")
    return value


def check_reachable(settings: Settings, value: str) -> None:
    """The SSRF rule at registration: the host, or every address its name resolves to now,
    must be public (loopback only with SONIC_WEBHOOKS_ALLOW_LOOPBACK). Delivery checks again.

    Raises:
        BadRequest: 400 ``url_not_allowed`` or ``url_unresolvable``.
    """
    url = httpx.URL(value)
    loopback = settings.webhooks_allow_loopback
    try:
        literal = ipaddress.ip_address(url.host)
    except ValueError:
        port = url.port or (443 if url.scheme == "https" else 80)
        resolve_public_now(url.host, port, loopback, _REFUSED)
        return
    if not address_allowed(literal, loopback):
        raise refused(_REFUSED)


def _checked_events(_settings: Settings, value: Any) -> list[str]:
    allowed = ", ".join(EVENTS)
    if not isinstance(value, list) or not value or len(value) > len(EVENTS):
        raise ValueError(f"a non-empty list of events out of: {allowed}")
    unknown = [str(v)[:60] for v in value if v not in EVENTS]
    if unknown:
        raise ValueError(f"unknown event(s) {', '.join(unknown)}; allowed: {allowed}")
    return list(dict.fromkeys(value))


def _checked_collections(_settings: Settings, value: Any) -> list[str]:
    if not isinstance(value, list) or len(value) > MAX_COLLECTIONS:
        raise ValueError(f"a list of at most {MAX_COLLECTIONS} collection names or ids")
    if not all(isinstance(v, str) and 0 < len(v) <= 200 and not has_control(v) for v in value):
        raise ValueError("collection names or ids are non-empty strings")
    return list(dict.fromkeys(value))


def _checked_description(_settings: Settings, value: Any) -> str:
    if not isinstance(value, str) or len(value) > MAX_DESCRIPTION or has_control(value):
        raise ValueError(f"text of at most {MAX_DESCRIPTION} characters, no control characters")
    return value.strip()


def _checked_flag(_settings: Settings, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("true or false")
    return value


def _checked_secret(_settings: Settings, value: Any) -> str:
    return signing.checked_secret(value)


_CHECKS = {
    "url": checked_url,
    "events": _checked_events,
    "collections": _checked_collections,
    "description": _checked_description,
    "secret": _checked_secret,
    "is_active": _checked_flag,
}


def _collection_ids(conn: Connection, keys: Iterable[str]) -> list[str]:
    """The ids of the named collections (by name or id); 422 naming those that do not exist."""
    ids, unknown = [], []
    for key in keys:
        row = find_collection(conn, key)
        if row is None:
            unknown.append(key[:60])
        else:
            ids.append(row.id)
    if unknown:
        message = f"unknown collection(s): {', '.join(unknown)}"
        raise ValidationFailed(
            "Validation failed", details=[{"path": "collections", "message": message}]
        )
    return list(dict.fromkeys(ids))
