"""`sonic serve`: run the API with uvicorn, one app built per worker from the environment."""

from __future__ import annotations

import os
import signal
from types import FrameType
from typing import Annotated

import typer
import uvicorn

from sonic_cms.cli.common import DatabaseUrlOption, EnvOption, settings_from
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from sonic_cms.logs.stdout import serve_log_config
from sonic_cms.metrics.multiprocess import worker_directory


def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (SONIC_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (SONIC_PORT)")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes (SONIC_WORKERS)")] = None,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development)")] = False,
    env: EnvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Serve the REST API (OpenAPI at /docs)."""
    settings = settings_from(env, database_url, host=host, port=port, workers=workers)
    preflight(settings)
    # Workers rebuild Settings from the environment, so pass the command's choices through it.
    if env:
        os.environ["SONIC_ENV"] = env
    os.environ["SONIC_DATABASE_URL"] = settings.database_url
    # The app derives its default public origin (links, cookie writes) from the bind address.
    os.environ["SONIC_HOST"] = settings.host
    os.environ["SONIC_PORT"] = str(settings.port)
    signal.signal(signal.SIGTERM, _exit_cleanly)
    workers = 1 if reload else settings.workers
    # Several workers sum their metrics through files in a directory fresh for this start.
    with worker_directory(settings.metrics_enabled, workers):
        uvicorn.run(
            "sonic_cms.api.app:app_from_environment",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=None if reload else workers,
            reload=reload,
            log_config=serve_log_config(settings),
            log_level=settings.log_level,
            # JSON lines: the app writes the request line; text: uvicorn's access line is it.
            access_log=settings.stdout_log_format == "text",
            timeout_graceful_shutdown=settings.shutdown_timeout_seconds,
            timeout_worker_healthcheck=settings.worker_healthcheck_seconds,
            proxy_headers=False,
        )


def _exit_cleanly(signum: int, frame: FrameType | None) -> None:
    """SIGTERM's handler while uvicorn is not serving.

    uvicorn shuts down gracefully on SIGTERM, then raises the signal again with the handler it
    found. Left at the default that kills the process (exit status -15) after a clean stop;
    this handler makes it exit 0, which is what a clean stop is, for systemd and orchestrators.
    """
    raise SystemExit(0)


def preflight(settings: Settings) -> None:
    """Reach the database and the media bucket, and settle the signing key, before uvicorn.

    A worker that fails in its start-up prints uvicorn's traceback (140 lines for a database
    that does not exist); failing here first lets the CLI say what is wrong in one line. The
    development key is made here too, so the workers read one file instead of racing to write it.
    """
    settings.effective_secret_key  # noqa: B018 - creates data_dir/.secret_key in development
    db = Database(settings)
    try:
        with db.read() as conn:
            conn.exec_driver_sql("SELECT 1")
    finally:
        db.dispose()
    if settings.media_storage == "s3":
        from sonic_cms.storage.s3 import s3_client

        s3_client(settings).head_bucket(Bucket=settings.media_s3_bucket)
