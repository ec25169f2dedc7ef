"""``/admin/cache``: the cache's counters per tier and namespace, and clearing it.

Both are :mod:`sonic_cms.operations.cache_admin`, the service behind ``/admin/cache/stats``
and ``/admin/cache/clear`` (``settings.update``). With Redis configured the counters are the
sums over every process (docs/cache.md, "Counters across processes"); without it they are
this process's, and the page says so.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from sonic_cms.admin.pages.editorial.item_panel import checked_form
from sonic_cms.admin.pages.frame import PageActor, context_for, frame_values, page
from sonic_cms.admin.security import page_headers
from sonic_cms.cache import NAMESPACES, TieredCache
from sonic_cms.operations import cache_admin

router = APIRouter(include_in_schema=False)
PATH = "/admin/cache"


def cache_of(request: Request) -> TieredCache:
    """This process's cache."""
    cache: TieredCache = request.app.state.ctx.cache
    return cache


def notice_of(request: Request) -> str | None:
    """The toast a redirect asked for (a known namespace and numbers, never URL text)."""
    params = request.query_params
    if params.get("done") != "cleared":
        return None
    namespace = params.get("ns", "")
    memory, redis = params.get("memory", ""), params.get("redis", "")
    if (
        namespace not in {*NAMESPACES, ""}
        or not (memory + redis).isdigit()
        or len(memory + redis) > 18
    ):
        return None
    what = f"the {namespace} namespace" if namespace else "the whole cache"
    return (
        f"Cleared {what}: {memory} memory entries and {redis} Redis keys dropped here; "
        "every process stops using the rest at once."
    )


@router.get(PATH)
async def cache_page(request: Request, actor: PageActor) -> Response:
    """Hits, misses, evictions per tier and namespace; clear one namespace or all."""
    ctx = context_for(request, actor)
    stats: dict[str, Any] = await cache_admin.stats(ctx, cache_of(request))
    values = await ctx.run_read(lambda: frame_values(ctx, current=PATH))
    return page(
        request,
        actor,
        "cache.html",
        crumbs=[("Cache", None)],
        stats=stats,
        notice=notice_of(request),
        **values,
    )


@router.post(PATH)
async def clear(request: Request, actor: PageActor) -> Response:
    """Clear ``namespace`` (empty: everything) in every tier and process."""
    form = await checked_form(request, actor)
    namespace = form.get("namespace", "") or None
    ctx = context_for(request, actor)
    result = await cache_admin.clear(ctx, cache_of(request), namespace)
    target = (
        f"{PATH}?done=cleared&ns={namespace or ''}"
        f"&memory={result['memory']}&redis={result['redis']}"
    )
    return page_headers(RedirectResponse(target, status_code=303))
