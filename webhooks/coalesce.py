"""One socket write per response: uvicorn's HTTP/1.1 protocol with the status line and body sent together.

uvicorn writes a response's status line and headers, then its body, as two transport writes,
and on an idle keep-alive connection each write is its own ``send()`` system call and its own
TCP segment. On loopback under load that second call cost the receiver more CPU than its
JSON answer is worth (the bench's floor answers with an empty body, so one write).

:class:`CoalescingH11Protocol` hands the request cycle a :class:`CoalescingWriter`: a write
is held back (not sent) until the next write in the same step of the event loop, which then
goes out joined with it in one call, or until the loop's next turn (``call_soon``), so nothing
waits longer than the current turn. Closing the connection sends what is held first.
Everything else (flow control, reading, websockets) still talks to the real transport.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol


class CoalescingWriter:
    """A transport whose ``write`` joins a held-back write with the next one (see the module docstring)."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Send ``data`` together with what is held, or hold it until the next write or loop turn."""
        if not data:
            return
        held = self._held
        if held is None:
            self._held = bytes(data)
            self._loop.call_soon(self.flush)
            return
        self._held = None
        self._transport.write(held + data)

    def flush(self) -> None:
        """Send what is held back, if anything."""
        held, self._held = self._held, None
        if held is not None and not self._transport.is_closing():
            self._transport.write(held)

    def close(self) -> None:
        """Send what is held back, then close (the transport still sends its own buffer first)."""
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CoalescingH11Protocol(H11Protocol):
    """uvicorn's h11 protocol writing each response with one system call (``uvicorn.Config(http=...)``)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Set the connection up as uvicorn does, then route the request cycles' writes through a writer."""
        super().connection_made(transport)
        self.transport = CoalescingWriter(transport, self.loop)  # type: ignore[assignment]
