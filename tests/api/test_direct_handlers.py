"""Routes with nothing for FastAPI to solve but their context are handled directly
(``api/deps.py``, ``direct_handler``): they must answer exactly what FastAPI's own handler
answers, for every caller and every kind of bad request, and step aside for dependency
overrides."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Any

import pytest
from fastapi import Depends, Path, Query, Request
from fastapi import routing as fastapi_routing
from fastapi.dependencies.utils import get_dependant, get_parameterless_sub_dependant
from fastapi.testclient import TestClient
from starlette.convertors import IntegerConvertor, StringConvertor
from starlette.responses import Response

from sonic_cms.api import deps, openapi
from sonic_cms.api.app import create_app
from sonic_cms.api.deps import CtxDep, PublicCtxDep, direct_handler
from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.context import Context
from sonic_cms.db.engine import Database
from tests.utils.auth import actor_with_role, bearer_headers, create_random_user
from tests.utils.content_rows import make_collection, make_content

# --- which endpoints qualify ------------------------------------------------------------


async def _solved(request: Request) -> Response:
    return Response(b"solved")


async def plain(request: Request, item_id: str, ctx: CtxDep) -> Response:
    return Response(item_id.encode())


async def public(request: Request, ctx: PublicCtxDep) -> Response:
    return Response(b"public")


async def with_query(request: Request, ctx: CtxDep, q: Annotated[str, Query()]) -> Response:
    return Response(q.encode())


async def with_int_path(request: Request, item_id: int, ctx: CtxDep) -> Response:
    return Response(str(item_id).encode())


async def with_checked_path(
    request: Request, item_id: Annotated[str, Path(max_length=3)], ctx: CtxDep
) -> Response:
    return Response(item_id.encode())


async def returns_data(request: Request, ctx: CtxDep) -> dict[str, str]:
    return {"plain": "data"}


def synchronous(request: Request, ctx: CtxDep) -> Response:
    return Response(b"sync")


async def _other(request: Request) -> str:
    return "other"


async def other_dependency(request: Request, value: Annotated[str, Depends(_other)]) -> Response:
    return Response(value.encode())


async def two_dependencies(request: Request, ctx: CtxDep, public: PublicCtxDep) -> Response:
    return Response(b"two")


async def no_request(item_id: str, ctx: CtxDep) -> Response:
    return Response(item_id.encode())


async def request_only(request: Request) -> Response:
    return Response(b"request")


async def renamed_path(
    request: Request, item_id: Annotated[str, Path(validation_alias="other")], ctx: CtxDep
) -> Response:
    return Response(item_id.encode())


async def limited(
    request: Request, ctx: Annotated[Context, Depends(deps.get_services, max_concurrency=2)]
) -> Response:
    return Response(b"limited")


def _handler(call: Callable[..., Any], path: str = "/x/{item_id}") -> object:
    dependant = get_dependant(path=path, call=call)
    names = [name for name in ("item_id",) if "{" + name + "}" in path]
    convertors = {name: StringConvertor() for name in names}
    return direct_handler(dependant, None, convertors, None, _solved)


@pytest.mark.parametrize(
    ("call", "path"), [(plain, "/x/{item_id}"), (public, "/x"), (request_only, "/x")]
)
def test_an_endpoint_of_request_str_path_and_context_is_direct(
    call: Callable[..., Any], path: str
) -> None:
    assert _handler(call, path) is not None


def test_an_endpoint_reading_no_request_keeps_fastapis_handler() -> None:
    assert _handler(no_request, "/x/{item_id}") is None


def test_a_dependency_given_no_parameter_keeps_fastapis_handler() -> None:
    """``dependencies=[Depends(...)]`` on a route, its router or an include."""
    dependant = get_dependant(path="/x", call=request_only)
    unnamed = get_parameterless_sub_dependant(depends=Depends(deps._context), path="/x")
    dependant.dependencies.insert(0, unnamed)
    assert direct_handler(dependant, None, {}, None, _solved) is None


def test_a_path_parameter_read_under_another_name_or_missing_keeps_fastapis_handler() -> None:
    assert _handler(renamed_path) is None
    # declared as a path parameter, but not in the route's path: FastAPI answers 422
    assert _handler(plain, "/x") is None


def test_a_dependency_with_a_concurrency_limit_keeps_fastapis_handler() -> None:
    assert _handler(limited, "/x") is None


@pytest.mark.parametrize(
    "call",
    [
        with_query,
        with_checked_path,
        returns_data,
        synchronous,
        other_dependency,
        two_dependencies,
    ],
)
def test_anything_more_keeps_fastapis_handler(call: Callable[..., Any]) -> None:
    path = "/x/{item_id}" if "item_id" in call.__code__.co_varnames else "/x"
    assert _handler(call, path) is None


def test_a_converted_path_parameter_keeps_fastapis_handler() -> None:
    dependant = get_dependant(path="/x/{item_id:int}", call=with_int_path)
    assert direct_handler(dependant, None, {"item_id": IntegerConvertor()}, None, _solved) is None
    plain_dependant = get_dependant(path="/x/{item_id:int}", call=plain)
    convertors = {"item_id": IntegerConvertor()}
    assert direct_handler(plain_dependant, None, convertors, None, _solved) is None


def test_a_response_model_keeps_fastapis_handler() -> None:
    dependant = get_dependant(path="/x/{item_id}", call=plain)
    convertors = {"item_id": StringConvertor()}
    assert direct_handler(dependant, object(), convertors, None, _solved) is None


# --- the real app: the same answers both ways ---------------------------------------------


@pytest.fixture
def solve_calls(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Each call of FastAPI's dependency solver, by the endpoint it solved for."""
    calls: list[object] = []
    solve = fastapi_routing.solve_dependencies

    async def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs["dependant"].call)
        return await solve(*args, **kwargs)

    monkeypatch.setattr(fastapi_routing, "solve_dependencies", counted)
    return calls


@pytest.fixture
def clients(
    settings: Settings, db: Database, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, TestClient]]:
    """The app as shipped, and the same app with FastAPI's handler on every route.

    FastAPI builds an included route's handler when a request first walks its router: a
    request matching no route walks them all, so each app's handlers are built here."""
    with TestClient(create_app(settings, db=db, clock=clock)) as direct:
        assert direct.get("/no/such/route").status_code == 404
        with monkeypatch.context() as patch:
            patch.setattr(openapi, "direct_handler", lambda *args: None)
            solved_app = create_app(settings, db=db, clock=clock)
            with TestClient(solved_app) as solved:
                assert solved.get("/no/such/route").status_code == 404
                patch.undo()
                yield direct, solved


_VOLATILE = {"x-request-id", "date"}


def _answer(response: Any) -> tuple[int, dict[str, str], bytes]:
    headers = {k: v for k, v in response.headers.items() if k.lower() not in _VOLATILE}
    return response.status_code, headers, response.content


def test_direct_routes_answer_as_fastapis_handler(
    clients: tuple[TestClient, TestClient],
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    solve_calls: list[object],
) -> None:
    direct, solved = clients
    author = create_random_user(db, clock, "editor")
    collection_id = make_collection(db, clock)
    name = db_collection_name(db, collection_id)
    published = make_content(db, clock, collection_id, author.id, status="published")
    draft = make_content(db, clock, collection_id, author.id, status="draft")
    callers: dict[str, dict[str, str]] = {
        "anonymous": {},
        "admin": bearer_headers(db, settings, clock, "admin"),
        "viewer": bearer_headers(db, settings, clock, "viewer"),
        "malformed": {"Authorization": "Basic abc"},
        "bad token": {"Authorization": "Bearer sonic_" + "x" * 40},
        "bad session": {"Authorization": "Bearer not.a.jwt"},
    }
    etag = direct.get(f"/api/content/{published}").headers["etag"]
    assert solved.get(f"/api/content/{published}").headers["etag"] == etag  # both caches warm
    reads = [
        f"/api/content/{published}",
        f"/api/content/{draft}",
        "/api/content/no-such-item",
        f"/api/content/{published}?as_of=yesterday",
        f"/api/content/{published}?unknown=1",
        f"/api/content/{published}?include=author",
        f"/api/collections/{name}/content/item-{published[-12:]}",
        f"/api/collections/{name}/content/item-{draft[-12:]}",
        "/api/collections/no-such-collection/content/anything",
        f"/api/collections/{name}/content?limit=5",
        f"/api/collections/{name}/content?limit=abc",
        "/api/content?status=draft",
        "/api/content?sort=%5Bbad",
        "/api/collections",
        f"/api/collections/{name}",
        "/api/collections/%00",
        "/api",
    ]
    solve_calls.clear()
    for who, headers in callers.items():
        for url in reads:
            for extra in ({}, {"If-None-Match": etag}):
                sent = {**headers, **extra}
                got = _answer(direct.get(url, headers=sent))
                want = _answer(solved.get(url, headers=sent))
                assert got == want, (who, url, extra)
        writes = [
            ("POST", "/api/content"),
            ("POST", f"/api/collections/{name}/content"),
            ("PUT", f"/api/content/{draft}/autosave"),
            ("POST", f"/api/content/{published}/translations"),
            ("POST", "/admin/api/collections"),
            ("PATCH", "/admin/api/collections/no-such-collection"),
        ]
        for method, url in writes:
            for body in (b"{not json", b"[]", b'{"collectionId": "nope"}'):
                sent = {**headers, "Content-Type": "application/json"}
                got = _answer(direct.request(method, url, content=body, headers=sent))
                want = _answer(solved.request(method, url, content=body, headers=sent))
                assert got == want, (who, method, url, body)
    # only the app with FastAPI's handlers solved dependencies for these routes
    solved_for = {getattr(call, "__name__", "") for call in solve_calls}
    assert {"get_one", "get_by_slug", "list_all", "create"} <= solved_for
    per_app = len(solve_calls)
    solve_calls.clear()
    direct.get(f"/api/content/{published}", headers=callers["admin"])
    direct.get("/api/content", headers=callers["admin"])
    assert solve_calls == [], "the shipped app solved dependencies for a direct route"
    assert per_app > 0


def db_collection_name(db: Database, collection_id: str) -> str:
    from sqlalchemy import select

    from sonic_cms.db.schema.tables import COLLECTIONS

    with db.read() as conn:
        name: str = conn.execute(
            select(COLLECTIONS.c.name).where(COLLECTIONS.c.id == collection_id)
        ).scalar_one()
    return name


def test_a_dependency_override_is_honoured(
    settings: Settings, db: Database, clock: FrozenClock, ctx: Context
) -> None:
    author = create_random_user(db, clock, "editor")
    collection_id = make_collection(db, clock)
    drafts = [make_content(db, clock, collection_id, author.id, status="draft") for _ in "ab"]
    app = create_app(settings, db=db, clock=clock)
    with TestClient(app) as client:
        assert client.get(f"/api/content/{drafts[0]}").status_code == 404
        admin = actor_with_role(db, clock, "admin")

        async def as_admin(request: Request) -> Context:
            return deps.get_context(request).services.acting_as(admin)

        app.dependency_overrides[deps.get_services] = as_admin
        assert client.get(f"/api/content/{drafts[1]}").status_code == 200
        app.dependency_overrides.clear()
        # (the override's answer for the second is in the anonymous cache now: ask the first)
        assert client.get(f"/api/content/{drafts[0]}").status_code == 404
        app.dependency_overrides = {deps.get_services: as_admin}  # a new dict, as tests do
        assert client.get(f"/api/content/{drafts[0]}").status_code == 200
