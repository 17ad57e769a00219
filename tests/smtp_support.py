"""A real SMTP server on loopback for the tests that mail: aiosmtpd's Controller on 127.0.0.1 and a free
port, and a handler that stores what arrives and can refuse, defer or drop."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, cast

from aiosmtpd.controller import Controller


@dataclass
class Handler:
    """Stores what arrives; can refuse a recipient (550), defer one (451), or drop connections."""

    messages: list[Any] = field(default_factory=list)
    peers: set[Any] = field(default_factory=set)
    reject: set[str] = field(default_factory=set)
    defer: set[str] = field(default_factory=set)
    drop_after: int | None = None  # drop the connection at MAIL FROM once this many have arrived
    stay_down: bool = False  # keep dropping after that, not just once
    drop_in_data: set[str] = field(default_factory=set)  # drop after the message is sent, before replying
    slow_rcpt: float = 0.0
    dropped: int = 0

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        self.peers.add(session.peer)
        if self.drop_after is not None and len(self.messages) >= self.drop_after:
            if not self.stay_down:
                self.drop_after = None
            self.dropped += 1
            server.transport.close()
            return "421 closing"
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.slow_rcpt:
            await asyncio.sleep(self.slow_rcpt)
        if address in self.reject:
            return "550 5.1.1 no such mailbox here"
        if address in self.defer:
            return "451 4.3.0 mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if set(envelope.rcpt_tos) & self.drop_in_data:
            server.transport.close()
            return "250 never seen"
        self.messages.append(envelope)
        return "250 2.0.0 Ok: queued as TEST"

    def parsed(self) -> list[EmailMessage]:
        """Every message that arrived, parsed."""
        return [
            message_from_bytes(m.content, _class=EmailMessage, policy=policy.default) for m in self.messages
        ]

    def count(self, email: str) -> int:
        """How many messages arrived for this address."""
        return sum(email in m.rcpt_tos for m in self.messages)


class LoopbackController(Controller):
    """aiosmtpd's Controller on 127.0.0.1 and an ephemeral port, found once the server listens."""

    logins: list[tuple[bytes, bytes]]  # what the client logged in with

    def _trigger_server(self) -> None:
        self.port = cast(asyncio.Server, self.server).sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]
