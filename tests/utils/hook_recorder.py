"""Handlers registered straight on a hook bus that record what they were given."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sonic_cms.actors import Actor
from sonic_cms.plugins.hooks import Cancel, HookBus, HookContext, HookHandler, Phase


@dataclass(frozen=True)
class Call:
    """One handler call: a deep copy of the payload as the handler saw it."""

    hook: str
    phase: Phase
    payload: Any
    extra: dict[str, Any]
    actor: Actor | None
    had_connection: bool


class Recorder:
    """Records every filter and action call of ``hooks`` on ``bus``."""

    def __init__(self, bus: HookBus, *hooks: str, plugin: str = "recorder") -> None:
        self.calls: list[Call] = []
        phases: tuple[Phase, ...] = ("filter", "action")
        for hook in hooks:
            for phase in phases:
                bus.register(HookHandler(plugin, hook, self._handler(phase), phase))

    def _handler(self, phase: Phase) -> Callable[[Any, HookContext], None]:
        def record(payload: Any, context: HookContext) -> None:
            self.calls.append(
                Call(
                    context.hook,
                    phase,
                    copy.deepcopy(payload),
                    dict(context.extra),
                    context.actor,
                    context.conn is not None,
                )
            )

        return record

    def of(self, hook: str, phase: Phase | None = None) -> list[Call]:
        """The calls of ``hook`` (in ``phase``), in order."""
        return [c for c in self.calls if c.hook == hook and phase in (None, c.phase)]

    def sequence(self) -> list[tuple[str, str]]:
        """``(hook, phase)`` of every call, in order."""
        return [(c.hook, c.phase) for c in self.calls]

    def one(self, hook: str, phase: Phase) -> Call:
        """The single call of ``hook`` in ``phase`` (fails when there are none or several)."""
        calls = self.of(hook, phase)
        assert len(calls) == 1, f"{hook} {phase}: {len(calls)} calls"
        return calls[0]


def register_filter(
    bus: HookBus, hook: str, fn: Callable[[Any, HookContext], Any], plugin: str = "tweaker"
) -> None:
    """A filter handler of a pretend plugin."""
    bus.register(HookHandler(plugin, hook, fn, "filter"))


def refuse(reason: str, status: int = 403) -> Callable[[Any, HookContext], Any]:
    """A filter that cancels whatever it gets."""

    def gate(payload: Any, context: HookContext) -> Any:
        raise Cancel(reason, status=status)

    return gate
