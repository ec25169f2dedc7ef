"""``sonic webhooks list|add|remove|test|deliver``: webhook endpoints from the command line
(as the system), and the delivery worker outside the server."""

from __future__ import annotations

import time
from typing import Annotated, Any

import anyio
import typer

from sonic_cms.cli.common import (
    DatabaseUrlOption,
    EnvOption,
    command_context,
    console,
    fail,
    run,
    settings_from,
)
from sonic_cms.webhooks import deliveries, endpoints, worker
from sonic_cms.webhooks.events import EVENTS

app = typer.Typer(help="Register webhook endpoints and deliver their events.", no_args_is_help=True)
_NOT_FOUND = "webhook_not_found"


@app.command("list")
def list_(env: EnvOption = None, database_url: DatabaseUrlOption = None) -> None:
    """List endpoints (never their secrets)."""
    with command_context(settings_from(env, database_url)) as ctx:
        found = run(lambda: endpoints.list_endpoints(ctx))
    for e in found:
        state = "active" if e["is_active"] else f"disabled ({e['disabled_reason'] or 'by hand'})"
        collections = ",".join(e["collections"]) or "all collections"
        typer.echo(f"{e['id']}  {e['url']}  events={','.join(e['events'])}  {collections}  {state}")


@app.command("add")
def add(
    url: Annotated[str, typer.Argument(help="The receiver's http(s) URL")],
    event: Annotated[
        list[str], typer.Option("--event", "-e", help=f"An event (repeatable): {', '.join(EVENTS)}")
    ],
    collection: Annotated[
        list[str] | None,
        typer.Option("--collection", "-c", help="Limit item events to this collection"),
    ] = None,
    description: Annotated[str, typer.Option(help="A note for people")] = "",
    secret: Annotated[
        str | None, typer.Option(help="A whsec_ secret to use (default: a new random one)")
    ] = None,
    env: EnvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Register an endpoint; its secret is printed once and never shown again."""
    body: dict[str, Any] = {"url": url, "events": event, "description": description}
    if collection:
        body["collections"] = collection
    if secret is not None:
        body["secret"] = secret
    with command_context(settings_from(env, database_url)) as ctx:
        row, made = run(lambda: endpoints.create_endpoint(ctx, body))
    typer.echo(f"Added webhook {row['id']} -> {row['url']} ({', '.join(row['events'])}).")
    typer.echo("Its signing secret; copy it now, it is not shown again:")
    typer.echo(made)


@app.command("remove")
def remove(
    endpoint_id: Annotated[str, typer.Argument(help="The endpoint's id")],
    env: EnvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Remove an endpoint and its deliveries."""
    with command_context(settings_from(env, database_url)) as ctx:
        names = {_NOT_FOUND: f"Webhook {endpoint_id!r}"}
        run(lambda: endpoints.delete_endpoint(ctx, endpoint_id), names=names)
    typer.echo(f"Removed webhook {endpoint_id}.")


@app.command("test")
def test(
    endpoint_id: Annotated[str, typer.Argument(help="The endpoint's id")],
    env: EnvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Send a ``webhook:test`` event to the endpoint now and print what it answered."""
    with command_context(settings_from(env, database_url)) as ctx:
        names = {_NOT_FOUND: f"Webhook {endpoint_id!r}"}
        event_id = run(lambda: deliveries.queue_test_event(ctx, endpoint_id), names=names)
        anyio.run(lambda: worker.deliver_due(ctx, only=event_id))
        (sent,) = [d for d in deliveries.list_deliveries(ctx, endpoint_id) if d["id"] == event_id]
    last = sent["attempts"][-1] if sent["attempts"] else None
    if last is None:
        fail(f"Test event {event_id} was not sent (another worker may hold it)")
    status = last["response_status"]
    outcome = last["outcome"] + (f" (HTTP {status})" if status else "")
    typer.echo(f"Test event {event_id}: {outcome} in {last['duration_ms']} ms")
    if last["outcome"] != "success":
        fail(f"The endpoint did not accept the test event: {last['error']}")


@app.command("deliver")
def deliver(
    once: Annotated[bool, typer.Option("--once", help="Send what is due, then exit")] = False,
    env: EnvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Send due events; safe beside the servers' own workers (each event is sent once)."""
    settings = settings_from(env, database_url)
    try:
        with command_context(settings) as ctx:
            while True:
                report = anyio.run(lambda: worker.deliver_due(ctx))
                console.print(
                    f"{len(report.delivered)} delivered, {len(report.retrying)} to retry, "
                    f"{len(report.failed)} failed"
                )
                if once:
                    return
                time.sleep(settings.webhooks_poll_seconds)
    except KeyboardInterrupt:
        console.print("stopped")
