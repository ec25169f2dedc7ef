"""The reads issue 17 benchmarks, in SonicJS's URL syntax, and the credentials they are made with.

The URLs are the side-by-side benchmark's (../shared/bench/sonicjs/README.md): a list of 20, the
same newest first (``sort`` as SonicJS's JSON), a list filtered by a data field, an item by id
and an item by slug through SonicJS's ``where``. Item reads cycle through a fixed sample of
published items so they read many rows, not one.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, replace
from urllib.parse import quote

import httpx
import orjson
from sqlalchemy import select

from bench.content_seed import COLLECTION, bench_context, bench_settings, seed
from sonic_cms.actors import SYSTEM
from sonic_cms.auth.api_tokens import create_token
from sonic_cms.auth.users import create_user
from sonic_cms.db.engine import Database
from sonic_cms.db.schema.tables import COLLECTIONS, CONTENT

LIST = f"/api/collections/{COLLECTION}/content?limit=20"
NEWEST = LIST + "&sort=" + quote('[{"field":"created_at","order":"desc"}]', safe="")
FILTERED = LIST + "&" + quote("filter[data.category]", safe="") + "=tutorial"
SAMPLE = 200


def by_slug(slug: str, collection: str = COLLECTION) -> str:
    """SonicJS's item-by-slug read: a list of one with ``where`` slug equals."""
    where = {"and": [{"field": "slug", "operator": "equals", "value": slug}]}
    return (
        f"/api/collections/{collection}/content?where={quote(orjson.dumps(where), safe='')}&limit=1"
    )


def published_sample(db: Database, size: int = SAMPLE) -> list[tuple[str, str]]:
    """``size`` published items of the benchmark collection, as (id, slug), the same each run."""
    with db.read() as conn:
        collection_id = conn.execute(
            select(COLLECTIONS.c.id).where(COLLECTIONS.c.name == COLLECTION)
        ).scalar_one()
        rows = conn.execute(
            select(CONTENT.c.id, CONTENT.c.slug)
            .where(CONTENT.c.collection_id == collection_id, CONTENT.c.status == "published")
            .order_by(CONTENT.c.id)
        ).all()
    return [(r.id, r.slug) for r in random.Random(3).sample(rows, min(size, len(rows)))]


def read_routes(db: Database, filtered: bool = True) -> dict[str, list[str]]:
    """Read name -> the URLs the load generator cycles through."""
    sample = published_sample(db)
    routes = {"list of 20": [LIST], "list, newest first": [NEWEST]}
    if filtered:
        routes["list by data.category"] = [FILTERED]
    routes["item by id"] = [f"/api/content/{item_id}" for item_id, _ in sample]
    routes["item by slug (where)"] = [by_slug(slug) for _, slug in sample]
    return routes


@dataclass(frozen=True)
class Account:
    """A user with a password (for a session) and an API token (its secret)."""

    email: str
    password: str
    token: str


def make_account(db: Database, role: str, permissions: list[str], server_key: str) -> Account:
    """A new ``role`` user holding an API token with ``permissions``, digested under the
    server's ``SONIC_SECRET_KEY`` (``server_key``) so the server recognizes it.

    A viewer reads what anonymous callers read (published items only), so its reads run the
    same SELECT as the query floor's; an editor also sees drafts.
    """
    ctx = bench_context(db, SYSTEM)
    ctx = replace(ctx, settings=ctx.settings.model_copy(update={"secret_key": server_key}))
    name = f"bench-{role}-{secrets.token_hex(3)}"
    password = secrets.token_urlsafe(18)
    email = f"{name}@example.com"
    user = create_user(ctx, email=email, username=name, password=password, role=role)
    _, secret = create_token(ctx, name=name, permissions=permissions, user_id=user.id)
    return Account(email, password, secret)


def route_for_viewer(
    database_url: str, route: str, seed_items: int = 0
) -> tuple[list[str], Account, str]:
    """The URLs of ``route`` in the benchmark database (after seeding ``seed_items``, if any),
    a new viewer's account, and the server key its API token is digested under."""
    key = secrets.token_urlsafe(48)
    db = Database(bench_settings(database_url))
    try:
        if seed_items:
            seed(db, seed_items, 5000)
        urls = read_routes(db)[route]
        account = make_account(db, "viewer", ["content.read"], key)
    finally:
        db.dispose()
    return urls, account, key


def bearer(account: Account) -> dict[str, str]:
    """The headers of a request made with the account's API token."""
    return {"Authorization": f"Bearer {account.token}"}


def session(base: str, account: Account) -> dict[str, str]:
    """The headers of a signed-in browser: signs in (``POST /auth/login``) and returns the
    ``auth_token`` cookie (a fresh one each time: access tokens live 15 minutes)."""
    response = httpx.post(
        base + "/auth/login", json={"email": account.email, "password": account.password}
    )
    response.raise_for_status()
    return {"Cookie": f"auth_token={response.json()['token']}"}
