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
from tasks.brevo_events import BrevoEventsSummary, apply_brevo_events
from tasks.brevo_report import events_markdown

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


def test_run_counts_each_kind_with_why_and_renders_tables(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    _invitation(engine, "bo@example.org", "<m2@relay>")
    payloads: list[object] = [
        {"event": "unsubscribe", "email": "ana@example.org", "list_id": [2]},
        {"event": "unsubscribed", "email": "ana@example.org", "message-id": "<nope@relay>"},
        {"event": "delivered", "email": "cy@example.org"},
        {"event": "blocked", "email": "bo@example.org", "message-id": "<m2@relay>", "reason": "blocked"},
        {"event": "hard_bounce", "email": "di@example.org", "message-id": "<other@relay>"},
        [
            {"event": "list_addition", "email": "ed@example.org"},
            {"event": "opened", "email": "ed@example.org"},
        ],
        "not | an event",
    ]
    with session_scope(engine) as s:
        for i, payload in enumerate(payloads):
            body = json.dumps(payload).encode()
            insert_deliveries(s.connection(), rows=[NewDelivery("brevo", f"r{i}", NOW, {}, body)])

    summary = apply_brevo_events.fn()

    kinds = {k: (c.received, c.applied, c.skipped) for k, c in summary.kinds.items()}
    assert kinds == {
        "unsubscribed": (2, 1, {"already opted out; no invitation was sent as this message": 1}),
        "delivered": (1, 0, {"not about an invitation email (no message id)": 1}),
        "blocked": (1, 1, {}),
        "hard_bounce": (1, 1, {}),  # the person opts out; the message is not an invitation
        "list_addition": (1, 0, {"nothing to apply for this kind": 1}),
        "other": (1, 0, {"nothing to apply for this kind": 1}),
    }
    assert summary.opt_outs == {"unsubscribed": 1, "hard_bounce": 1} and summary.opted_out == 2
    assert summary.invitations == {"blocked": 1} and summary.unmapped == 1

    markdown = events_markdown(summary)
    assert "```" not in markdown
    assert "| event | received | applied | skipped | why skipped |" in markdown
    assert (
        "| unsubscribed | 2 | 1 | 1 | already opted out; no invitation was sent as this message (1) |"
        in markdown
    )
    assert "| opted out by | people |\n|---|---|\n| unsubscribed | 1 |\n| hard_bounce | 1 |" in markdown
    assert "| status | invitations |\n|---|---|\n| blocked | 1 |" in markdown
    assert markdown.index("| unsubscribed |") < markdown.index("| delivered |")  # consent first
    [note] = [line for line in markdown.splitlines() if line.startswith("- ")]
    assert note.startswith("- delivery #7 unmapped: not a Brevo event")


def test_an_empty_run_says_what_is_missing() -> None:
    markdown = events_markdown(BrevoEventsSummary())
    assert "No event in this run." in markdown and "Nobody opted out in this run." in markdown
    assert "- no pending Brevo delivery" in markdown and "engarde setup" in markdown
