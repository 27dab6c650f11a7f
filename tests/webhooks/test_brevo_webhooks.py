"""Brevo's webhooks at the receiver: bearer token, stored raw once, malformed refused, nothing stored on refusal."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, select

from connectors.brevo import BrevoClient, BrevoSettings
from sandbox.brevo.webhooks import deliver
from sandbox.brevo_twin import API_KEY, BrevoState
from sandbox.framework import RunningSandbox, new_context
from store.brevo_events import opted_out_emails
from store.db import session_scope
from store.models import WebhookEvent
from tasks.brevo_events import apply_brevo_events
from webhooks.brevo import WEBHOOK_PATH, brevo_dedupe_key
from webhooks.server import RunningReceiver

TOKEN = "brevo-hook-token-4c1e"
Start = Callable[..., RunningReceiver]

#: Payloads in Brevo's shapes: the event name delivered differs from the one subscribed to
#: (``hardBounce`` arrives as ``hard_bounce``, ``unsubscribed`` as ``unsubscribe`` for marketing).
MARKETING = ("unsubscribe", "hard_bounce", "spam", "contact_deleted", "list_addition")
TRANSACTIONAL = (
    "delivered",
    "soft_bounce",
    "hard_bounce",
    "blocked",
    "invalid_email",
    "spam",
    "unsubscribed",
)


def marketing(event: str, email: str = "ana@example.org") -> dict[str, Any]:
    return {
        "id": 412,
        "camp_id": 17,
        "email": email,
        "campaign name": "October news",
        "date_sent": "2026-10-03 10:00:00",
        "date_event": "2026-10-03 10:05:12",
        "event": event,
        "tag": "",
        "ts_sent": 1791021600,
        "ts_event": 1791021912,
        "list_id": [2],
    }


def transactional(event: str, email: str = "bo@example.org") -> dict[str, Any]:
    return {
        "event": event,
        "email": email,
        "id": 26224,
        "date": "2026-10-03 10:05:12",
        "ts": 1791021912,
        "message-id": "<202610031005.12345@smtp-relay.mailin.fr>",
        "ts_event": 1791021912,
        "subject": "Your En Garde invitation",
        "tag": "invitation",
        "sending_ip": "185.41.28.109",
        "ts_epoch": 1791021912123,
    }


@pytest.fixture
def brevo_receiver(receiver: Start, monkeypatch: pytest.MonkeyPatch) -> RunningReceiver:
    monkeypatch.setenv("BREVO_WEBHOOK_TOKEN", TOKEN)
    return receiver()


def post(base: str, body: bytes, token: str | None = TOKEN) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.post(base + WEBHOOK_PATH, content=body, headers=headers, timeout=10)


def stored(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(WebhookEvent).where(WebhookEvent.provider == "brevo")).all())


@pytest.mark.parametrize(
    "payload",
    [marketing(e) for e in MARKETING] + [transactional(e) for e in TRANSACTIONAL],
    ids=[f"marketing-{e}" for e in MARKETING] + [f"transactional-{e}" for e in TRANSACTIONAL],
)
def test_every_event_kind_is_stored_raw_once(
    brevo_receiver: RunningReceiver, engine: Engine, payload: dict[str, Any]
) -> None:
    body = json.dumps(payload).encode()
    first = post(brevo_receiver.base_url, body)
    assert first.status_code == 202 and first.json()["key"] == brevo_dedupe_key(payload)
    # Brevo retries with the same event; key order or spacing do not make it new.
    again = post(brevo_receiver.base_url, json.dumps(payload, indent=2, sort_keys=True).encode())
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    [row] = stored(engine)
    assert row.body == body and row.status == "pending"
    assert "authorization" not in row.headers


def test_missing_or_wrong_token_is_401_and_stores_nothing(
    brevo_receiver: RunningReceiver, engine: Engine
) -> None:
    body = json.dumps(marketing("unsubscribe")).encode()
    for token in (None, "wrong-token", TOKEN + "x"):
        assert post(brevo_receiver.base_url, body, token=token).status_code == 401
    basic = httpx.post(
        brevo_receiver.base_url + WEBHOOK_PATH, content=body, auth=("brevo", TOKEN), timeout=10
    )
    assert basic.status_code == 401
    assert stored(engine) == []


def test_without_a_configured_token_every_delivery_is_refused(
    receiver: Start, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BREVO_WEBHOOK_TOKEN", raising=False)
    running = receiver()
    assert post(running.base_url, json.dumps(marketing("spam")).encode(), token=None).status_code == 401
    assert post(running.base_url, json.dumps(marketing("spam")).encode()).status_code == 401
    assert stored(engine) == []


def test_malformed_bodies_are_400_and_store_nothing(brevo_receiver: RunningReceiver, engine: Engine) -> None:
    for body in (b"{not json", b"", b"[]", b'"text"', json.dumps({"email": "x@example.org"}).encode()):
        assert post(brevo_receiver.base_url, body).status_code == 400, body
    batched = [transactional("delivered"), transactional("hard_bounce", "cy@example.org")]
    assert post(brevo_receiver.base_url, json.dumps(batched).encode()).status_code == 202
    assert len(stored(engine)) == 1


async def test_registered_once_then_twin_events_reach_the_store_and_are_applied(
    brevo_receiver: RunningReceiver, engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = brevo_receiver.base_url + WEBHOOK_PATH
    with RunningSandbox(new_context(scale=60, seed=2)) as sandbox:
        state: BrevoState = sandbox.ctx.state["brevo"]
        settings = BrevoSettings(api_key=SecretStr(API_KEY), api_url=sandbox.env["BREVO_API_URL"])
        async with BrevoClient(settings) as brevo:
            assert await brevo.ensure_webhooks(url, TOKEN) == {
                "marketing": "created",
                "transactional": "created",
            }
            assert await brevo.ensure_webhooks(url, TOKEN) == {
                "marketing": "unchanged",
                "transactional": "unchanged",
            }
        assert len(state.webhooks) == 2
        assert all(h["auth"] == {"type": "bearer", "token": TOKEN} for h in state.webhooks.values())
        # Brevo names the delivered event differently from the subscription.
        statuses = await asyncio.to_thread(deliver, state.webhooks, "unsubscribed", "ana@example.org")
        assert statuses == [202, 202]
        assert await asyncio.to_thread(deliver, state.webhooks, "hardBounce", "bo@example.org") == [202, 202]
    names = sorted(json.loads(row.body)["event"] for row in stored(engine))
    assert names == ["hard_bounce", "hard_bounce", "unsubscribe", "unsubscribed"]
    monkeypatch.setenv("DATABASE_URL", db_url)
    summary = apply_brevo_events.fn()
    assert summary.deliveries == 4 and summary.unmapped == 0 and summary.opted_out == 2
    with session_scope(engine) as session:
        assert opted_out_emails(session) == {"ana@example.org", "bo@example.org"}
