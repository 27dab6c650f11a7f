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
    held_webinars = [w for w in twin.webinars if w.occurrences]
    assert len(regs) == sum(len(w.registrants) for w in held_webinars)
    assert set(regs["status"]) <= {"registered", "cancelled"}
    assert seen["source_id"].is_unique and (seen["status"] == "attended").all()
    assert seen["email"].notna().mean() > 0.9
    missing = sum(len(s.occurrences) for s in twin.meetings if s.report_missing)
    assert sum("not found" in n for n in result.notes) == missing
    assert any("no email" in n for n in result.notes)


async def test_registrations_of_upcoming_webinars(sandbox: RunningSandbox) -> None:
    clear_token_cache()
    twin = zoom_twin.state_of(sandbox.ctx)
    today = datetime.now(UTC).date()
    result = await extract_zoom.fn(today, today + timedelta(days=60))
    upcoming = [
        w for w in twin.webinars if not w.occurrences and w.start.date() <= today + timedelta(days=60)
    ]
    regs = result.frame[result.frame["kind"] == "registration"]
    assert upcoming and len(regs) == sum(len(w.registrants) for w in upcoming)
    assert (regs["occurred_at"].dt.date > today).all()
    assert (result.frame["kind"] == "registration").all()  # nothing held in the future


async def test_daily_limit_gives_an_incomplete_extract(sandbox: RunningSandbox) -> None:
    clear_token_cache()
    zoom_twin.exhaust_daily(sandbox.ctx, "Heavy")
    today = datetime.now(UTC).date()
    result = await extract_zoom.fn(today - timedelta(days=365), today)
    assert not result.complete and result.frame.empty
    assert "rate limit" in result.notes[0]
