"""``sonic content get|translations|translate``: reading an item (in a locale) and its
translations from the console, acting as the system (docs/localisation.md).

The commands join ``sonic content`` through :func:`register`, so the content group keeps one
name and this module keeps the locale-aware ones together.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
import typer

from sonic_cms.cli.common import (
    DatabaseUrlOption,
    EnvOption,
    command_context,
    fail,
    run,
    settings_from,
)
from sonic_cms.content.history import get_item
from sonic_cms.translations import groups, reads

LocaleOption = Annotated[
    str | None,
    typer.Option("--locale", help="BCP 47 tag of an enabled locale (with its fallback chain)"),
]


def register(app: typer.Typer) -> None:
    """Add the commands to the ``sonic content`` group."""
    app.command("get")(get)
    app.command("translations")(translations)
    app.command("translate")(translate)


def _print(document: Any) -> None:
    typer.echo(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode())


def get(
    item_id: Annotated[str, typer.Argument(help="Item id")],
    locale: LocaleOption = None,
    env: EnvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Print one item as JSON; with ``--locale``, the group's row in that locale (or the next
    of its fallback chain) and ``meta.locale`` naming the one that answered."""
    with command_context(settings_from(env, database_url)) as ctx:
        if locale is None:
            _print({"data": run(lambda: get_item(ctx, item_id))})
        else:
            _print(run(lambda: reads.get_in_locale(ctx, item_id, locale)))


def translations(
    item_id: Annotated[str, typer.Argument(help="Any item of the group")],
    env: EnvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """List the item's translation group: one line per locale (id, status, slug, title), then
    the enabled locales without a row."""
    with command_context(settings_from(env, database_url)) as ctx:
        document = run(lambda: groups.list_translations(ctx, item_id))
    for row in document["data"]:
        source = " (source)" if row["isSource"] else ""
        typer.echo(
            f"{row['locale']}{source}\t{row['id']}\t{row['status']}\t{row['slug']}\t{row['title']}"
        )
    missing = document["meta"]["missing"]
    typer.echo(f"missing: {', '.join(missing) if missing else 'none'}")


def translate(
    item_id: Annotated[str, typer.Argument(help="The item to translate")],
    locale: Annotated[str, typer.Option("--locale", help="BCP 47 tag of an enabled locale")],
    title: Annotated[str, typer.Option("--title", help="The translation's title")],
    slug: Annotated[str | None, typer.Option("--slug", help="Default: from the title")] = None,
    data: Annotated[
        str | None, typer.Option("--data", help="JSON object; default: the item's data")
    ] = None,
    env: EnvOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Add a draft translation of the item, as ``POST /api/content/{id}/translations`` does;
    prints its id."""
    body: dict[str, Any] = {"locale": locale, "title": title}
    if slug is not None:
        body["slug"] = slug
    if data is not None:
        try:
            body["data"] = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            fail(f"--data is not JSON: {exc}")
    with command_context(settings_from(env, database_url)) as ctx:
        item = run(lambda: groups.create_translation(ctx, item_id, body))
    typer.echo(f"{item['id']}\t{item['locale']}\t{item['slug']}")
