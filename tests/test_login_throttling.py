"""Brute force: 429 with Retry-After per account and per IP, windows on the injectable clock."""

from __future__ import annotations

from fastapi.testclient import TestClient

from sonic_cms.api.app import create_app
from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import User
from sonic_cms.services.passwords import hash_password
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
    db: Database, settings: Settings, clock: FrozenClock
):
    import threading

    from sonic_cms.services.errors import TooManyRequests, Unauthorized
    from sonic_cms.services.login import login

    user = create_random_user(db, clock)
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def guess() -> None:
        barrier.wait()
        try:
            login(db, settings, clock, identifier=user.email, password="wrong guess")
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
    assert outcomes.count("401") == settings.login_max_failures_per_account
