"""Brevo webhook outcomes in the store, and the task applying stored deliveries (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from connectors.brevo.webhook_events import parse_brevo_events
from store import signups
from store.brevo_events import mark_invitation_delivery, opted_out_emails, record_opt_out
from store.db import session_scope
from store.webhook_events import NewDelivery, count_events, insert_deliveries
from tasks.brevo_events import apply_brevo_events

NOW = datetime(2026, 10, 3, 10, tzinfo=UTC)


def _invitation(engine: Engine, email: str, message_id: str) -> None:
    with session_scope(engine) as s:
        invitation = signups.create_invitation(
            s, email=email, token_hash=email, expires_at=NOW + timedelta(days=14), invited_by="test"
        )
        signups.mark_sent(s, invitation, message_id=message_id)


def _statuses(engine: Engine) -> dict[str, str]:
    with session_scope(engine) as s:
        return {i.email: i.status for i in signups.invitations(s)}


def test_opt_outs_and_invitation_states(engine: Engine) -> None:
    _invitation(engine, "ana@example.org", "<m1@relay>")
    _invitation(engine, "bo@example.org", "<m2@relay>")
    with session_scope(engine) as s:
        assert record_opt_out(s, email=" Ana@Example.org ", kind="unsubscribed", event="unsubscribe")
        assert not record_opt_out(s, email="ana@example.org", kind="spam", event="spam")
        assert opted_out_emails(s) == {"ana@example.org"}
        assert opted_out_emails(s, ["bo@example.org"]) == set()
        assert mark_invitation_delivery(s, message_id="<m1@relay>", status="delivered", reason="delivered")
        assert mark_invitation_delivery(s, message_id="<m2@relay>", status="bounced", reason="hard_bounce")
        # A late "delivered" never hides a bounce; an unknown message is reported as such.
        assert mark_invitation_delivery(s, message_id="<m2@relay>", status="delivered", reason="delivered")
        assert not mark_invitation_delivery(s, message_id="<nope>", status="blocked", reason="blocked")
    assert _statuses(engine) == {"ana@example.org": "delivered", "bo@example.org": "bounced"}


def test_parser_maps_brevo_names_and_refuses_other_shapes() -> None:
    body = json.dumps(
        [
            {"event": "unsubscribe", "email": "A@x.org", "list_id": [2, 7]},
            {"event": "hard_bounce", "email": "b@x.org", "message-id": "<m>", "reason": "mailbox unknown"},
            {"event": "invalid_email", "email": "c@x.org"},
            {"event": "opened", "email": "d@x.org"},
        ]
    ).encode()
    events = parse_brevo_events(body)
    assert [(e.email, e.kind) for e in events] == [
        ("a@x.org", "unsubscribed"),
        ("b@x.org", "hard_bounce"),
        ("c@x.org", "invalid"),
        ("d@x.org", "other"),
    ]
    assert events[0].list_ids == [2, 7] and events[1].message_id == "<m>"
    for bad in (b"{", b"[]", b'{"email": "x@x.org"}'):
        with pytest.raises(ValueError):
            parse_brevo_events(bad)


def test_apply_task_applies_each_stored_delivery_once(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    _invitation(engine, "bo@example.org", "<m2@relay>")
    deliveries = [
        {"event": "unsubscribe", "email": "ana@example.org", "list_id": [2]},
        {"event": "blocked", "email": "bo@example.org", "message-id": "<m2@relay>", "reason": "blocked"},
        {"something": "else"},
    ]
    with session_scope(engine) as s:
        for i, payload in enumerate(deliveries):
            body = json.dumps(payload).encode()
            insert_deliveries(s.connection(), rows=[NewDelivery("brevo", f"k{i}", NOW, {}, body)])

    first = apply_brevo_events.fn()
    again = apply_brevo_events.fn()

    assert (first.deliveries, first.unmapped, first.opted_out) == (3, 1, 1)
    assert first.invitations == {"blocked": 1} and "new opt-outs: 1" in first.render()
    assert again.deliveries == 0
    with session_scope(engine) as s:
        assert opted_out_emails(s) == {"ana@example.org"}
        assert count_events(s, provider="brevo")["processed"] == 2
    assert _statuses(engine) == {"bo@example.org": "blocked"}
