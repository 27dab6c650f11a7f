"""The Zoom twin's data and quirks, independent of the connector."""

from __future__ import annotations

from collections import Counter

from sandbox import zoom_twin
from sandbox.world import build_world


def test_generation_is_deterministic_at_scale() -> None:
    world = build_world(20_000, 3)
    state = zoom_twin.generate(world)
    again = zoom_twin.generate(world)
    assert list(state.by_uuid) == list(again.by_uuid)
    rows = sum(len(o.participants) for _, o in state.by_uuid.values())
    assert 0.5 * 20_000 / 5 <= rows <= 2 * 20_000 / 5
    assert 20 <= len(state.meetings) + len(state.webinars) <= 120


def test_quirks_are_present() -> None:
    world = build_world(2_000, 5)
    state = zoom_twin.generate(world)
    rows = [r for _, o in state.by_uuid.values() for r in o.participants]
    canonical = {p.email for p in world.people}
    emails = [r["user_email"] for r in rows if r["user_email"]]
    assert all(e.strip().lower() in canonical for e in emails)
    assert any(e != e.strip().lower() for e in emails)
    assert {e.strip().lower() for e in emails} & {c["email"].strip().lower() for c in world.customers}
    # Guests without email: some joinable by registrant_id, some not at all.
    assert any(not r["user_email"] and r["registrant_id"] for r in rows)
    assert any(not r["user_email"] and not r["registrant_id"] for r in rows)
    # Rejoins: the same person (user_id) more than once in one occurrence.
    assert any(
        max(Counter(r["user_id"] for r in o.participants).values(), default=0) > 1
        for _, o in state.by_uuid.values()
    )
    assert any(u.startswith("/") or "//" in u for u in state.by_uuid)
    assert any(s.report_missing and s.occurrences for s in state.meetings)
    assert any(s.recurring and len(s.occurrences) > 1 for s in state.meetings + state.webinars)
    statuses = Counter(r["status"] for w in state.webinars for r in w.registrants)
    assert set(statuses) == {"approved", "pending", "denied"}
    assert all(r["leave_time"] >= r["join_time"] for r in rows)


def test_rate_limit_answers_carry_zoom_headers() -> None:
    from datetime import UTC, datetime

    qps = zoom_twin.rate_limited("Heavy")
    assert qps.status_code == 429 and qps.headers["X-RateLimit-Type"] == "QPS"
    assert "Retry-After" not in qps.headers
    daily = zoom_twin.daily_limited("Heavy", now=datetime(2026, 1, 19, 15, 30, tzinfo=UTC))
    assert daily.headers["X-RateLimit-Type"] == "Daily-limit"
    assert daily.headers["Retry-After"] == "2026-01-20T00:00:00Z"
    expired = zoom_twin.FAULTS.expired_token
    assert expired is not None and expired().status_code == 401


def test_emails_follow_zooms_display_rule() -> None:
    """Registered (through their link) and calendar-invited people keep their email; guests do not."""
    world = build_world(5_000, 9)
    state = zoom_twin.generate(world)
    open_rows = [
        r for s in state.meetings if s.approval_type == 2 for o in s.occurrences for r in o.participants
    ]
    assert open_rows and not any(r["registrant_id"] for r in open_rows)
    hidden = sum(not r["user_email"] for r in open_rows) / len(open_rows)
    assert 0.5 < hidden < 0.8  # most guests of a meeting without registration are anonymous
    for session in state.meetings + state.webinars:
        by_id = {r["id"]: r for r in session.registrants}
        for row in (r for o in session.occurrences for r in o.participants if r["registrant_id"]):
            registrant = by_id[row["registrant_id"]]
            assert registrant["status"] == "approved"
            assert row["user_email"] in ("", registrant["email"])
    registered = [r for s in state.webinars for o in s.occurrences for r in o.participants]
    assert any(not r["user_email"] and r["registrant_id"] for r in registered)  # joinable by id
    assert any(not r["user_email"] and not r["registrant_id"] for r in registered)  # by name at best
    assert {u["status"] for u in state.users} == {"active", "inactive"}
    assert len({s.host_id for s in state.meetings + state.webinars}) == len(state.users)
