"""The Zoom extraction task against the twin (``.fn()``, env pointing at the sandbox)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connectors.zoom import clear_token_cache
from sandbox import zoom_twin
from sandbox.framework import RunningSandbox
from tasks.zoom import extract_zoom


async def test_zoom_extraction(sandbox: RunningSandbox) -> None:
    clear_token_cache()
    twin = zoom_twin.state_of(sandbox.ctx)
    today = datetime.now(UTC).date()
    result = await extract_zoom.fn(today - timedelta(days=365), today)
    frame = result.frame
    assert result.complete and result.source == "zoom" and result.api_calls > 0
    regs = frame[frame["kind"] == "registration"]
    seen = frame[frame["kind"] == "attendance"]
    held = [s for s in twin.of_active_hosts(twin.webinars + twin.meetings) if s.occurrences]
    assert len(regs) == sum(len(s.registrants) for s in held)
    assert {s.kind for s in held if s.registrants} == {"meeting", "webinar"}
    assert set(regs["status"]) <= {"registered", "cancelled"}
    assert seen["source_id"].is_unique and (seen["status"] == "attended").all()
    assert seen["email"].notna().all()
    missing = sum(len(s.occurrences) for s in twin.of_active_hosts(twin.meetings) if s.report_missing)
    assert sum("not found" in n for n in result.notes) == missing
    counts = result.counts
    assert counts["hosts"] == 3  # every active user of the account
    assert counts["participants"] == sum(
        counts[k] for k in ("matched_by_email", "matched_by_registrant", "unmatched")
    )
    assert (
        counts["unmatched"] > 0 and counts["matched_by_registrant"] > counts["matched_by_registrant_name"] > 0
    )
    assert any("not at all" in n for n in result.notes)


async def test_registrations_of_upcoming_webinars(sandbox: RunningSandbox) -> None:
    clear_token_cache()
    twin = zoom_twin.state_of(sandbox.ctx)
    today = datetime.now(UTC).date()
    result = await extract_zoom.fn(today, today + timedelta(days=60))
    upcoming = [
        s
        for s in twin.of_active_hosts(twin.webinars + twin.meetings)
        if not s.occurrences and s.start.date() <= today + timedelta(days=60)
    ]
    regs = result.frame[result.frame["kind"] == "registration"]
    assert upcoming and len(regs) == sum(len(s.registrants) for s in upcoming) > 0
    assert (regs["occurred_at"].dt.date > today).all()
    assert (result.frame["kind"] == "registration").all()  # nothing held in the future


async def test_daily_limit_gives_an_incomplete_extract(sandbox: RunningSandbox) -> None:
    clear_token_cache()
    zoom_twin.exhaust_daily(sandbox.ctx, "Heavy")
    today = datetime.now(UTC).date()
    result = await extract_zoom.fn(today - timedelta(days=365), today)
    assert not result.complete and result.frame.empty
    assert "rate limit" in result.notes[0]
