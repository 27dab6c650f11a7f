"""What a delivery may not do to the receiver: store kilobytes of junk headers, or hold a request open."""

from __future__ import annotations

import socket
from collections.abc import Callable

import httpx
from sqlalchemy import Engine

from connectors.poshvip import sign
from tests.webhooks.conftest import SECRET
from tests.webhooks.test_receiver import payload, post, rows
from webhooks.app import WEBHOOK_PATH
from webhooks.headers import CUT_MARK, DROPPED, MAX_TOTAL_CHARS, MAX_VALUE_CHARS, stored_headers
from webhooks.server import RunningReceiver

Start = Callable[..., RunningReceiver]


def test_stored_headers_leave_credentials_out_and_cap_values_and_total() -> None:
    headers = [
        ("Authorization", "Bearer x"),
        ("X-Api-Token", "t"),
        ("X-Trace", "t1"),
        ("X-Junk", "j" * 65536),
    ]
    headers += [(f"X-Many-{i}", "v" * 900) for i in range(20)]
    kept = stored_headers(headers)
    assert "authorization" not in kept and "x-api-token" not in kept
    assert kept["x-trace"] == "t1"
    assert kept["x-junk"] == "j" * MAX_VALUE_CHARS + CUT_MARK
    assert sum(len(k) + len(v) for k, v in kept.items() if k != DROPPED) <= MAX_TOTAL_CHARS
    assert int(kept[DROPPED]) > 0 and len(kept) < len(headers)


def test_big_junk_header_is_not_stored_as_is(receiver: Start, engine: Engine) -> None:
    running = receiver()
    body = payload("evt_junk")
    response = post(running.base_url, body, headers={"X-Junk": "j" * 12_000})
    assert response.status_code == 202
    [row] = rows(engine)
    assert row.body == body
    assert row.headers["x-junk"].endswith(CUT_MARK) and len(row.headers["x-junk"]) < 1100
    # 64 KB in one header: either the server refuses the request or the stored value is capped.
    huge = post(running.base_url, payload("evt_huge"), headers={"X-Junk": "j" * 65_536})
    if huge.status_code == 202:
        assert all(len(r.headers.get("x-junk", "")) < 1100 for r in rows(engine))
    else:
        assert huge.status_code in (400, 431) and len(rows(engine)) == 1


def test_stalled_body_is_timed_out_and_nothing_stored(receiver: Start, engine: Engine) -> None:
    running = receiver(receiver_body_timeout=0.5)
    body = payload("evt_stall")
    host, port = running.base_url.removeprefix("http://").split(":")
    head = (
        f"POST {WEBHOOK_PATH} HTTP/1.1\r\nHost: {host}\r\nX-Posh-Signature: {sign(body, SECRET)}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        conn.sendall(head + body[:10])  # ... and the rest never comes
        answer = b""
        while b"}" not in answer and (chunk := conn.recv(65536)):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 408")
    assert b"body_timeout" in answer
    assert rows(engine) == []
    assert post(running.base_url, body).status_code == 202  # the sender's retry lands
    assert httpx.get(running.base_url + "/healthz").status_code == 200
