"""A real SMTP server on loopback (aiosmtpd in a thread) that keeps what it receives."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller


class Inbox:
    """Collects every mail the server accepts."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.original_content))
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Message]:
        """Wait until ``count`` mails arrived."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.messages) >= count, f"expected {count} mails, got {len(self.messages)}"
        return self.messages

    def last_token(self, path: str) -> str:
        """The token in the last mail's link to ``path``."""
        body = self.wait_for(1)[-1].get_payload(decode=True).decode()
        found = re.search(re.escape(path) + r"\?token=([^\s]+)", body)
        assert found, body
        return found.group(1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    """Run an SMTP server on a free loopback port; yields (inbox, port)."""
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()
