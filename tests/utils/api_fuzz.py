"""Drive schemathesis over every operation of a live server's OpenAPI document, with counts.

Schemathesis generates the cases (its Hypothesis strategies, positive and negative) and judges
the responses (its checks); this module only decides the order of operations, the budget per
operation, and collects every failure instead of stopping at the first, so one run reports
them all. Path parameters are pinned to ids that exist (see :func:`pin_path_parameters`), so
generated requests reach the code behind an id and not only the 404.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.failures import Failure, FailureGroup

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

#: (method, path template), e.g. ("GET", "/api/content/{item_id}")
OperationKey = tuple[str, str]


def operations_in(document: Mapping[str, Any]) -> list[OperationKey]:
    """Every operation the document declares."""
    return [
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in HTTP_METHODS
    ]


def path_parameters(document: Mapping[str, Any]) -> dict[OperationKey, list[str]]:
    """The path parameter names of every operation (path-level and operation-level)."""
    result: dict[OperationKey, list[str]] = {}
    for path, item in document["paths"].items():
        shared = [p for p in item.get("parameters", []) if p.get("in") == "path"]
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            own = [p for p in operation.get("parameters", []) if p.get("in") == "path"]
            result[(method.upper(), path)] = sorted({p["name"] for p in shared + own})
    return result


def pin_path_parameters(
    document: Mapping[str, Any], values: Callable[[str, str], list[Any] | None]
) -> tuple[dict[str, Any], list[str]]:
    """A copy of ``document`` whose path parameters are ``enum``s of existing values.

    ``values(path, name)`` gives the ids for a parameter, or None when nobody seeded any; those
    are returned as problems ("GET /x/{id}: id"), so a new id route cannot go untested quietly.
    Negative generation still sends values outside the enum (unknown ids, huge numbers, odd
    characters), which is what reaches the 404 and 400 paths.
    """
    pinned = copy.deepcopy(dict(document))
    missing: list[str] = []
    for path, item in pinned["paths"].items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") != "path":
                    continue
                found = values(path, parameter["name"])
                if not found:
                    missing.append(f"{method.upper()} {path}: {parameter['name']}")
                    continue
                kind = parameter.get("schema", {}).get("type", "string")
                parameter["schema"] = {"type": kind, "enum": list(found)}
    return pinned, missing


@dataclass(frozen=True)
class Finding:
    """One failed check on one request."""

    operation: OperationKey
    caller: str
    mode: str
    check: str
    status: int
    title: str
    request: str
    response: str

    def line(self) -> str:
        method, path = self.operation
        return (
            f"[{self.caller}/{self.mode}] {method} {path} -> {self.status} {self.check}: "
            f"{self.title}\n    {self.request}\n    {self.response[:300]}"
        )


@dataclass
class FuzzReport:
    """What a run did: cases per operation and caller, failures kept and failures excused."""

    cases: dict[tuple[str, OperationKey], int] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[Finding] = field(default_factory=list)
    excused: list[tuple[Finding, str]] = field(default_factory=list)
    not_sent: dict[str, int] = field(default_factory=dict)
    no_negative_cases: list[str] = field(default_factory=list)

    def operations(self, caller: str) -> set[OperationKey]:
        return {op for (who, op), n in self.cases.items() if who == caller and n > 0}

    def total(self, caller: str | None = None) -> int:
        return sum(n for (who, _), n in self.cases.items() if caller in (None, who))

    def dump(self, path: str) -> None:
        """Every finding as JSON lines, for reading a run whose summary was cut short."""
        with open(path, "w", encoding="utf-8") as out:
            for finding in self.failures:
                out.write(json.dumps({"excused": None, **asdict(finding)}) + "\n")
            for finding, reason in self.excused:
                out.write(json.dumps({"excused": reason, **asdict(finding)}) + "\n")

    def summary(self, engine: str, documented: int) -> str:
        callers = sorted({who for who, _ in self.cases})
        parts = [
            f"schemathesis [{engine}]: {documented} operations documented; "
            + ", ".join(
                f"{who}: {len(self.operations(who))} operations, {self.total(who)} cases"
                for who in callers
            ),
            f"  responses by status: {dict(sorted(self.statuses.items()))}",
            f"  failures: {len(self.failures)}; excused: {len(self.excused)}",
        ]
        if self.not_sent:
            parts.append(f"  cases the client could not send: {self.not_sent}")
        parts.append(
            f"  operations with nothing to negate (positive cases only): "
            f"{len(set(self.no_negative_cases))}"
        )
        for finding, reason in self.excused[:40]:
            parts.append(f"  excused ({reason}): {finding.line()}")
        parts.extend(f"  FAIL {finding.line()}" for finding in self.failures[:80])
        return "\n".join(parts)


#: Decides whether a finding is a known problem fixed elsewhere: returns the reason, or None.
Excuse = Callable[[Finding, schemathesis.Case], str | None]


@dataclass
class Caller:
    """Who sends the cases: a name for the report and the headers that authenticate it."""

    name: str
    headers: dict[str, str]
    max_examples: Mapping[GenerationMode, int]


@dataclass
class FuzzRun:
    """One pass of one caller over a set of operations against one server."""

    schema: Any  # schemathesis OpenApiSchema
    base_url: str
    checks: list[Any]
    report: FuzzReport
    excuse: Excuse
    #: Changes a case before it is sent (keeps a body's URL on loopback, for example).
    adjust: Callable[[schemathesis.Case], None] = lambda case: None
    session: requests.Session = field(default_factory=requests.Session)

    def run(self, caller: Caller, order: Iterable[OperationKey]) -> None:
        for method, path in order:
            operation = self.schema[path][method]
            for mode, budget in caller.max_examples.items():
                if budget > 0:
                    self._run_operation(operation, (method, path), caller, mode, budget)

    def _run_operation(
        self,
        operation: Any,
        key: OperationKey,
        caller: Caller,
        mode: GenerationMode,
        budget: int,
    ) -> None:
        strategy = operation.as_strategy(generation_mode=mode)

        @settings(
            max_examples=budget,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(strategy)
        def probe(case: schemathesis.Case) -> None:
            self._send(case, key, caller, mode)

        try:
            probe()
        except Unsatisfiable:  # nothing to negate: an operation without parameters or body
            self.report.no_negative_cases.append(f"{key[0]} {key[1]}")

    def _send(
        self, case: schemathesis.Case, key: OperationKey, caller: Caller, mode: GenerationMode
    ) -> None:
        self.adjust(case)
        try:
            response = case.call(
                base_url=self.base_url, session=self.session, headers=caller.headers, timeout=60
            )
        except (requests.exceptions.InvalidHeader, requests.exceptions.InvalidURL, ValueError):
            # the client refuses to put this on the wire (a NUL in a header, say): not a case
            name = f"{key[0]} {key[1]}"
            self.report.not_sent[name] = self.report.not_sent.get(name, 0) + 1
            return
        counter = (caller.name, key)
        self.report.cases[counter] = self.report.cases.get(counter, 0) + 1
        self.report.statuses[response.status_code] = (
            self.report.statuses.get(response.status_code, 0) + 1
        )
        try:
            case.validate_response(response, checks=self.checks, headers=caller.headers)
        except FailureGroup as group:
            self._record(case, key, caller, mode, response, group.exceptions)
        except Failure as failure:
            self._record(case, key, caller, mode, response, (failure,))

    def _record(
        self,
        case: schemathesis.Case,
        key: OperationKey,
        caller: Caller,
        mode: GenerationMode,
        response: Any,
        failures: Iterable[Failure],
    ) -> None:
        request = response.request
        body = request.body if isinstance(request.body, bytes | str | None) else repr(request.body)
        if isinstance(body, bytes):
            body = body[:300].decode("utf-8", "replace")
        described = f"{request.method} {request.url} body={body!r}"[:600]
        for failure in failures:
            finding = Finding(
                operation=key,
                caller=caller.name,
                mode=mode.value,
                check=",".join(type(failure).checks) or type(failure).__name__,
                status=response.status_code,
                title=failure.title,
                request=described,
                response=response.text if hasattr(response, "text") else "",
            )
            reason = self.excuse(finding, case)
            if reason is None:
                self.report.failures.append(finding)
            else:
                self.report.excused.append((finding, reason))
