"""What Brevo shows is true every day: audience-sync run daily over 120 days of ``as_of`` on one world.

The world's data is fixed (read once, on the first day); only time moves, so recency segments lapse
(recent → neither → inactive), upcoming bookings fall to none, reasons age. After every run each
contact in the Brevo twin holds exactly that day's payload, computed here independently of the flow.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from flows.audience_sync import audience_sync
from sandbox.brevo_twin import BrevoState
from sandbox.framework import RunningSandbox
from tests.e2e.conftest import serve_world
from tests.e2e.truth import mismatches, payloads_on

ANCHOR = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
#: Days of the daily schedule simulated (``BREVO_TRUTH_DAYS`` shortens it while developing).
DAYS = int(os.environ.get("BREVO_TRUTH_DAYS", "120"))


@pytest.fixture
def fixed_world(monkeypatch: pytest.MonkeyPatch, database: str) -> Any:
    running = serve_world(monkeypatch, scale=150, seed=5, anchor=ANCHOR)
    brevo = running.ctx.state["brevo"]
    brevo.import_delay, brevo.complete_after_polls = 0.0, 1
    monkeypatch.setenv("BREVO_PROCESS_POLL_INITIAL", "0.01")
    # 120 days of process polls in one process: more than the real 100 unlisted calls an hour.
    monkeypatch.setenv("BREVO_UNLISTED_PER_HOUR", "100000")
    monkeypatch.setenv("ENGARDE_EVENT_LISTS", "false")
    yield running
    running.stop()


async def test_daily_runs_keep_every_contact_true_for_120_days(fixed_world: RunningSandbox) -> None:
    brevo: BrevoState = fixed_world.ctx.state["brevo"]
    calls = fixed_world.ctx.requests["brevo"]
    quiet_days = 0
    previous: dict[str, str] | None = None
    for day in range(DAYS):
        as_of = ANCHOR - timedelta(days=10) + timedelta(days=day)
        # The first day reads every source; later days only move time over the same stored data.
        # Every 30th day runs twice: the second run is a day on which nobody changed.
        for _ in range(2 if day % 30 == 29 else 1):
            before = sum(calls.values())
            imports_before = len(brevo.import_log)
            summary = await audience_sync(as_of=as_of, sources=None if day == 0 else [])
            list_id = summary.brevo.list_id
            assert list_id is not None
            payloads = payloads_on(summary.as_of)
            assert mismatches(brevo, payloads, list_id) == {}, f"day {day}"
            assert len(brevo.import_log) - imports_before <= 2, f"day {day}: more imports than needed"
            hashes = dict(
                zip(payloads["email"].astype(str), payloads["payload_hash"].astype(str), strict=True)
            )
            if hashes == previous:
                quiet_days += 1
                assert sum(calls.values()) == before, f"day {day}: nobody changed, yet Brevo was called"
            previous = hashes
    erasing = [
        r["body"]
        for r in brevo.received
        if r["path"].endswith("/contacts/import") and r["body"]["emptyContactsAttributes"]
    ]
    assert erasing, "no day cleared a lapsed value: the world does not exercise the rule"
    assert quiet_days >= DAYS // 30, "the days on which nobody changed were not all checked"
    assert brevo.consent_violations == [] and brevo.forbidden_fields == []
