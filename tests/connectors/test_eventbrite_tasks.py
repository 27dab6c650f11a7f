"""The Eventbrite extraction task against the twin (``.fn()``, env pointing at the sandbox)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pandas as pd

from connectors.eventbrite import EventbriteSettings
from sandbox import eventbrite_twin
from sandbox.framework import RunningSandbox
from tasks.eventbrite import extract_eventbrite
from tasks.windows import changed_since_with_lookback


def window(sandbox: RunningSandbox) -> tuple[date, date]:
    anchor = sandbox.ctx.world.anchor
    return (anchor - timedelta(days=365)).date(), (anchor + timedelta(days=60)).date()


async def test_full_then_incremental_extraction(sandbox: RunningSandbox) -> None:
    twin = eventbrite_twin.state_of(sandbox.ctx)
    date_from, date_to = window(sandbox)
    first = await extract_eventbrite.fn(date_from, date_to)
    assert first.complete and first.source == "eventbrite" and not first.notes
    assert len(first.frame) == len(twin.attendees)
    assert first.api_calls == 1 + math.ceil(len(twin.events) / 50) + math.ceil(len(twin.attendees) / 50)
    assert set(first.frame["status"]) == {"booked", "attended", "refunded", "cancelled"}

    since = datetime.now(UTC).replace(microsecond=0)
    refunded = eventbrite_twin.refund_attendees(sandbox.ctx, 4)
    second = await extract_eventbrite.fn(date_from, date_to, changed_since=since)
    assert set(second.frame["source_id"]) == set(refunded)
    assert set(second.frame["status"]) == {"refunded"}
    assert second.api_calls == 1 + math.ceil(len(twin.events) / 50) + 1
    assert "incremental" in second.notes[0]


async def test_faults_leave_the_result_unchanged(sandbox: RunningSandbox) -> None:
    date_from, date_to = window(sandbox)
    settings = EventbriteSettings(rate_limit_window=0.05)
    clean = await extract_eventbrite.fn(date_from, date_to, settings=settings)
    sandbox.ctx.faults.rate = 0.2
    for kind in ("429", "5xx", "delay"):  # a small world needs few calls: make sure some fail
        sandbox.ctx.faults.queue("eventbrite", kind)
    faulty = await extract_eventbrite.fn(date_from, date_to, settings=settings)
    sandbox.ctx.faults.rate = 0.0
    assert sum(sandbox.ctx.faults.injected.values()) > 0
    pd.testing.assert_frame_equal(faulty.frame, clean.frame)


async def test_rate_limit_beyond_patience_gives_an_incomplete_extract(sandbox: RunningSandbox) -> None:
    date_from, date_to = window(sandbox)
    sandbox.ctx.faults.queue("eventbrite", "429", 50)
    result = await extract_eventbrite.fn(
        date_from, date_to, settings=EventbriteSettings(rate_limit_window=0.01)
    )
    sandbox.ctx.faults.queued.clear()
    assert not result.complete and result.frame.empty
    assert "rate limit" in result.notes[-1]


def test_lookback() -> None:
    assert changed_since_with_lookback(None) is None
    moment = datetime(2026, 5, 10, 12, tzinfo=UTC)
    assert changed_since_with_lookback(moment) == datetime(2026, 5, 3, 12, tzinfo=UTC)
    assert changed_since_with_lookback(moment.replace(tzinfo=None), 1) == datetime(2026, 5, 9, 12, tzinfo=UTC)


async def test_incremental_run_sees_a_late_refund_for_an_event_before_its_window(
    sandbox: RunningSandbox,
) -> None:
    twin = eventbrite_twin.state_of(sandbox.ctx)
    since = datetime.now(UTC).replace(microsecond=0)
    refunded = set(eventbrite_twin.refund_attendees(sandbox.ctx, 30))
    starts = {e["id"]: e["start"]["utc"] for e in twin.events}
    # A narrow window of the last week: most refunded tickets belong to older events.
    anchor = sandbox.ctx.world.anchor.date()
    narrow = (anchor - timedelta(days=7), anchor)
    older = {
        a["id"] for a in twin.attendees if a["id"] in refunded and starts[a["event_id"]] < f"{narrow[0]}"
    }
    assert older, "the world should have refunds for events before the window"
    second = await extract_eventbrite.fn(*narrow, changed_since=since)
    assert set(second.frame["source_id"]) == refunded
    assert set(second.frame["status"]) == {"refunded"}
