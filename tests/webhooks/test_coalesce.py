"""Responses leave in one socket write: a held-back write joins the next, or goes out on the loop's next turn."""

from __future__ import annotations

import asyncio
import socket
import threading

import httpx
import uvicorn

from tests.webhooks.conftest import SECRET
from tests.webhooks.test_receiver import payload, post
from webhooks.app import create_app
from webhooks.coalesce import CoalescingH11Protocol, CoalescingWriter
from webhooks.settings import ReceiverSettings


class Recorder(asyncio.Transport):
    """A transport that keeps what it was asked to write."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str, default: object = None) -> object:
        return "extra" if name == "sockname" else default


async def test_head_and_body_go_out_together_and_a_lone_write_on_the_next_turn() -> None:
    transport = Recorder()
    writer = CoalescingWriter(transport, asyncio.get_running_loop())
    writer.write(b"HTTP/1.1 202 Accepted\r\n\r\n")
    assert transport.writes == []
    writer.write(b'{"status": "accepted"}')
    writer.write(b"")  # h11's end of a Content-Length body
    assert transport.writes == [b'HTTP/1.1 202 Accepted\r\n\r\n{"status": "accepted"}']
    writer.write(b"HTTP/1.1 200 OK\r\n\r\n")
    await asyncio.sleep(0)  # the loop's next turn
    assert transport.writes[1:] == [b"HTTP/1.1 200 OK\r\n\r\n"]
    assert writer.get_extra_info("sockname") == "extra"


async def test_closing_sends_what_is_held_first() -> None:
    transport = Recorder()
    writer = CoalescingWriter(transport, asyncio.get_running_loop())
    writer.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
    writer.close()
    assert transport.writes == [b"HTTP/1.1 400 Bad Request\r\n\r\n"] and transport.closed
    await asyncio.sleep(0)
    assert len(transport.writes) == 1


def test_receiver_answers_through_the_coalescing_protocol(db_url: str) -> None:
    """Served as ``engarde receiver`` serves it: whole answers, keep-alive, a malformed request refused."""
    settings = ReceiverSettings(
        poshvip_webhook_secret=SECRET, database_url=db_url, receiver_emit_events=False
    )
    config = uvicorn.Config(
        create_app(settings), port=0, log_level="warning", http=CoalescingH11Protocol, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            assert thread.is_alive(), "the receiver did not start"
            threading.Event().wait(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        assert post(base, payload("evt_c1")).json()["status"] == "accepted"
        with httpx.Client(base_url=base) as client:  # one kept-alive connection, answers in order
            assert [client.get("/healthz").json() for _ in range(3)] == [{"status": "ok"}] * 3
        with socket.create_connection(("127.0.0.1", port)) as raw:
            raw.sendall(b"NOT HTTP\r\n\r\n")
            answer = raw.recv(4096)
        assert answer.startswith(b"HTTP/1.1 400")
    finally:
        server.should_exit = True
        thread.join(15)
