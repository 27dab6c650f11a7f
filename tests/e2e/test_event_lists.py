"""Per-event Brevo lists end to end: active ticket holders per event; a refund takes exactly them off."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest

from audience.identity import normalise_emails
from flows.audience_sync import audience_sync
from sandbox import eventbrite_twin
from sandbox.framework import RunningSandbox
from tests.e2e.conftest import serve_world

#: One instant for every run of this module: segments ("recent", "upcoming") depend on it, and a
#: booking starting between two runs would rightly change someone's attributes.
AS_OF = datetime.now(UTC).replace(second=0, microsecond=0)


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, database: str) -> Iterator[RunningSandbox]:
    """A fault-free sandbox world, half the default size (this file runs audience-sync five times)."""
    running = serve_world(monkeypatch, scale=300)
    yield running
    running.stop()


EVENT_KEY = re.compile(r"^Event: .* \((eventbrite:[^)]+)\)$")
WRITES = ("POST", "PUT", "DELETE", "PATCH")


def brevo_state(sandbox: RunningSandbox) -> Any:
    return sandbox.ctx.state["brevo"]


def active_holders(sandbox: RunningSandbox) -> dict[str, set[str]]:
    """From the Eventbrite twin itself: event key -> canonical emails holding a ticket not refunded/cancelled."""
    twin = eventbrite_twin.state_of(sandbox.ctx)
    out: dict[str, set[str]] = {}
    rows = [
        (a["event_id"], a["profile"]["email"])
        for a in twin.attendees
        if not a["refunded"]
        and not a["cancelled"]
        and a["status"] != "Not Attending"
        and a["event_id"] not in twin.cancelled_events
    ]
    emails = normalise_emails(pd.Series([e for _, e in rows], dtype="string"))
    for (event_id, _), email in zip(rows, emails, strict=True):
        if not pd.isna(email):
            out.setdefault(f"eventbrite:{event_id}", set()).add(str(email))
    return out


def event_lists(sandbox: RunningSandbox) -> dict[str, int]:
    """Event key -> Brevo list id of the Eventbrite event lists in the twin."""
    out = {}
    for list_id, lst in brevo_state(sandbox).lists.items():
        match = EVENT_KEY.match(lst["name"])
        if match:
            out[match.group(1)] = list_id
    return out


def memberships(sandbox: RunningSandbox) -> dict[int, set[str]]:
    """Every Brevo list (master and events) -> its members."""
    brevo = brevo_state(sandbox)
    return {list_id: {c["email"] for c in brevo.members(list_id)} for list_id in brevo.lists}


def requests_since(sandbox: RunningSandbox, before: dict[str, int]) -> dict[str, int]:
    after = sandbox.ctx.requests["brevo"]
    return {r: after[r] - before.get(r, 0) for r in after if after[r] != before.get(r, 0)}


async def test_a_refund_moves_exactly_the_refunded_holders_off_their_event_list(
    world: RunningSandbox,
) -> None:
    brevo = brevo_state(world)
    blocked = {e for e, c in brevo.contacts.items() if c["emailBlacklisted"]}

    # A dry run counts the lists it would make and makes none.
    dry = await audience_sync(as_of=AS_OF, dry_run=True)
    assert dry.brevo.event_lists.lists >= len(active_holders(world)) and dry.brevo.event_lists.added > 0
    assert event_lists(world) == {} and world.ctx.requests["brevo"].get("POST /v3/contacts/lists", 0) == 0

    first = await audience_sync(as_of=AS_OF)

    holders = active_holders(world)
    lists = event_lists(world)
    assert set(lists) == set(holders), "one list per Eventbrite event with an active ticket"
    assert all(
        brevo.lists[i]["folderId"] == brevo.lists[first.brevo.list_id]["folderId"] for i in lists.values()
    )
    for key, list_id in lists.items():
        members = {c["email"] for c in brevo.members(list_id)}
        assert members == (holders[key] & set(brevo.contacts)) - blocked, key
    assert set().union(*holders.values()) - set(brevo.contacts) == set(), "every holder was imported first"
    assert brevo.consent_violations == [] and brevo.deleted == []
    assert first.brevo.event_lists.added == sum(len(brevo.members(i)) for i in lists.values())
    assert first.brevo.event_lists.removed == 0
    # One read of the lists, one create per event, one add call per list of at most 150.
    calls = world.ctx.requests["brevo"]
    assert calls["POST /v3/contacts/lists"] == len(lists)
    assert calls["GET /v3/contacts/lists"] <= 2
    adds = sum(
        n for route, n in calls.items() if route.startswith("POST") and route.endswith("/contacts/add")
    )
    assert adds == sum(math.ceil(len(holders[k]) / 150) for k in lists)

    before = memberships(world)
    blocked_before = {e for e, c in brevo.contacts.items() if c["emailBlacklisted"]}
    refunded = set(eventbrite_twin.refund_attendees(world.ctx, 15))
    assert len(refunded) == 15
    after_holders = active_holders(world)

    second = await audience_sync(as_of=AS_OF)

    # The incremental Eventbrite read sees every changed attendee, whatever the event's date.
    lost = {key: holders[key] - after_holders.get(key, set()) for key in holders}
    assert sum(len(lost[k] & before[i]) for k, i in lists.items()) > 0, "the refunds hit no list member"
    still_holding = set().union(*after_holders.values()) if after_holders else set()

    after = memberships(world)
    assert set(after) == set(before), "no list created or dropped"
    for list_id in after:
        owner = next((k for k, i in lists.items() if i == list_id), None)
        gone = before[list_id] - after[list_id]
        if owner is None:
            # The master list loses only refunded holders who now hold no ticket at all.
            assert gone <= set().union(*lost.values()) - still_holding, list_id
            continue
        assert gone == lost[owner] & before[list_id], (owner, list_id)
        assert after[list_id] - before[list_id] == set(), (owner, list_id)
    assert second.brevo.event_lists.removed == sum(len(lost[k] & before[i]) for k, i in lists.items())
    assert second.brevo.event_lists.added == 0
    # Refunded people stay contacts; the blocklist is untouched.
    assert {e for e, c in brevo.contacts.items() if c["emailBlacklisted"]} == blocked_before
    assert brevo.deleted == [] and brevo.consent_violations == []

    mark = dict(world.ctx.requests["brevo"])
    third = await audience_sync(as_of=AS_OF)

    assert requests_since(world, mark) == {}, "an unchanged run called Brevo"
    assert third.brevo.event_lists.added == third.brevo.event_lists.removed == 0
    assert memberships(world) == after


async def test_event_lists_can_be_switched_off(
    world: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENGARDE_EVENT_LISTS", "false")
    summary = await audience_sync(as_of=AS_OF)
    assert event_lists(world) == {} and summary.brevo.event_lists.lists == 0
    writes = [r for r in world.ctx.requests["brevo"] if r.split()[0] in WRITES and "/contacts/lists/" in r]
    assert writes == []
