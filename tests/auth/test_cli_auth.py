"""``sonic tokens ...`` and ``sonic users list|set-role|set-password`` against a real database."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from sonic_cms.cli import tokens, users
from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from tests.utils.auth import create_random_user

runner = CliRunner()


@pytest.fixture
def cli_env(settings: Settings) -> dict[str, str]:
    return {
        "SONIC_ENV": "test",
        "SONIC_SECRET_KEY": settings.secret_key,
        "SONIC_CONFIG_FILE": "/nonexistent/sonic.toml",
        "SONIC_DATABASE_URL": settings.database_url,
    }


def test_tokens_create_list_revoke(
    client: TestClient, db: Database, clock: FrozenClock, cli_env: dict[str, str]
):
    editor = create_random_user(db, clock, "editor")
    created = runner.invoke(
        tokens.app,
        ["create", "--user", editor.email, "--name", "deploy", "-p", "content.read"],
        env=cli_env,
    )
    assert created.exit_code == 0, created.output
    secret = created.output.strip().splitlines()[-1]
    assert secret.startswith("sonic_")
    me = client.get("/auth/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.json()["user"]["id"] == editor.id
    listed = runner.invoke(tokens.app, ["list", "--user", editor.username], env=cli_env)
    assert listed.exit_code == 0 and "deploy" in listed.output and secret not in listed.output
    token_id = listed.output.split()[0]
    revoked = runner.invoke(tokens.app, ["revoke", token_id], env=cli_env)
    assert revoked.exit_code == 0
    assert client.get("/auth/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    again = runner.invoke(tokens.app, ["revoke", token_id], env=cli_env)
    assert again.exit_code == 1 and "not found" in again.output.lower()


def test_tokens_create_refuses_permissions_beyond_the_owner(
    db: Database, clock: FrozenClock, cli_env: dict[str, str]
):
    viewer = create_random_user(db, clock, "viewer")
    result = runner.invoke(
        tokens.app,
        ["create", "--user", viewer.email, "--name", "x", "-p", "users.delete"],
        env=cli_env,
    )
    assert result.exit_code == 1 and "users.delete" in result.output


def test_users_list_set_role_set_password(
    client: TestClient, db: Database, clock: FrozenClock, cli_env: dict[str, str]
):
    admin = create_random_user(db, clock, "admin")
    author = create_random_user(db, clock, "author")
    listed = runner.invoke(users.app, ["list", "--role", "author"], env=cli_env)
    assert listed.exit_code == 0 and author.email in listed.output
    assert admin.email not in listed.output
    promoted = runner.invoke(users.app, ["set-role", author.email, "editor"], env=cli_env)
    assert promoted.exit_code == 0
    assert (
        "editor"
        in runner.invoke(users.app, ["list", "--search", author.username], env=cli_env).output
    )
    last = runner.invoke(users.app, ["set-role", admin.email, "viewer"], env=cli_env)
    assert last.exit_code == 1 and "last active admin" in last.output
    changed = runner.invoke(
        users.app,
        ["set-password", author.username, "--password-stdin"],
        input="brand new password\n",
        env=cli_env,
    )
    assert changed.exit_code == 0, changed.output
    login = client.post(
        "/auth/login", json={"email": author.email, "password": "brand new password"}
    )
    assert login.status_code == 200
    weak = runner.invoke(
        users.app,
        ["set-password", author.username, "--password-stdin"],
        input="short\n",
        env=cli_env,
    )
    assert weak.exit_code == 1
