"""The admin digest's Brevo part: its period, the deliveries applied in it, the counts (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from store import signups
from store.brevo_digest import applied_deliveries, digest_period
from store.db import session_scope
from store.models import WebhookEvent
from store.webhook_events import (
    PROCESSED,
    UNMAPPED,
    EventOutcome,
    NewDelivery,
    insert_deliveries,
    record_outcomes,
)
from tasks.brevo_report import BrevoDigest, brevo_digest, digest_lines, parse_applied
from tasks.poshvip_digest import brevo_part, read_brevo_digest
from tasks.poshvip_report import PoshvipEventsSummary

T1 = datetime(2026, 11, 2, 9, tzinfo=UTC)
T2 = T1 + timedelta(hours=6)


def _deliver(
    engine: Engine, provider: str, key: str, payload: object, *, at: datetime | None, status: str
) -> None:
    """Store one delivery; with ``at``, mark it ``status`` at that time (as a flow run does)."""
    body = json.dumps(payload).encode()
    with session_scope(engine) as s:
        insert_deliveries(s.connection(), rows=[NewDelivery(provider, key, T1 - timedelta(days=1), {}, body)])
        if at is not None:
            row = s.scalars(select(WebhookEvent).where(WebhookEvent.event_key == key)).one()
            record_outcomes(s, outcomes=[EventOutcome(id=row.id, status=status)], now=at)


def _runs(engine: Engine) -> None:
    """Two poshvip-events runs (the previous digest at T1, this run's at T2) and Brevo deliveries around them."""
    for key, at in (("p1", T1), ("p2", T2)):
        _deliver(engine, "poshvip", key, {"type": "purchase.created"}, at=at, status=PROCESSED)
    invite = {"message-id": "<inv1@relay>"}
    brevo = [
        ("b0", {"event": "unsubscribe", "email": "old@x.org"}, T1, PROCESSED),  # in the previous digest
        ("b1", {"event": "unsubscribe", "email": "ana@x.org"}, T1 + timedelta(minutes=5), PROCESSED),
        ("b2", {"event": "unsubscribed", "email": "ana@x.org"}, T1 + timedelta(minutes=5), PROCESSED),
        ("b3", {"event": "spam", "email": "bo@x.org"}, T1 + timedelta(hours=1), PROCESSED),
        ("b4", {"event": "delivered", "email": "inv@x.org", **invite}, T1 + timedelta(hours=1), PROCESSED),
        ("b5", {"event": "hard_bounce", "email": "inv@x.org", **invite}, T2, PROCESSED),
        (
            "b6",
            {"event": "delivered", "email": "cy@x.org", "message-id": "<newsletter@relay>"},
            T2,
            PROCESSED,
        ),
        ("b7", {"nope": 1}, T1 + timedelta(hours=2), UNMAPPED),
        ("b8", {"event": "contact_deleted", "email": "late@x.org"}, T2 + timedelta(minutes=1), PROCESSED),
        ("b9", {"event": "unsubscribe", "email": "waiting@x.org"}, None, PROCESSED),  # still pending
    ]
    for key, payload, at, status in brevo:
        _deliver(engine, "brevo", key, payload, at=at, status=status)
    with session_scope(engine) as s:
        invitation = signups.create_invitation(
            s, email="inv@x.org", token_hash="h", expires_at=T2 + timedelta(days=14), invited_by="test"
        )
        signups.mark_sent(s, invitation, message_id="<inv1@relay>")


def test_period_runs_from_the_previous_digest(engine: Engine) -> None:
    now = T2 + timedelta(hours=1)
    with session_scope(engine) as s:
        assert digest_period(s, provider="poshvip", stored=True, now=now) == (None, now)
    _runs(engine)
    with session_scope(engine) as s:
        assert digest_period(s, provider="poshvip", stored=True, now=now) == (T1, T2)
        assert digest_period(s, provider="poshvip", stored=False, now=now) == (T2, now)  # a dry run
        statuses = [status for status, _ in applied_deliveries(s, provider="brevo", since=T1, until=T2)]
    assert statuses == [PROCESSED] * 6 + [UNMAPPED]  # b1-b6, then b7 (in order of id)


def test_the_digest_counts_people_and_invitations_once(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    _runs(engine)

    digest = read_brevo_digest(stored=True)

    assert (digest.since, digest.until) == (T1, T2)
    # ana told both webhooks: one person; the invitation bounced after its delivery (and its
    # addressee opted out); the newsletter's message is no invitation; late@ is the next digest's.
    assert digest.people == {"unsubscribed": 1, "spam": 1, "hard_bounce": 1}
    assert digest.invitations == {"bounced": 1}
    assert (digest.applied, digest.unmapped, digest.pending) == (6, 1, 1)
    lines = digest_lines(digest)
    assert lines[0] == (
        "Brevo webhooks since 2026-11-02 09:00 UTC: events applied 6; people unsubscribed 1, "
        "hard bounces 1, spam complaints 1, contacts deleted in Brevo 0"
    )
    assert lines[1] == "Invitation emails per Brevo: delivered 0, bounced 1, blocked 0"
    assert "not in Brevo's shape: 1" in lines[2] and "waiting to be applied: 1" in lines[3]
    # The next digest (a run at T3) starts where this one ended.
    _deliver(
        engine, "poshvip", "p3", {"type": "purchase.created"}, at=T2 + timedelta(hours=6), status=PROCESSED
    )
    assert read_brevo_digest(stored=True).people == {"contact_deleted": 1}


def test_pure_counts_and_an_unreadable_store(monkeypatch: pytest.MonkeyPatch) -> None:
    events, unmapped = parse_applied(
        [
            (PROCESSED, json.dumps({"event": "blocked", "email": "a@x.org", "message-id": "<m>"}).encode()),
            (PROCESSED, json.dumps({"event": "delivered", "email": "a@x.org", "message-id": "<m>"}).encode()),
            (PROCESSED, b"{"),
        ]
    )
    assert unmapped == 1
    digest = brevo_digest(events, {"<m>"}, since=None, until=T1)
    assert digest.invitations == {"blocked": 1} and digest.people == {}
    assert digest_lines(BrevoDigest(until=T1))[0].startswith("Brevo webhooks until now: events applied 0")
    monkeypatch.setenv("DATABASE_URL", "sqlite:////nonexistent/dir/engarde.db")
    [line] = brevo_part(PoshvipEventsSummary(processed=1))
    assert line.startswith("Brevo webhook events: not counted (")
