"""`sonic scheduler run [--once]`: the executor of scheduled actions, outside the server."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from sonic_cms.actors import SYSTEM
from sonic_cms.cli.common import (
    DatabaseUrlOption,
    EnvOption,
    console,
    require_database,
    settings_from,
)
from sonic_cms.runtime import command_runtime
from sonic_cms.workflow.executor import run_due

app = typer.Typer(
    help="Run scheduled publish, unpublish and archive actions.", no_args_is_help=True
)


@app.command("run")
def run(
    once: Annotated[bool, typer.Option("--once", help="One pass, then exit")] = False,
    interval: Annotated[
        float | None, typer.Option(help="Seconds between passes (SONIC_SCHEDULER_INTERVAL_SECONDS)")
    ] = None,
    env: EnvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Run due jobs; safe beside the server's own executor (each job runs exactly once).

    Publishing fires ``content:publish`` through the active plugins' handlers, re-read as
    the server does (at most every SONIC_PLUGIN_STATUS_TTL_MS).
    """
    settings = settings_from(env, database_url)
    pause = interval if interval is not None else settings.scheduler_interval_seconds
    require_database(settings)
    try:
        with command_runtime(settings) as runtime:
            while True:
                runtime.plugins.refresh()
                report = run_due(runtime.context.acting_as(SYSTEM))
                console.print(f"{len(report.completed)} completed, {len(report.failed)} failed")
                if once:
                    return
                time.sleep(max(pause, 1.0))
    except KeyboardInterrupt:
        console.print("stopped")
