"""Per-event lists: who holds an active ticket, and what to add or remove."""

from __future__ import annotations

import pandas as pd

from audience.event_lists import event_memberships, plan_event_lists
from tests.audience.helpers import days_ago, interactions


def ticket(
    source_id: str, email: str | None, status: str, event_id: str = "e1", **kw: object
) -> dict[str, object]:
    return {
        "source": kw.pop("source", "eventbrite"),
        "source_id": source_id,
        "email": email,
        "kind": kw.pop("kind", "ticket"),
        "status": status,
        "event_id": event_id,
        "service": kw.pop("service", f"Event {event_id}"),
        "created_at": kw.pop("created_at", days_ago(10)),
        **kw,
    }


def pairs(frame: pd.DataFrame, *columns: str) -> set[tuple[str, ...]]:
    return {tuple(str(v) for v in row) for row in frame[list(columns)].itertuples(index=False)}


def test_memberships_keep_people_with_one_active_ticket_per_event() -> None:
    frame = interactions(
        ticket("1", "ana@x.org", "booked"),
        ticket("2", "ana@x.org", "refunded"),  # one of two refunded: still holds a ticket
        ticket("3", "bo@x.org", "refunded"),
        ticket("4", "bo@x.org", "cancelled"),  # every ticket withdrawn: not a member
        ticket("5", "cy@x.org", "attended"),
        ticket("6", "cy@x.org", "deleted", event_id="e2"),
        ticket("7", "di@x.org", "booked", event_id="e2", source="poshvip", service="Gala"),
        ticket("8", None, "booked"),  # no usable email
        ticket("9", "ed@x.org", "booked", kind="booking", source="easyappointments"),
        ticket("10", "fa@x.org", "registered", source="zoom", kind="registration"),
    )
    out = event_memberships(frame)
    assert list(out.columns) == ["event_key", "event_name", "email"]
    assert pairs(out, "event_key", "event_name", "email") == {
        ("eventbrite:e1", "Event e1", "ana@x.org"),
        ("eventbrite:e1", "Event e1", "cy@x.org"),
        ("poshvip:e2", "Gala", "di@x.org"),
    }


def test_memberships_use_the_latest_event_name_and_one_row_per_person() -> None:
    frame = interactions(
        ticket("1", "ana@x.org", "booked", service="Old name", created_at=days_ago(30)),
        ticket("2", "ana@x.org", "booked", service="New name", created_at=days_ago(2)),
    )
    out = event_memberships(frame)
    assert len(out) == 1 and out.loc[0, "event_name"] == "New name"


def test_memberships_of_no_tickets_are_empty() -> None:
    out = event_memberships(interactions(ticket("9", "ed@x.org", "booked", kind="booking")))
    assert out.empty and list(out.columns) == ["event_key", "event_name", "email"]


def state(*rows: tuple[str, str, bool, bool]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["event_key", "email", "on_list", "skipped"])


def test_plan_adds_the_new_removes_the_withdrawn_and_leaves_the_rest() -> None:
    desired = pd.DataFrame(
        {
            "event_key": ["eb:1", "eb:1", "eb:1", "eb:2"],
            "event_name": ["A", "A", "A", "B"],
            "email": ["ana@x.org", "bo@x.org", "cy@x.org", "ana@x.org"],
        }
    )
    current = state(
        ("eb:1", "ana@x.org", True, False),  # unchanged
        ("eb:1", "cy@x.org", False, True),  # opted out earlier: not retried
        ("eb:1", "di@x.org", True, False),  # refunded: removed
        ("eb:1", "ed@x.org", False, False),  # removed earlier: nothing
        ("eb:2", "fa@x.org", False, True),  # skipped and no longer wanted: nothing
        ("eb:2", "ana@x.org", False, False),  # removed earlier, bought again: added
    )
    plan = plan_event_lists(desired, current)
    assert list(plan.columns) == ["event_key", "email", "action"]
    assert pairs(plan, "event_key", "email", "action") == {
        ("eb:1", "bo@x.org", "add"),
        ("eb:1", "di@x.org", "remove"),
        ("eb:2", "ana@x.org", "add"),
    }


def test_plan_against_its_own_result_is_empty() -> None:
    desired = pd.DataFrame({"event_key": ["eb:1"], "event_name": ["A"], "email": ["ana@x.org"]})
    first = plan_event_lists(desired, pd.DataFrame(columns=["event_key", "email", "on_list"]))
    assert pairs(first, "event_key", "email", "action") == {("eb:1", "ana@x.org", "add")}
    applied = first.assign(on_list=first["action"] == "add")[["event_key", "email", "on_list"]]
    assert plan_event_lists(desired, applied).empty
    # Everyone refunded: the list is emptied, the people stay contacts.
    empty = desired.iloc[0:0]
    assert pairs(plan_event_lists(empty, applied), "email", "action") == {("ana@x.org", "remove")}
