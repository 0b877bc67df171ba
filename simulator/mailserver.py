"""A real SMTP server on loopback, standing in for the store's mail relay when the agent e-mails a customer."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from typing import Any


class Inbox:
    """A local SMTP server's handler: keeps the text of each message it is given."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = messages

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        from email import message_from_bytes
        from email.policy import default

        message = message_from_bytes(envelope.content, policy=default)
        body = message.get_body(preferencelist=("plain",))
        self.messages.append(f"Subject: {message['subject']}\n\n{body.get_content() if body else ''}")
        return "250 OK"


@contextlib.contextmanager
def smtp_server(messages: list[str]) -> Iterator[int]:
    """A real SMTP server on loopback for the demo's and the replays' e-mail, as a store's mail relay would be."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Inbox(messages), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
