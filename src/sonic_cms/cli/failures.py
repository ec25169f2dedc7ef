"""Every failure of a `sonic` command as one line on stderr and a non-zero exit.

An operator who points the CLI at a database that does not exist, a server that is down or a
malformed setting needs the cause and the next step, not 200 lines of driver traceback. The
root command group (:class:`OneLineErrors`) sends whatever a command raises through
:func:`explain`; ``sonic --debug ...`` re-raises instead, traceback and all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from sonic_cms.config import ConfigError
from sonic_cms.errors import ServiceError
from sonic_cms.operations.databases import connection_problem

_errors = Console(stderr=True, soft_wrap=True)

#: Exit codes: 1 the command failed, 2 the configuration is unusable, 130 interrupted.
EXIT_FAILED = 1
EXIT_CONFIG = 2
EXIT_INTERRUPTED = 130


def fail_line(message: str) -> None:
    """Print ``message`` as the command's one error line on stderr (no exit)."""
    _errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True)


def explain(exc: BaseException) -> tuple[str, int]:
    """The one line (without the ``error:`` prefix) and exit code for ``exc``."""
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted", EXIT_INTERRUPTED
    if isinstance(exc, ConfigError):
        return f"configuration: {exc}", EXIT_CONFIG
    if isinstance(exc, ServiceError):
        return message_of(exc), EXIT_FAILED
    database = connection_problem(exc)
    if database is not None:
        return database, EXIT_FAILED
    storage = _storage_problem(exc)
    if storage is not None:
        return storage, EXIT_FAILED
    code = getattr(exc, "code", None)
    if isinstance(code, str) and str(exc):
        return f"{_first_line(exc)} (code: {code})", EXIT_FAILED
    if isinstance(exc, OSError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror}", EXIT_FAILED
    return (
        f"unexpected {type(exc).__name__}: {_first_line(exc)} "
        "(run `sonic --debug ...` for the traceback, and please report it)",
        EXIT_FAILED,
    )


def message_of(exc: ServiceError, names: Mapping[str, str] | None = None) -> str:
    """The one line for a refused service call: the thing named when ``names`` knows the code,
    else the message, with any field details after it."""
    if names and exc.code in names:
        return f"{names[exc.code]} not found"
    details = "; ".join(
        f"{d.get('path')}: {d.get('message')}" for d in exc.details if isinstance(d, dict)
    )
    return exc.message + (f" ({details})" if details else "")


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _storage_problem(exc: BaseException) -> str | None:
    """A sentence for an S3 endpoint, bucket or credential problem, else None."""
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # pragma: no cover - boto3 is a dependency, but S3 is optional
        return None
    if isinstance(exc, ClientError):
        error: dict[str, Any] = exc.response.get("Error", {})
        return (
            f"S3 storage: {error.get('Code', 'error')} {error.get('Message', '')}".rstrip()
            + ": check SONIC_MEDIA_S3_BUCKET and the S3 credentials"
        )
    if isinstance(exc, BotoCoreError):
        return f"S3 storage: {exc}: check SONIC_MEDIA_S3_ENDPOINT_URL and the S3 credentials"
    return None


class OneLineErrors(TyperGroup):
    """The root command group: a command's exception becomes one line and an exit code.

    Click's own exits (usage errors, ``typer.Exit``, aborted prompts) pass through unchanged;
    with ``--debug`` (a root option) every exception propagates with its traceback.
    """

    def invoke(self, ctx: Any) -> Any:  # typer's vendored click.Context
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):  # click's own ways out
            raise
        except (Exception, KeyboardInterrupt) as exc:
            if ctx.params.get("debug"):
                raise
            message, code = explain(exc)
            fail_line(message)
            raise typer.Exit(code) from None
