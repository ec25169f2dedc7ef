"""Run the `sonic` CLI with argon2id at minimum cost, as tests/conftest.py does in-process.

Used as a script (``python serve_cheap_hashing.py serve --port N``) by tests/utils/live_server.py:
everything else about the server is the real `sonic serve`.
"""

from __future__ import annotations

from argon2 import PasswordHasher

from sonic_cms.auth import passwords
from sonic_cms.cli.main import main


def _cheap_hashing() -> None:
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    passwords._HASHER = cheap
    passwords.DUMMY_HASH = cheap.hash("sonic-cms dummy password for timing")


if __name__ == "__main__":
    _cheap_hashing()
    main()
