"""What Brevo shows is true every day: audience-sync run daily over 120 days of ``as_of`` on one world.

The world's data is fixed (read once, on the first day); only time moves, so recency segments lapse
(recent → neither → inactive), upcoming bookings fall to none, reasons age. After every run each
contact in the Brevo twin holds exactly that day's payload, computed here independently of the flow.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest

from audience.brevo_payload import BREVO_ATTRIBUTES, KEPT_WHEN_MISSING, build_brevo_payloads
from audience.people import resolve_people
from audience.segments import SegmentThresholds, segment_people
from flows.audience_sync import audience_sync
from sandbox.brevo_twin import BrevoState
from sandbox.framework import RunningSandbox
from store.db import make_engine, session_scope
from store.interactions import load_interactions
from store.signups import signup_statuses
from tests.e2e.conftest import serve_world

ANCHOR = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
#: Days of the daily schedule simulated (``BREVO_TRUTH_DAYS`` shortens it while developing).
DAYS = int(os.environ.get("BREVO_TRUTH_DAYS", "120"))


def payloads_on(as_of: datetime) -> pd.DataFrame:
    """That day's payloads, from the stored interactions (the flow's own code path is not used)."""
    with session_scope(make_engine()) as session:
        interactions = load_interactions(session)
        signups = signup_statuses(session)
    when = pd.Timestamp(as_of)
    people = segment_people(resolve_people(interactions, when), when, SegmentThresholds())
    return build_brevo_payloads(people.merge(signups, on="email", how="left"))


def mismatches(brevo: BrevoState, payloads: pd.DataFrame, list_id: int) -> dict[str, Any]:
    """Contacts whose attributes (ours) differ from their payload: email → (in Brevo, expected)."""
    out: dict[str, Any] = {}
    for email, attributes, removal in payloads[["email", "attributes", "removal_candidate"]].itertuples(
        index=False
    ):
        contact = brevo.contacts.get(str(email))
        if (
            removal
            or contact is None
            or contact["emailBlacklisted"]
            or list_id in contact["listUnsubscribed"]
        ):
            continue  # never sent: nothing of theirs to compare (consent, or every ticket void)
        held = {k: v for k, v in contact["attributes"].items() if k in BREVO_ATTRIBUTES}
        # A name or phone the sources do not know is Brevo's own (never cleared by the project).
        held = {k: v for k, v in held.items() if k not in KEPT_WHEN_MISSING or k in attributes}
        expected = {k: v for k, v in attributes.items() if v != ""}
        if held != expected:
            out[str(email)] = (held, expected)
    return out


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
