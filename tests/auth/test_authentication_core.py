import jwt
import pytest

from sonic_cms.auth.access_tokens import decode_access_token
from sonic_cms.clock import FrozenClock
from sonic_cms.config import Settings
from sonic_cms.db.engine import Database
from sonic_cms.errors import Unauthorized
from tests.utils.auth import actor_with_role, bearer_headers


def test_role_permissions_come_from_the_tables(db: Database, clock: FrozenClock):
    admin = actor_with_role(db, clock, "admin")
    viewer = actor_with_role(db, clock, "viewer")
    assert admin.can("content.publish") and admin.can("users.delete")
    assert viewer.can("content.read") and not viewer.can("content.create")


def test_expired_token_is_refused(db: Database, settings: Settings, clock: FrozenClock):
    headers = bearer_headers(db, settings, clock, "editor")
    token = headers["Authorization"].split()[1]
    assert decode_access_token(settings, token, now_ms=clock.now_ms())["typ"] == "access"
    clock.advance((settings.access_token_ttl_seconds + 1) * 1000)
    with pytest.raises(Unauthorized):
        decode_access_token(settings, token, now_ms=clock.now_ms())


def test_alg_none_token_is_refused(settings: Settings, clock: FrozenClock):
    forged = jwt.encode({"sub": "x", "typ": "access"}, key=None, algorithm="none")
    with pytest.raises(Unauthorized):
        decode_access_token(settings, forged, now_ms=clock.now_ms())
