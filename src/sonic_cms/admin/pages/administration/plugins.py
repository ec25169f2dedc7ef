"""``/admin/plugins``: the plugins, their lifecycle and their settings.

The list and every step are :mod:`sonic_cms.extensions.lifecycle`, the services behind
``/admin/api/plugins``: install, activate, deactivate and uninstall, whose dependency refusals
(409: ``missing_dependency``, ``dependency_inactive``, ``required_by_active_plugin``, ...) are
shown on the plugin's card. After a step this process's hook bus is brought in step at once, as
the API does. The settings page's form is generated from the plugin's settings model
(:mod:`sonic_cms.admin.forms.settings_form`) and saved by ``lifecycle.update_settings`` (the
service of ``PUT /admin/api/plugins/{name}/settings``), whose 422 paths land on their inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from sonic_cms.actors import Actor
from sonic_cms.admin.forms.settings_form import SettingInput, build_inputs, read_form
from sonic_cms.admin.pages.editorial.item_panel import PROPAGATED, checked_form
from sonic_cms.admin.pages.frame import PageActor, context_for, frame_values, page
from sonic_cms.admin.security import page_headers
from sonic_cms.context import Context
from sonic_cms.errors import NotFound, ServiceError
from sonic_cms.extensions import lifecycle
from sonic_cms.extensions.runtime import PluginRuntime

router = APIRouter(include_in_schema=False)
PATH = "/admin/plugins"
STATUS_BADGES = {
    "active": ("badge--published", "Active"),
    "inactive": ("badge--draft", "Inactive"),
    "not_installed": ("badge--archived", "Not installed"),
    "error": ("badge--rejected", "Error"),
    "invalid": ("badge--rejected", "Invalid"),
}
#: step -> (the toast when it worked)
STEPS = {
    "install": "installed",
    "activate": "activated",
    "deactivate": "deactivated",
    "uninstall": "uninstalled",
}


def runtime_of(request: Request) -> PluginRuntime:
    """This process's plugin runtime (registry and hook bus)."""
    plugins: PluginRuntime = request.app.state.ctx.plugins
    return plugins


def list_values(ctx: Context, plugins: PluginRuntime) -> dict[str, Any]:
    """Every plugin with its state, its dependencies' states and whether it has settings;
    call inside ``ctx.run_read``."""
    found = lifecycle.list_plugins(ctx, plugins.registry)
    states = {p["name"]: p["status"] for p in found}
    rows = []
    for plugin in found:
        spec = plugins.registry.get(plugin["name"])
        model = spec.settings_model if spec else None
        has_settings = bool(model and model.model_json_schema().get("properties"))
        rows.append(
            plugin
            | {
                "badge": STATUS_BADGES.get(plugin["status"], ("badge--draft", plugin["status"])),
                "needs": [
                    (d, states.get(d, "not_installed")) for d in plugin.get("dependencies") or []
                ],
                "has_settings": has_settings and plugin["installed"],
            }
        )
    return {"plugins": rows, "can_manage": ctx.actor.can("plugins.manage")}


async def plugins_page(request: Request, actor: Actor, status: int = 200, **extra: Any) -> Response:
    """The list; ``extra``: ``failed`` (plugin name) with ``error``, or a ``notice``."""
    ctx = context_for(request, actor)
    plugins = runtime_of(request)
    values = await ctx.run_read(lambda: list_values(ctx, plugins) | frame_values(ctx, current=PATH))
    done = request.query_params.get("done", "")
    name = request.query_params.get("name", "")
    notice = (
        f"{name}: {STEPS[done]}."
        if done in STEPS and name in {p["name"] for p in values["plugins"]}
        else None
    )
    defaults = {"failed": None, "notice": notice}
    return page(
        request,
        actor,
        "plugins.html",
        crumbs=[("Plugins", None)],
        status=status,
        **(defaults | values | extra),
    )


@router.get(PATH)
async def plugins_list(request: Request, actor: PageActor) -> Response:
    """Every plugin: status, version, dependencies, the lifecycle buttons."""
    return await plugins_page(request, actor)


async def run_step(ctx: Context, plugins: PluginRuntime, step: Callable[[], Any]) -> Any:
    """A lifecycle step, then this process's hook bus brought in step with it at once."""
    row = await ctx.run_write(step)
    await ctx.run_read(lambda: plugins.refresh(force=True))
    return row


def settings_values(
    ctx: Context, plugins: PluginRuntime, name: str
) -> tuple[dict[str, Any], list[SettingInput]]:
    """The plugin's row and its settings inputs filled with the stored values."""
    row = lifecycle.get_plugin(ctx, name)
    stored = lifecycle.get_settings(ctx, name)
    return row, inputs_for(plugins, name, stored)


def inputs_for(plugins: PluginRuntime, name: str, values: dict[str, Any]) -> list[SettingInput]:
    """The generated inputs of ``name``'s settings model (none without one)."""
    spec = plugins.registry.get(name)
    if spec is None or spec.settings_model is None:
        return []
    schema = spec.settings_model.model_json_schema(by_alias=True)
    return build_inputs(schema, values)


async def settings_page(
    request: Request,
    actor: Actor,
    name: str,
    inputs: list[SettingInput] | None = None,
    status: int = 200,
    **extra: Any,
) -> Response:
    """The settings form of ``name`` (``inputs``: the posted ones, with their errors)."""
    ctx = context_for(request, actor)
    plugins = runtime_of(request)

    def read() -> dict[str, Any]:
        row, stored = settings_values(ctx, plugins, name)
        return {"plugin": row, "inputs": inputs if inputs is not None else stored} | frame_values(
            ctx, current=PATH
        )

    values = await ctx.run_read(read)
    display = str(values["plugin"].get("display_name") or name)
    values["can_manage"] = actor.can("plugins.manage")
    values["saved"] = request.query_params.get("saved") == "1"
    return page(
        request,
        actor,
        "plugin_settings.html",
        crumbs=[("Plugins", PATH), (display, None)],
        status=status,
        **(values | extra),
    )


@router.get(PATH + "/{name}/settings")
async def settings_form(request: Request, actor: PageActor, name: str) -> Response:
    """The plugin's settings, as a form generated from its settings model."""
    return await settings_page(request, actor, name)


@router.post(PATH + "/{name}/settings")
async def save_settings(request: Request, actor: PageActor, name: str) -> Response:
    """Validate and save through the settings service; 422 with messages on their inputs."""
    form = await checked_form(request, actor)
    ctx = context_for(request, actor)
    plugins = runtime_of(request)
    stored = await ctx.run_read(lambda: lifecycle.get_settings(ctx, name))
    inputs = inputs_for(plugins, name, stored)
    changes, problems = read_form(inputs, form)
    if not problems:
        try:
            await run_step(
                ctx,
                plugins,
                lambda: lifecycle.update_settings(ctx, plugins.registry, name, changes),
            )
        except ServiceError as exc:
            if exc.status in PROPAGATED:
                raise
            problems = {str(d.get("path")): str(d.get("message")) for d in exc.details}
            if not problems:
                problems = {"": exc.message}
        else:
            target = f"{PATH}/{quote(name)}/settings?saved=1"
            return page_headers(RedirectResponse(target, status_code=303))
    by_name = {field.name: field for field in inputs}
    unplaced = []
    for path, message in problems.items():
        field = by_name.get(path.split(".", 1)[0])
        if field is None:
            unplaced.append(f"{path}: {message}" if path else message)
        else:
            field.error = message if "." not in path else f"{path}: {message}"
    return await settings_page(
        request,
        actor,
        name,
        inputs=inputs,
        status=422,
        error="The settings were not saved: see the problems marked below.",
        unplaced=unplaced,
    )


# after the settings routes, so that POST .../settings is not taken for a step
@router.post(PATH + "/{name}/{step}")
async def lifecycle_step(request: Request, actor: PageActor, name: str, step: str) -> Response:
    """install, activate, deactivate or uninstall (``keep_data`` ticked keeps its tables)."""
    form = await checked_form(request, actor)
    ctx = context_for(request, actor)
    plugins = runtime_of(request)
    registry = plugins.registry
    calls: dict[str, Callable[[], Any]] = {
        "install": lambda: lifecycle.install(ctx, registry, name),
        "activate": lambda: lifecycle.activate(ctx, registry, name),
        "deactivate": lambda: lifecycle.deactivate(ctx, registry, name),
        "uninstall": lambda: lifecycle.uninstall(
            ctx, registry, name, keep_data=form.get("keep_data") == "1"
        ),
    }
    if step not in calls:
        raise NotFound("No such plugin step", code="not_found")
    try:
        await run_step(ctx, plugins, calls[step])
    except ServiceError as exc:
        if exc.status in PROPAGATED:
            raise
        return await plugins_page(
            request, actor, status=exc.status, failed=name, error=f"{name}: {exc.message}"
        )
    target = f"{PATH}?done={step}&name={quote(name)}"
    return page_headers(RedirectResponse(target, status_code=303))
