"""Spent one-time secrets (OTP codes, magic links) do not pile up: a day after they expire
they are deleted on the next request from any address, not only when their own address asks
again (an address a stranger typed once never asks again)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from sonic_cms.builtin_plugins.magic_link_auth.tables import magic_links
from sonic_cms.builtin_plugins.otp_login.tables import otp_codes
from sonic_cms.builtin_plugins.passwordless import KEEP_MS
from sonic_cms.clock import FrozenClock
from sonic_cms.db.engine import Database
from tests.utils.auth import create_random_user
from tests.utils.passwordless import plugin_app, request_mail

PLUGINS = {
    "otp-login": ("/auth/otp/request", otp_codes),
    "magic-link-auth": ("/auth/magic-link/request", magic_links),
}


@pytest.mark.parametrize("plugin", PLUGINS)
def test_expired_secrets_of_other_addresses_are_pruned(
    plugin: str, db_url: str, db: Database, clock: FrozenClock
):
    path, table = PLUGINS[plugin]
    once, later = (create_random_user(db, clock, "editor") for _ in range(2))

    def rows_of(email: str) -> int:
        with db.read() as conn:
            mine = table.c.user_email == email
            return int(conn.execute(select(func.count()).where(mine)).scalar_one())

    with plugin_app(db_url, db, clock, plugin) as (client, inbox):
        request_mail(client, inbox, path, once.email)
        assert rows_of(once.email) == 1
        clock.advance(KEEP_MS)  # expired, but not yet a day ago: kept
        request_mail(client, inbox, path, later.email)
        assert (rows_of(once.email), rows_of(later.email)) == (1, 1)
        clock.advance(3_600_000)  # now more than a day past its expiry
        request_mail(client, inbox, path, later.email)
        assert rows_of(once.email) == 0
        assert rows_of(later.email) == 2  # its first code: expired under an hour ago
