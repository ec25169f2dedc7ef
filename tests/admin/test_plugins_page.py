"""The plugins page (/admin/plugins) over the app (TestClient), on both engines: the list with
status, version and dependencies; install, activate, deactivate and uninstall through the
lifecycle services with their dependency refusals shown on the card; the settings form
generated from the plugin's settings model, saved by the same service as
``PUT /admin/api/plugins/{name}/settings`` with its errors on their inputs; who may do what."""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import Enum
from typing import Literal

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from sonic_cms.admin.forms.settings_form import build_inputs, read_form
from sonic_cms.api.app import create_app
from sonic_cms.clock import FrozenClock
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import Plugin
from sonic_cms.plugins.spec import PluginSpec
from tests.admin.test_item_panel import person, signed_in
from tests.conftest import make_settings

PATH = "/admin/plugins"


class Tone(Enum):
    CALM = "calm"
    LOUD = "loud"


class GreeterSettings(BaseModel):
    """Every kind of input the generated form knows."""

    model_config = ConfigDict(extra="forbid")

    greeting: str = Field("Hello", min_length=1, max_length=40, description="What it says")
    repeat: int = Field(1, ge=1, le=5, title="Repeat count")
    ratio: float = Field(0.5, ge=0, le=1)
    enabled: bool = True
    tone: Tone = Tone.CALM
    mode: Literal["short", "long"] = "short"
    limit: int | None = None
    extras: dict[str, int] = Field(default_factory=dict, description="Name to weight")


BASE = PluginSpec(
    name="base-kit", display_name="Base kit", version="2.1.0", author="t", category="c"
)
GREETER = PluginSpec(
    name="greeter",
    display_name="Greeter",
    version="1.4.2",
    author="t",
    category="c",
    settings_model=GreeterSettings,
    dependencies=("base-kit",),
)


@pytest.fixture
def client(db_url: str, db: Database, clock: FrozenClock) -> Iterator[TestClient]:
    settings = make_settings(db_url, auth_cookie_secure=False)
    app = create_app(settings, db=db, clock=clock, plugins=[BASE, GREETER])
    with TestClient(app, headers={"Origin": "http://testserver"}) as test_client:
        yield test_client


def status_of(db: Database, name: str) -> str | None:
    with db.read() as conn:
        return conn.execute(select(Plugin.status).where(Plugin.name == name)).scalar()


def step(client: TestClient, csrf: str, name: str, what: str, **form: str):
    return client.post(
        f"{PATH}/{name}/{what}", data={"csrf_token": csrf, **form}, follow_redirects=False
    )


def card(html: str, name: str) -> str:
    found = re.search(rf'data-plugin="{name}">(.*?)</li>', html, re.S)
    assert found, html
    return found.group(1)


def test_the_lifecycle_with_its_dependency_refusals(
    client: TestClient, db: Database, clock: FrozenClock
):
    csrf = signed_in(client, person(db, clock, "admin"))
    html = client.get(PATH).text
    greeter = card(html, "greeter")
    assert "1.4.2" in greeter and "Not installed" in greeter
    assert 'base-kit <span class="muted">(not installed)' in greeter
    refused = step(client, csrf, "greeter", "install")
    assert refused.status_code == 409
    assert "Install base-kit before greeter" in card(refused.text, "greeter")
    assert status_of(db, "greeter") is None
    assert step(client, csrf, "base-kit", "install").status_code == 303
    done = step(client, csrf, "greeter", "install")
    assert done.status_code == 303
    assert "greeter: installed." in client.get(done.headers["location"]).text
    inactive = step(client, csrf, "greeter", "activate")
    assert inactive.status_code == 409
    assert "Activate base-kit before greeter" in card(inactive.text, "greeter")
    assert status_of(db, "greeter") == "inactive"
    assert step(client, csrf, "base-kit", "activate").status_code == 303
    assert step(client, csrf, "greeter", "activate").status_code == 303
    assert status_of(db, "greeter") == "active"
    needed = step(client, csrf, "base-kit", "deactivate")
    assert needed.status_code == 409
    assert "greeter need base-kit" in card(needed.text, "base-kit")
    assert status_of(db, "base-kit") == "active"
    blocked = step(client, csrf, "base-kit", "uninstall")
    assert blocked.status_code == 409 and status_of(db, "base-kit") == "active"
    assert step(client, csrf, "greeter", "deactivate").status_code == 303
    assert step(client, csrf, "greeter", "uninstall", keep_data="1").status_code == 303
    assert status_of(db, "greeter") is None
    assert "Not installed" in card(client.get(PATH).text, "greeter")


def test_the_settings_form_is_generated_from_the_model(
    client: TestClient, db: Database, clock: FrozenClock
):
    csrf = signed_in(client, person(db, clock, "admin"))
    for name in ("base-kit", "greeter"):
        step(client, csrf, name, "install")
    html = client.get(f"{PATH}/greeter/settings").text
    assert 'name="greeting" type="text" value="Hello"' in html and 'maxlength="40"' in html
    assert "What it says" in html
    assert '<label class="field__label" for="s-repeat">Repeat count' in html
    assert 'name="repeat" type="number" value="1" step="1"' in html and 'max="5"' in html
    assert 'name="ratio" type="number" value="0.5" step="any"' in html
    assert 'type="checkbox" id="s-enabled" name="enabled" value="true" checked' in html
    assert '<option value="loud">loud</option>' in html
    assert '<option value="short" selected>short</option>' in html
    assert "(optional)" in html  # limit: int | None
    assert re.search(r'<textarea[^>]*name="extras"[^>]*>\{\}</textarea>', html)
    assert "Name to weight" in html


def test_settings_are_saved_and_errors_stand_next_to_their_fields(
    client: TestClient, db: Database, clock: FrozenClock
):
    csrf = signed_in(client, person(db, clock, "admin"))
    for name in ("base-kit", "greeter"):
        step(client, csrf, name, "install")
    good = {
        "greeting": "Grüß dich <b>",
        "repeat": "3",
        "ratio": "0.25",
        "tone": "loud",
        "mode": "long",
        "limit": "",
        "extras": '{"a": 2}',
    }
    saved = client.post(
        f"{PATH}/greeter/settings", data={"csrf_token": csrf, **good}, follow_redirects=False
    )
    assert saved.status_code == 303
    expected = {
        "greeting": "Grüß dich <b>",
        "repeat": 3,
        "ratio": 0.25,
        "enabled": False,  # unticked
        "tone": "loud",
        "mode": "long",
        "limit": None,
        "extras": {"a": 2},
    }
    assert client.get("/admin/api/plugins/greeter/settings").json()["data"] == expected
    page = client.get(saved.headers["location"]).text
    assert "Settings saved." in page and "Grüß dich &lt;b&gt;" in page
    bad_cases = [
        ({"repeat": "9"}, "repeat", "less than or equal to 5"),
        ({"repeat": "three'; DROP TABLE plugins;--"}, "repeat", "valid integer"),
        ({"greeting": ""}, "greeting", "at least 1 character"),
        ({"greeting": "x" * 5000}, "greeting", "at most 40 characters"),
        ({"tone": "whisper"}, "tone", "Input should be"),
        ({"extras": "{not json"}, "extras", "not valid JSON"),
        ({"extras": '{"a": "heavy"}'}, "extras", "extras.a: Input should be a valid integer"),
    ]
    for change, field, words in bad_cases:
        answer = client.post(
            f"{PATH}/greeter/settings", data={"csrf_token": csrf, **good, **change}
        )
        assert answer.status_code == 422, change
        error = re.search(rf'id="s-{field}-error">([^<]+)<', answer.text)
        assert error and words in error.group(1), (change, answer.text[-2000:])
        assert 'aria-invalid="true"' in answer.text
    # nothing partial: the stored settings are those saved first
    assert client.get("/admin/api/plugins/greeter/settings").json()["data"] == expected
    # and the API's PUT refuses the same bad value with the same path
    api = client.put("/admin/api/plugins/greeter/settings", json={"repeat": 9})
    assert api.status_code == 422 and api.json()["details"][0]["path"] == "repeat"


def test_read_form_keeps_types_and_maps_empties():
    inputs = build_inputs(GreeterSettings.model_json_schema(), {})
    form = {"limit": "", "mode": "long", "enabled": "true", "extras": '{"a": 1}'}
    changes, problems = read_form(inputs, form)
    assert problems == {}
    assert changes["limit"] is None and changes["enabled"] is True and changes["mode"] == "long"
    assert changes["extras"] == {"a": 1} and changes["repeat"] == ""  # the model says why
    _, problems = read_form(inputs, {"extras": ""})
    assert list(problems) == ["extras"] and "not valid JSON" in problems["extras"]


def test_roles_without_the_permission(client: TestClient, db: Database, clock: FrozenClock):
    admin = person(db, clock, "admin")
    csrf = signed_in(client, admin)
    step(client, csrf, "base-kit", "install")
    csrf = signed_in(client, person(db, clock, "editor"))
    assert 'href="/admin/plugins"' not in client.get("/admin").text
    assert client.get(PATH).status_code == 403
    assert client.get(f"{PATH}/base-kit/settings").status_code == 403
    assert step(client, csrf, "base-kit", "activate").status_code == 403
    assert status_of(db, "base-kit") == "inactive"


def test_csrf_and_unknown_steps_are_refused(client: TestClient, db: Database, clock: FrozenClock):
    csrf = signed_in(client, person(db, clock, "admin"))
    assert client.post(f"{PATH}/base-kit/install", follow_redirects=False).status_code == 403
    assert status_of(db, "base-kit") is None
    assert step(client, csrf, "base-kit", "explode").status_code == 404
    assert step(client, csrf, "no-such-plugin", "install").status_code == 404
    assert client.get(f"{PATH}/no-such-plugin/settings").status_code == 404
