"""The Eventbrite twin's data and quirks, independent of the connector."""

from __future__ import annotations

from sandbox import eventbrite_twin
from sandbox.world import build_world


def test_generation_is_deterministic_at_scale() -> None:
    world = build_world(20_000, 3)
    state = eventbrite_twin.generate(world)
    again = eventbrite_twin.generate(world)
    assert [a["id"] for a in state.attendees] == [a["id"] for a in again.attendees]
    assert [a["profile"]["email"] for a in state.attendees] == [
        a["profile"]["email"] for a in again.attendees
    ]
    assert len(state.attendees) == 20_000 // 5
    assert 20 <= len(state.events) <= 80


def test_world_people_appear_with_other_casings_and_statuses() -> None:
    world = build_world(2_000, 5)
    state = eventbrite_twin.generate(world)
    canonical = {p.email for p in world.people}
    booker_emails = {c["email"].strip().lower() for c in world.customers}
    emails = [a["profile"]["email"] for a in state.attendees]
    assert all(e.strip().lower() in canonical for e in emails)
    assert any(e != e.strip().lower() for e in emails)  # case / spacing variants exist
    assert {e.strip().lower() for e in emails} & booker_emails  # overlaps EasyAppointments bookers
    assert any(a["refunded"] for a in state.attendees)
    assert any(a["cancelled"] for a in state.attendees)
    assert any(a["checked_in"] for a in state.attendees)
    assert state.cancelled_events
    # Every attendee of a cancelled event was refunded or cancelled.
    assert all(
        a["refunded"] or a["cancelled"] for a in state.attendees if a["event_id"] in state.cancelled_events
    )
    anchor = world.anchor.isoformat()
    assert all(a["changed"] >= a["created"] for a in state.attendees)
    assert all(a["created"] < anchor for a in state.attendees)


def test_hit_rate_limit_has_no_retry_after() -> None:
    import json

    response = eventbrite_twin.FAULTS.rate_limited()
    assert response.status_code == 429 and "retry-after" not in response.headers
    assert json.loads(bytes(response.body))["error"] == "HIT_RATE_LIMIT"
    assert eventbrite_twin.FAULTS.expired_token is None  # long-lived tokens: nothing to expire
