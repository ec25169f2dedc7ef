"""Finding plugins: the built-ins shipped in the package and the ``sonic_cms.plugins`` entry
points of installed distributions. Invalid manifests are kept with their problems, so
``sonic plugins list`` can say why a plugin cannot be installed instead of hiding it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points

from sonic_cms.plugins.spec import PluginSpec
from sonic_cms.plugins.validation import validate_spec

logger = logging.getLogger("sonic_cms.plugins")

ENTRY_POINT_GROUP = "sonic_cms.plugins"
#: The plugins shipped inside sonic-cms (pyproject.toml), loaded whatever ``autoload`` says:
#: the core cache plugin must always be there.
BUILTIN_GROUP = "sonic_cms.builtin_plugins"


@dataclass
class PluginRegistry:
    """Known plugins by name, and the ones that failed to load or validate."""

    specs: dict[str, PluginSpec] = field(default_factory=dict)
    invalid: dict[str, list[str]] = field(default_factory=dict)

    def add(self, spec: PluginSpec, origin: str) -> None:
        """Validate and keep ``spec``; a second plugin with the same name is refused."""
        problems = validate_spec(spec)
        if spec.name in self.specs:
            problems.append(f"another plugin is already named {spec.name!r} ({origin})")
        if problems:
            self.invalid[spec.name or origin] = problems
            logger.warning("plugin %s from %s is invalid: %s", spec.name, origin, problems)
            return
        self.specs[spec.name] = spec

    def tables(self) -> frozenset[str]:
        """Every table the known plugins declare (their revisions create them)."""
        return frozenset(table for spec in self.specs.values() for table in spec.tables)

    def get(self, name: str) -> PluginSpec | None:
        """The valid plugin named ``name``."""
        return self.specs.get(name)


def discover(autoload: bool = True, extra: Iterable[PluginSpec] = ()) -> PluginRegistry:
    """Built-ins, then third-party entry points (when ``autoload``), then ``extra`` (tests)."""
    registry = PluginRegistry()
    _add_group(registry, BUILTIN_GROUP, "builtin")
    if autoload:
        _add_group(registry, ENTRY_POINT_GROUP, "entry point")
    for spec in extra:
        registry.add(spec, "extra")
    return registry


@functools.cache
def _entries(group: str) -> tuple[EntryPoint, ...]:
    """The group's entry points, read once per process: scanning every installed
    distribution's metadata costs ~25 ms, and installed packages change only with a restart."""
    return tuple(sorted(entry_points(group=group), key=lambda e: e.name))


def _add_group(registry: PluginRegistry, group: str, kind: str) -> None:
    for entry in _entries(group):
        loaded = _load(entry.name, entry.load)
        if loaded is None:
            registry.invalid[entry.name] = [f"{kind} {entry.value} did not load"]
        else:
            registry.add(loaded, f"{kind} {entry.value}")


def _load(name: str, load: Callable[[], object]) -> PluginSpec | None:
    obj: object
    try:
        obj = load()
        if callable(obj) and not isinstance(obj, PluginSpec):
            obj = obj()
    except Exception:
        logger.exception("plugin entry point %s failed to load", name)
        return None
    return obj if isinstance(obj, PluginSpec) else None
