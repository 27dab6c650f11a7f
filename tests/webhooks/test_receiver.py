"""The receiver over loopback: order of checks, storage, redeliveries, database down, metrics, logs."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import socket
import threading
import time
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import Engine, select, text

from connectors.poshvip import sign
from store.models import WebhookEvent
from tests.webhooks.conftest import SECRET
from webhooks.app import WEBHOOK_PATH, ReceiverConfigError, create_app
from webhooks.server import RunningReceiver
from webhooks.settings import ReceiverSettings

Start = Callable[..., RunningReceiver]


def payload(event_id: str = "evt_1", **extra: object) -> bytes:
    body = {"id": event_id, "type": "purchase.created", "data": {"order_id": "ord_1", "email": "a@b.co"}}
    body.update(extra)
    return json.dumps(body).encode()


def post(
    base: str, body: bytes, *, secret: str | None = SECRET, headers: dict[str, str] | None = None
) -> httpx.Response:
    sent = {"Content-Type": "application/json", **(headers or {})}
    if secret is not None:
        sent["X-Posh-Signature"] = sign(body, secret)
    return httpx.post(base + WEBHOOK_PATH, content=body, headers=sent, timeout=10)


def rows(engine: Engine) -> list[WebhookEvent]:
    with engine.connect() as conn:
        return list(conn.execute(select(WebhookEvent).order_by(WebhookEvent.id)).all())  # type: ignore[arg-type]


def metric(base: str, line_start: str) -> int:
    text_ = httpx.get(base + "/metrics").text
    for line in text_.splitlines():
        if line.startswith(line_start) or (line_start in line and not line.startswith("#")):
            return int(line.rsplit(" ", 1)[1])
    return 0


def test_valid_delivery_is_stored_raw_with_safe_headers(receiver: Start, engine: Engine) -> None:
    running = receiver()
    body = payload("evt_42")
    response = post(running.base_url, body, headers={"Authorization": "Bearer leak-me", "X-Trace": "t1"})
    assert response.status_code == 202
    assert response.json() == {"status": "accepted", "key": "id:evt_42"}
    [row] = rows(engine)
    assert row.body == body
    assert row.provider == "poshvip" and row.event_key == "id:evt_42" and row.status == "pending"
    assert row.headers["x-trace"] == "t1"
    assert "authorization" not in row.headers
    assert row.event_type is None  # parsing happens in the flow, not in the request
    assert abs(row.received_at.timestamp() - time.time()) < 60


def test_redelivery_answers_200_and_stores_nothing_new(receiver: Start, engine: Engine) -> None:
    running = receiver()
    body = payload("evt_7")
    assert post(running.base_url, body).status_code == 202
    again = post(running.base_url, body)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    # Same event id, different bytes (a retry with a new timestamp field): still a redelivery.
    assert post(running.base_url, payload("evt_7", sent_at="later")).status_code == 200
    assert len(rows(engine)) == 1
    assert metric(running.base_url, 'outcome="duplicate"') == 2


def test_body_without_id_dedupes_on_its_hash(receiver: Start, engine: Engine) -> None:
    running = receiver()
    body = b'{"type": "purchase.created", "order": {"id": 5}}'
    assert post(running.base_url, body).json()["key"] == "sha256:" + hashlib.sha256(body).hexdigest()
    assert post(running.base_url, body).status_code == 200
    assert len(rows(engine)) == 1


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing_signature"),
        ({"X-Posh-Signature": sign(b"other body", SECRET)}, "bad_signature"),
        ({"X-Posh-Signature": "sha256=" + "0" * 64}, "bad_signature"),
        ({"X-Posh-Signature": "not a signature"}, "bad_signature"),
    ],
)
def test_unsigned_or_forged_is_401_and_not_stored(
    receiver: Start, engine: Engine, headers: dict[str, str], reason: str
) -> None:
    running = receiver()
    response = post(running.base_url, payload(), secret=None, headers=headers)
    assert response.status_code == 401 and response.json()["reason"] == reason
    forged = post(running.base_url, payload(), secret="someone-elses-secret")
    assert forged.status_code == 401
    assert rows(engine) == []
    assert metric(running.base_url, f'reason="{reason}"') >= 1


def test_signature_encodings_accepted(receiver: Start, engine: Engine) -> None:
    running = receiver()
    for i, encode in enumerate(
        [
            lambda d: d.hex(),
            lambda d: "sha256=" + d.hex().upper(),
            lambda d: base64.b64encode(d).decode(),
            lambda d: "v1," + base64.b64encode(d).decode(),
            lambda d: "sha256=" + "ab" * 32 + " sha256=" + d.hex(),  # rotation: any valid one
        ]
    ):
        body = payload(f"evt_enc_{i}")
        digest = hmac.new(SECRET.encode(), body, hashlib.sha256).digest()
        response = post(running.base_url, body, secret=None, headers={"X-Posh-Signature": encode(digest)})
        assert response.status_code == 202, (i, response.text)
    assert len(rows(engine)) == 5


def test_oversized_is_413_before_anything_else(receiver: Start, engine: Engine) -> None:
    running = receiver(receiver_max_body_bytes=1000)
    big = payload("evt_big", filler="x" * 2000)
    response = post(running.base_url, big)  # correctly signed, still too big
    assert response.status_code == 413
    unsigned = post(running.base_url, big, secret=None)
    assert unsigned.status_code == 413  # size is checked before the signature

    def chunks() -> object:
        for _ in range(5):
            yield b"x" * 400

    streamed = httpx.post(
        running.base_url + WEBHOOK_PATH,
        content=chunks(),
        headers={"X-Posh-Signature": "sha256=" + "0" * 64},  # type: ignore[arg-type]
    )
    assert streamed.status_code == 413
    assert rows(engine) == []
    assert metric(running.base_url, 'reason="too_large"') == 3


def test_timestamp_window(receiver: Start, engine: Engine) -> None:
    running = receiver(poshvip_timestamp_header="X-Posh-Timestamp", poshvip_sign_timestamp=True)
    body = payload("evt_ts")
    now = str(int(time.time()))
    signed = sign(body, SECRET, timestamp=now)
    ok = post(
        running.base_url, body, secret=None, headers={"X-Posh-Timestamp": now, "X-Posh-Signature": signed}
    )
    assert ok.status_code == 202
    stale = str(int(time.time()) - 3600)
    old = post(
        running.base_url,
        payload("evt_old"),
        secret=None,
        headers={
            "X-Posh-Timestamp": stale,
            "X-Posh-Signature": sign(payload("evt_old"), SECRET, timestamp=stale),
        },
    )
    assert old.status_code == 401 and old.json()["reason"] == "stale_timestamp"
    missing = post(running.base_url, payload("evt_nots"))
    assert missing.status_code == 401 and missing.json()["reason"] == "missing_timestamp"
    # A captured delivery replayed with a fresh timestamp fails: the timestamp is signed.
    replay = post(
        running.base_url,
        body,
        secret=None,
        headers={"X-Posh-Timestamp": str(int(time.time()) + 1), "X-Posh-Signature": signed},
    )
    assert replay.status_code == 401 and replay.json()["reason"] == "bad_signature"
    assert len(rows(engine)) == 1


def test_empty_and_non_json(receiver: Start, engine: Engine) -> None:
    running = receiver()
    empty = post(running.base_url, b"")
    assert empty.status_code == 400 and empty.json()["reason"] == "empty_body"
    assert post(running.base_url, b"", secret=None).status_code == 401  # unsigned empty: signature first
    # Signed but not JSON: authentic, so stored raw; the flow marks it unmapped with the reason.
    garbage = b"<xml>not json</xml>"
    response = post(running.base_url, garbage)
    assert response.status_code == 202
    assert response.json()["key"] == "sha256:" + hashlib.sha256(garbage).hexdigest()
    assert [r.body for r in rows(engine)] == [garbage]


def test_unreachable_database_answers_503_and_readyz_fails() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = ReceiverSettings(
        poshvip_webhook_secret=SECRET,
        database_url=f"postgresql://engarde:pw@127.0.0.1:{port}/engarde",
        receiver_emit_events=False,
    )
    with RunningReceiver(create_app(settings)) as running:
        assert httpx.get(running.base_url + "/healthz").status_code == 200
        assert httpx.get(running.base_url + "/readyz").status_code == 503
        response = post(running.base_url, payload())
        assert response.status_code == 503 and response.headers["retry-after"] == "5"
        assert metric(running.base_url, 'outcome="failed"') == 1
        assert metric(running.base_url, 'outcome="accepted"') == 0


def test_database_failing_mid_run_never_acknowledges(receiver: Start, engine: Engine) -> None:
    running = receiver()
    assert post(running.base_url, payload("evt_before")).status_code == 202
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE webhook_events RENAME TO webhook_events_away"))
    assert post(running.base_url, payload("evt_during")).status_code == 503
    assert httpx.get(running.base_url + "/readyz").status_code == 503  # the server answers; writes do not
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE webhook_events_away RENAME TO webhook_events"))
    assert post(running.base_url, payload("evt_during")).status_code == 202  # the sender's retry lands
    assert [r.event_key for r in rows(engine)] == ["id:evt_before", "id:evt_during"]


def test_receiver_without_secret_refuses_to_start(db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(ReceiverConfigError, match="POSHVIP_WEBHOOK_SECRET"):
        create_app(ReceiverSettings(poshvip_webhook_secret=None, database_url=db_url))
    with caplog.at_level(logging.WARNING, logger="webhooks.app"):
        app = create_app(
            ReceiverSettings(
                poshvip_webhook_secret=None,
                database_url=db_url,
                receiver_insecure_dev=True,
                receiver_emit_events=False,
            )
        )
    assert any("INSECURE" in r.getMessage() for r in caplog.records)
    with RunningReceiver(app) as running:
        assert post(running.base_url, payload("evt_dev"), secret=None).status_code == 202


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_unmigrated_database_refuses_to_start(tmp_path: object) -> None:
    settings = ReceiverSettings(poshvip_webhook_secret=SECRET, database_url=f"sqlite:///{tmp_path}/empty.db")
    with pytest.raises(RuntimeError, match="failed to start"):
        RunningReceiver(create_app(settings)).start()


def test_path_token(receiver: Start, engine: Engine) -> None:
    running = receiver(poshvip_path_token="tok-abc123")
    body = payload("evt_tok")
    headers = {"X-Posh-Signature": sign(body, SECRET)}
    assert httpx.post(running.base_url + WEBHOOK_PATH, content=body, headers=headers).status_code == 404
    assert (
        httpx.post(running.base_url + WEBHOOK_PATH + "/wrong", content=body, headers=headers).status_code
        == 404
    )
    assert (
        httpx.post(running.base_url + WEBHOOK_PATH + "/tok-abc123", content=body, headers=headers).status_code
        == 202
    )
    assert len(rows(engine)) == 1


def test_health_ready_and_metrics(receiver: Start) -> None:
    running = receiver()
    assert httpx.get(running.base_url + "/healthz").json() == {"status": "ok"}
    assert httpx.get(running.base_url + "/readyz").status_code == 200
    post(running.base_url, payload("evt_m1"))
    post(running.base_url, payload("evt_m1"))
    post(running.base_url, payload("evt_m2"), secret="forged")
    exposition = httpx.get(running.base_url + "/metrics")
    assert exposition.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert "# TYPE engarde_webhook_deliveries_total counter" in exposition.text
    assert metric(running.base_url, 'outcome="accepted"') == 1
    assert metric(running.base_url, 'outcome="duplicate"') == 1
    assert metric(running.base_url, 'reason="bad_signature"') == 1


async def test_concurrent_deliveries_with_duplicates_store_each_key_once(
    receiver: Start, engine: Engine
) -> None:
    running = receiver()
    bodies = [payload(f"evt_c{i % 30}") for i in range(120)]  # 30 unique, each sent 4 times at once
    limits = httpx.Limits(max_connections=16)
    async with httpx.AsyncClient(base_url=running.base_url, timeout=20, limits=limits) as client:
        responses = await asyncio.gather(
            *[
                client.post(WEBHOOK_PATH, content=b, headers={"X-Posh-Signature": sign(b, SECRET)})
                for b in bodies
            ]
        )
    codes = [r.status_code for r in responses]
    assert codes.count(202) == 30 and codes.count(200) == 90
    assert len(rows(engine)) == 30


def test_prefect_unreachable_does_not_affect_storage(
    db_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deliveries are stored and answered while the Prefect event hangs in flight: nobody waits on it.

    Had a request waited on the emission, it would hang (the emission is released only at the
    end) or answer once the notifier gave up on it, which counts a failure first.
    """
    import prefect.events

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{port}/api")
    in_flight, release = threading.Event(), threading.Event()
    payloads: list[object] = []

    def unreachable_prefect(**event: object) -> None:  # hangs as a call to an unreachable API does
        payloads.append(event["payload"])
        in_flight.set()
        release.wait(60)

    monkeypatch.setattr(prefect.events, "emit_event", unreachable_prefect)
    settings = ReceiverSettings(
        poshvip_webhook_secret=SECRET,
        database_url=db_url,
        receiver_emit_events=True,
        receiver_emit_interval=0.05,
    )
    app = create_app(settings)
    try:
        with RunningReceiver(app) as running:
            assert post(running.base_url, payload("evt_p0")).status_code == 202
            assert in_flight.wait(60), "the receiver never tried to emit its event"
            codes = [post(running.base_url, payload(f"evt_p{i}")).status_code for i in range(1, 6)]
            notifier = app.state.receiver.notifier
            assert (notifier.emitted, notifier.failures) == (0, 0)  # the event is still in flight
            assert codes == [202] * 5
            assert len(rows(engine)) == 6
            assert payloads == [{"deliveries": 1, "last_event_key": "id:evt_p0"}]
            release.set()  # Prefect answers again: stopping flushes the other five
    finally:
        release.set()


def test_no_secret_in_any_log_line(receiver: Start, engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        running = receiver()
        post(running.base_url, payload("evt_s1"), headers={"X-Api-Secret": SECRET})
        post(running.base_url, payload("evt_s2"), secret="wrong")
        post(running.base_url, payload("evt_s1"))
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE webhook_events RENAME TO gone"))
        post(running.base_url, payload("evt_s3"))
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE gone RENAME TO webhook_events"))
        running.stop()
    assert caplog.records, "expected the receiver to log something"
    for record in caplog.records:
        assert SECRET not in record.getMessage()
        assert SECRET not in str(record.args)
    [row] = rows(engine)
    assert SECRET not in json.dumps(row.headers)


@pytest.mark.postgres
async def test_postgres_concurrent_redeliveries_and_outage(postgres_url: str) -> None:
    from store.db import make_engine

    pg = make_engine(postgres_url)
    with pg.begin() as conn:
        conn.execute(text("DELETE FROM webhook_events"))
    settings = ReceiverSettings(
        poshvip_webhook_secret=SECRET, database_url=postgres_url, receiver_emit_events=False
    )
    with RunningReceiver(create_app(settings)) as running:
        bodies = [payload(f"evt_pg{i % 25}") for i in range(100)]
        async with httpx.AsyncClient(
            base_url=running.base_url, timeout=20, limits=httpx.Limits(max_connections=16)
        ) as client:
            responses = await asyncio.gather(
                *[
                    client.post(WEBHOOK_PATH, content=b, headers={"X-Posh-Signature": sign(b, SECRET)})
                    for b in bodies
                ]
            )
        codes = [r.status_code for r in responses]
        assert codes.count(202) == 25 and codes.count(200) == 75
        with pg.begin() as conn:
            conn.execute(text("ALTER TABLE webhook_events RENAME TO webhook_events_away"))
        try:
            assert post(running.base_url, payload("evt_pg_down")).status_code == 503
        finally:
            with pg.begin() as conn:
                conn.execute(text("ALTER TABLE webhook_events_away RENAME TO webhook_events"))
        assert post(running.base_url, payload("evt_pg_down")).status_code == 202
    with pg.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM webhook_events")).scalar_one() == 26
    pg.dispose()
