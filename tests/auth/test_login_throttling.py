"""Brute force: 429 with Retry-After per account and per IP, windows on the injectable clock."""

from __future__ import annotations

from fastapi.testclient import TestClient

from sonic_cms.api.app import create_app
from sonic_cms.auth.passwords import hash_password
from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.context import Context
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import User
from tests.conftest import make_settings
from tests.utils.auth import TEST_PASSWORD, create_random_user


def attempt(client: TestClient, email: str, password: str = "wrong password"):
    return client.post("/auth/login", json={"email": email, "password": password})


def test_account_locks_after_repeated_failures(
    client: TestClient, db: Database, settings: Settings, clock: FrozenClock
):
    user = create_random_user(db, clock)
    limit = settings.login_max_failures_per_account
    for _ in range(limit):
        assert attempt(client, user.email).status_code == 401
    locked = attempt(client, user.email, TEST_PASSWORD)  # even the right password
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) == settings.login_throttle_window_seconds
    assert locked.json()["code"] == "rate_limited"
    clock.advance(settings.login_throttle_window_seconds * 1000)
    assert attempt(client, user.email, TEST_PASSWORD).status_code == 200


def test_unknown_accounts_lock_the_same_way(client: TestClient, settings: Settings):
    for _ in range(settings.login_max_failures_per_account):
        assert attempt(client, "ghost@example.com").status_code == 401
    assert attempt(client, "ghost@example.com").status_code == 429


def test_success_resets_the_account_counter(
    client: TestClient, db: Database, settings: Settings, clock: FrozenClock
):
    user = create_random_user(db, clock)
    for _ in range(settings.login_max_failures_per_account - 1):
        attempt(client, user.email)
    assert attempt(client, user.email, TEST_PASSWORD).status_code == 200
    assert attempt(client, user.email).status_code == 401  # counting starts over


def test_ip_limit_spans_accounts(db_url: str, db: Database, clock: FrozenClock):
    settings = make_settings(db_url, login_max_failures_per_ip=3)
    with TestClient(create_app(settings, db=db, clock=clock)) as client:
        for index in range(3):
            assert attempt(client, f"user{index}@example.com").status_code == 401
        assert attempt(client, "fresh@example.com").status_code == 429


def test_over_long_password_is_cheap_and_refused(client: TestClient, db, clock):
    user = create_random_user(db, clock)
    response = attempt(client, user.email, "x" * 500_000)
    assert response.status_code == 401


def test_legacy_sonicjs_hash_is_verified_then_rehashed(
    client: TestClient, db: Database, clock: FrozenClock
):
    import hashlib

    from sqlalchemy import select, update

    user = create_random_user(db, clock)
    salt = bytes(range(16))
    derived = hashlib.pbkdf2_hmac("sha256", TEST_PASSWORD.encode(), salt, 1000, 32)
    legacy = f"pbkdf2:1000:{salt.hex()}:{derived.hex()}"
    with db.write() as conn:
        conn.execute(update(User).where(User.id == user.id).values(password_hash=legacy))
    assert attempt(client, user.email, TEST_PASSWORD).status_code == 200
    with db.read() as conn:
        stored = conn.execute(select(User.password_hash).where(User.id == user.id)).scalar_one()
    assert stored.startswith("$argon2id$") and stored != hash_password(TEST_PASSWORD)


def test_forwarded_for_is_believed_only_from_trusted_proxies(
    db_url: str, db: Database, clock: FrozenClock
):
    settings = make_settings(db_url, login_max_failures_per_ip=2, trusted_proxies="testclient")
    with TestClient(create_app(settings, db=db, clock=clock)) as client:

        def from_ip(ip: str, email: str):
            return client.post(
                "/auth/login",
                json={"email": email, "password": "nope"},
                headers={"X-Forwarded-For": f"6.6.6.6, {ip}"},
            )

        assert from_ip("1.1.1.1", "a@example.com").status_code == 401
        assert from_ip("1.1.1.1", "b@example.com").status_code == 401
        assert from_ip("1.1.1.1", "c@example.com").status_code == 429
        assert from_ip("2.2.2.2", "d@example.com").status_code == 401  # another client
    untrusted = make_settings(db_url, login_max_failures_per_ip=2)
    with TestClient(create_app(untrusted, db=db, clock=clock)) as client:
        for index, ip in enumerate(("3.3.3.3", "4.4.4.4")):
            client.post(
                "/auth/login",
                json={"email": f"x{index}@example.com", "password": "n"},
                headers={"X-Forwarded-For": ip},
            )
        spoofed = client.post(
            "/auth/login",
            json={"email": "y@example.com", "password": "n"},
            headers={"X-Forwarded-For": "5.5.5.5"},
        )
        assert spoofed.status_code == 429  # the header is ignored: same peer, same counter


def test_parallel_guesses_cannot_overshoot_the_limit(
    ctx: Context, db: Database, clock: FrozenClock
):
    import threading

    from sonic_cms.auth.login import login
    from sonic_cms.errors import TooManyRequests, Unauthorized

    user = create_random_user(db, clock)
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def guess() -> None:
        barrier.wait()
        try:
            login(ctx, identifier=user.email, password="wrong guess")
        except Unauthorized:
            outcomes.append("401")
        except TooManyRequests:
            outcomes.append("429")

    threads = [threading.Thread(target=guess) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 8  # nothing else (no driver error) escaped
    assert outcomes.count("401") == ctx.settings.login_max_failures_per_account


# -- one counter per account, whichever name is used (issue 12, hole 5) ---------------------


def by_username(client: TestClient, username: str, password: str = "wrong password"):
    return client.post("/auth/login", json={"username": username, "password": password})


def lock_out(settings: Settings, guess) -> None:
    """Spend the account's whole allowance of failures through ``guess``."""
    for _ in range(settings.login_max_failures_per_account):
        assert guess().status_code == 401


def test_an_account_locked_by_email_is_locked_for_its_username(
    client: TestClient, db: Database, settings: Settings, clock: FrozenClock
):
    user = create_random_user(db, clock)
    lock_out(settings, lambda: attempt(client, user.email))
    for password in ("another wrong guess", TEST_PASSWORD):
        locked = by_username(client, user.username, password)
        assert locked.status_code == 429, locked.text
        assert int(locked.headers["Retry-After"]) == settings.login_throttle_window_seconds
    assert attempt(client, user.email.upper(), TEST_PASSWORD).status_code == 429
    clock.advance(settings.login_throttle_window_seconds * 1000)
    assert by_username(client, user.username, TEST_PASSWORD).status_code == 200


def test_an_account_locked_by_username_is_locked_for_its_email_in_any_case(
    client: TestClient, db: Database, settings: Settings, clock: FrozenClock
):
    user = create_random_user(db, clock)
    lock_out(settings, lambda: by_username(client, user.username))
    for name in (user.email, user.email.upper(), f"  {user.email.title()} "):
        assert attempt(client, name, TEST_PASSWORD).status_code == 429, name


def test_failures_through_every_name_of_an_account_add_up(
    client: TestClient, db: Database, settings: Settings, clock: FrozenClock
):
    user = create_random_user(db, clock)
    names = [user.email, user.username, user.email.upper(), user.email.swapcase()]
    for index in range(settings.login_max_failures_per_account):
        name = names[index % len(names)]
        assert attempt(client, name).status_code == 401, name
    assert by_username(client, user.username, TEST_PASSWORD).status_code == 429


def test_unknown_names_are_throttled_exactly_like_real_ones(
    client: TestClient, db: Database, settings: Settings, clock: FrozenClock
):
    """The same sequence against a real and an invented account gives the same statuses,
    codes and Retry-After, for emails (any letter case) and usernames (exact) alike."""
    user = create_random_user(db, clock)

    def answers(email: str, username: str) -> list[tuple[int, str, str | None]]:
        tries = [lambda: attempt(client, email)] * settings.login_max_failures_per_account
        tries += [
            lambda: attempt(client, email.upper()),
            lambda: by_username(client, username.upper()),  # another username: not locked
        ]
        seen = []
        for send in tries:
            response = send()
            seen.append(
                (response.status_code, response.json()["code"], response.headers.get("Retry-After"))
            )
        return seen

    real = answers(user.email, user.username)
    invented = answers("nobody-at-all@example.com", "nobody_at_all")
    assert real == invented
    assert [status for status, _, _ in real][-2:] == [429, 401]


def test_the_address_cap_spans_many_real_accounts(db_url: str, db: Database, clock: FrozenClock):
    settings = make_settings(db_url, login_max_failures_per_ip=4)
    users = [create_random_user(db, clock) for _ in range(5)]
    with TestClient(create_app(settings, db=db, clock=clock)) as client:
        for user in users[:4]:
            assert attempt(client, user.email).status_code == 401  # one guess per account
        blocked = attempt(client, users[4].email, TEST_PASSWORD)
        assert blocked.status_code == 429  # the address is locked, even for a right password
        clock.advance(settings.login_throttle_window_seconds * 1000)
        assert attempt(client, users[4].email, TEST_PASSWORD).status_code == 200


def test_a_success_clears_the_account_but_not_the_address(
    db_url: str, db: Database, clock: FrozenClock
):
    settings = make_settings(db_url, login_max_failures_per_ip=3)
    user = create_random_user(db, clock)
    with TestClient(create_app(settings, db=db, clock=clock)) as client:
        assert attempt(client, user.email).status_code == 401
        assert attempt(client, "ghost-1@example.com").status_code == 401
        assert attempt(client, user.username, TEST_PASSWORD).status_code == 200
        # The address keeps its two failures; the third locks it.
        assert attempt(client, "ghost-2@example.com").status_code == 401
        assert attempt(client, user.email, TEST_PASSWORD).status_code == 429


def test_wrong_two_factor_codes_lock_the_account(
    client: TestClient, db: Database, settings: Settings, clock: FrozenClock
):
    from tests.auth.test_two_factor import enrol
    from tests.utils.auth import headers_for

    user = create_random_user(db, clock)
    enrol(client, headers_for(db, settings, clock, user), clock)
    creds = {"email": user.email, "password": TEST_PASSWORD}
    # Asking for the code (right password, no code) is no failure, however often.
    for _ in range(settings.login_max_failures_per_account + 1):
        missing = client.post("/auth/login", json=creds)
        assert missing.json()["code"] == "two_factor_required"
    for _ in range(settings.login_max_failures_per_account):
        wrong = client.post("/auth/login", json={**creds, "code": "000000"})
        assert wrong.status_code == 401
    assert client.post("/auth/login", json=creds).status_code == 429
    assert by_username(client, user.username, TEST_PASSWORD).status_code == 429


def test_password_change_shares_the_account_throttle(
    client: TestClient, db: Database, settings: Settings, clock: FrozenClock
):
    from tests.utils.auth import headers_for

    user = create_random_user(db, clock)
    headers = headers_for(db, settings, clock, user)

    def change(current: str):
        body = {"current_password": current, "new_password": "a brand new passphrase"}
        return client.post("/auth/change-password", json=body, headers=headers)

    for _ in range(settings.login_max_failures_per_account):
        assert change("not my password").status_code == 403
    locked = change(TEST_PASSWORD)
    assert locked.status_code == 429 and locked.json()["code"] == "rate_limited"
    assert int(locked.headers["Retry-After"]) == settings.login_throttle_window_seconds
    assert attempt(client, user.email, TEST_PASSWORD).status_code == 429  # the same account
    clock.advance(settings.login_throttle_window_seconds * 1000)
    headers = headers_for(db, settings, clock, user)
    assert change(TEST_PASSWORD).status_code == 200


def test_two_factor_disable_and_confirm_are_throttled(
    client: TestClient, db: Database, settings: Settings, clock: FrozenClock
):
    from tests.auth.test_two_factor import code_at, enrol
    from tests.utils.auth import headers_for

    user = create_random_user(db, clock)
    headers = headers_for(db, settings, clock, user)
    secret = enrol(client, headers, clock)
    for _ in range(settings.login_max_failures_per_account):
        wrong = client.post("/auth/2fa/disable", json={"code": "000000"}, headers=headers)
        assert wrong.status_code == 422
    clock.advance(30_000)  # a fresh step, so the code below is not a replay
    locked = client.post(
        "/auth/2fa/disable", json={"code": code_at(secret, clock)}, headers=headers
    )
    assert locked.status_code == 429
    other = create_random_user(db, clock)
    other_headers = headers_for(db, settings, clock, other)
    client.post("/auth/2fa/enroll", headers=other_headers)
    for _ in range(settings.login_max_failures_per_account):
        bad = client.post("/auth/2fa/confirm", json={"code": "000000"}, headers=other_headers)
        assert bad.status_code == 422
    again = client.post("/auth/2fa/confirm", json={"code": "000000"}, headers=other_headers)
    assert again.status_code == 429
