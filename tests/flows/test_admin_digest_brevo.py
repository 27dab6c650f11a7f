"""The poshvip-events admin digest counts Brevo's webhook events since the previous digest."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine

from sandbox.framework import RunningSandbox
from store.db import session_scope
from store.webhook_events import NewDelivery, insert_deliveries
from tasks.brevo_events import apply_brevo_events
from tests.flows.test_poshvip_events import STORY, T0, db, run_flow, store

__all__ = ["db"]


def _brevo(engine: Engine, key: str, payload: dict[str, str]) -> None:
    with session_scope(engine) as s:
        body = json.dumps(payload).encode()
        insert_deliveries(s.connection(), rows=[NewDelivery("brevo", key, T0, {}, body)])


def test_the_emailed_digest_counts_brevo_events_once(
    db: tuple[str, Engine], sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    _url, engine = db
    monkeypatch.setenv("ADMIN_NOTIFICATION_EMAILS", "ops@engarde.example")
    monkeypatch.setenv("BREVO_SENDER_EMAIL", "pipelines@engarde.example")
    sent = sandbox.ctx.state["brevo"].emails_sent
    _brevo(engine, "u1", {"event": "unsubscribe", "email": "ana@x.org"})
    _brevo(engine, "s1", {"event": "spam", "email": "bo@x.org"})
    apply_brevo_events.fn()
    _brevo(engine, "u2", {"event": "unsubscribe", "email": "cy@x.org"})  # not applied yet
    store(engine, STORY[:4])

    assert run_flow(sync_audience=False).admins_emailed
    first = sent[-1]["textContent"]
    assert (
        "Brevo webhooks until now: events applied 2; people unsubscribed 1, hard bounces 0, spam complaints 1"
        in first
    )
    assert "Brevo deliveries waiting to be applied: 1" in first

    apply_brevo_events.fn()
    store(engine, STORY[4:], start=4)
    assert run_flow(sync_audience=False).admins_emailed
    second = sent[-1]["textContent"]
    assert "events applied 1; people unsubscribed 1, hard bounces 0, spam complaints 0" in second
    assert "Brevo webhooks since " in second and "waiting to be applied" not in second
