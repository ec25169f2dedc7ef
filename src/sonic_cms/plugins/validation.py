"""SonicJS's plugin validation rules, plus ours for tables and dependency cycles."""

from __future__ import annotations

import re
from collections.abc import Mapping

from fastapi.routing import APIRoute

from sonic_cms.db.schema import metadata
from sonic_cms.plugins.hooks import HOOKS
from sonic_cms.plugins.spec import PluginSpec

NAME = re.compile(r"^[a-z0-9-]+$")
RESERVED_NAMES = frozenset(
    {"core", "system", "admin", "api", "auth", "content", "media", "users", "collections"}
)
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
)
TABLE = re.compile(r"^[a-z][a-z0-9_]*$")
PERMISSION = re.compile(r"^[a-z0-9_-]+\.[a-z0-9_]+$")
CORE_PERMISSION_AREAS = frozenset(
    {
        "content",
        "users",
        "collections",
        "media",
        "settings",
        "workflow",
        "plugins",
        "logs",
        "api_tokens",
    }
)


def validate_spec(spec: PluginSpec) -> list[str]:
    """Every rule the manifest breaks (empty when it is valid)."""
    problems: list[str] = []
    if not NAME.match(spec.name):
        problems.append(f"name {spec.name!r} must match ^[a-z0-9-]+$")
    if spec.name in RESERVED_NAMES:
        problems.append(f"name {spec.name!r} is reserved")
    if not SEMVER.match(spec.version):
        problems.append(f"version {spec.version!r} is not semver (MAJOR.MINOR.PATCH)")
    for label, value in (
        ("display_name", spec.display_name),
        ("author", spec.author),
        ("category", spec.category),
    ):
        if not value.strip():
            problems.append(f"{label} must not be empty")
    problems += _table_problems(spec)
    problems += _hook_problems(spec)
    problems += _route_problems(spec)
    problems += _permission_problems(spec)
    if spec.name in spec.dependencies:
        problems.append("a plugin cannot depend on itself")
    if spec.tables and spec.migrations is None:
        problems.append("tables are declared but no migrations folder ships them")
    return problems


def _table_problems(spec: PluginSpec) -> list[str]:
    core = set(metadata.tables) | {"alembic_version", "migrations"}
    problems = []
    for table in spec.tables:
        if table in core or table.startswith(("alembic_version", "sqlite_", "content_fts")):
            problems.append(f"table {table!r} is named like a core table")
        elif not TABLE.match(table):
            problems.append(f"table {table!r} must match ^[a-z][a-z0-9_]*$")
    return problems


def _hook_problems(spec: PluginSpec) -> list[str]:
    problems = []
    for hook in spec.hooks:
        if hook.hook not in HOOKS:
            problems.append(f"hook {hook.hook!r} is not a standard hook")
        if hook.required and hook.phase != "filter":
            problems.append(f"hook {hook.hook!r}: only filter handlers can be required")
    return problems


#: A plugin's own mount path: lower-case segments, no dots, no trailing slash.
ROUTE_PREFIX = re.compile(r"^(/[a-z0-9][a-z0-9_-]*)+$")


def _route_problems(spec: PluginSpec) -> list[str]:
    problems = []
    if spec.route_prefix and not ROUTE_PREFIX.match(spec.route_prefix):
        problems.append(f"route_prefix {spec.route_prefix!r} must look like /segment[/segment]")
    if spec.router is None:
        return problems
    for route in spec.router().routes:
        path = getattr(route, "path", "")
        if not path.startswith("/") or ".." in path or "//" in path:
            problems.append(f"route {path!r} must be a clean path starting with /")
        if not isinstance(route, APIRoute):
            problems.append(f"route {path!r} must be an HTTP route")
    return problems


def _permission_problems(spec: PluginSpec) -> list[str]:
    problems = []
    for name, _description in spec.permissions:
        if not PERMISSION.match(name):
            problems.append(f"permission {name!r} must look like area.action")
        elif name.split(".")[0] in CORE_PERMISSION_AREAS:
            problems.append(f"permission {name!r} is in a core area")
    return problems


def dependency_cycle(specs: Mapping[str, PluginSpec], start: str) -> list[str] | None:
    """A dependency cycle reachable from ``start`` (as a path), or None."""
    path: list[str] = []
    visiting: set[str] = set()
    done: set[str] = set()

    def visit(name: str) -> list[str] | None:
        if name in visiting:
            return [*path[path.index(name) :], name]
        if name in done or name not in specs:
            return None
        visiting.add(name)
        path.append(name)
        for dependency in specs[name].dependencies:
            cycle = visit(dependency)
            if cycle:
                return cycle
        visiting.discard(name)
        path.pop()
        done.add(name)
        return None

    return visit(start)
