"""Folding Posh.VIP events into interactions, ledger and revenue."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd

from audience.from_poshvip import (
    ReceivedEvent,
    affected_emails,
    poshvip_interactions,
    poshvip_ledger,
)
from audience.schema import INTERACTION_DTYPES
from connectors.poshvip import Contact, PoshEvent
from insights.revenue import revenue_summary

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def ev(n: int, kind: str, order: str = "o1", **fields: Any) -> ReceivedEvent:
    for key in ("buyer", "holder", "from_holder", "to_holder"):
        if isinstance(fields.get(key), str):
            fields[key] = Contact(email=fields[key])
    fields.setdefault("occurred_at", T0 + timedelta(hours=n))
    return ReceivedEvent(n, T0 + timedelta(hours=n), PoshEvent(event_type=kind, order_id=order, **fields))  # type: ignore[arg-type]


def statuses(events: list[ReceivedEvent]) -> dict[str, str]:
    frame = poshvip_interactions(events)
    return dict(zip(frame["email"], frame["status"], strict=True))


def buy(
    n: int = 1, order: str = "o1", email: str = "Ann@X.io", quantity: int = 1, amount: float = 50.0
) -> ReceivedEvent:
    return ev(
        n,
        "purchase.created",
        order,
        buyer=Contact(email=email, first_name="Ann"),
        quantity=quantity,
        amount=amount,
        currency="USD",
        event_name="Gala",
        event_id="g1",
    )


def test_purchase_gives_a_paid_ticket_row_in_schema() -> None:
    frame = poshvip_interactions([buy()])
    assert list(frame.columns) == list(INTERACTION_DTYPES)
    row = frame.iloc[0]
    assert (row["source"], row["source_id"], row["kind"], row["status"]) == (
        "poshvip",
        "o1:ann@x.io",
        "ticket",
        "booked",
    )
    assert (row["email_raw"], row["email"], row["first_name"], row["amount"], row["service"]) == (
        "Ann@X.io",
        "ann@x.io",
        "Ann",
        50.0,
        "Gala",
    )


def test_refund_marks_every_holder_refunded() -> None:
    events = [
        buy(quantity=2),
        ev(2, "ticket.transferred", from_holder="ann@x.io", to_holder="bo@x.io"),
        ev(3, "purchase.refunded"),
    ]
    assert statuses(events) == {"ann@x.io": "refunded", "bo@x.io": "refunded"}


def test_partial_refund_keeps_tickets() -> None:
    events = [buy(amount=100.0), ev(2, "purchase.refunded", refund_amount=30.0)]
    assert statuses(events) == {"ann@x.io": "booked"}
    report = revenue_summary(poshvip_ledger(events))
    assert report.totals.iloc[0][["gross", "refunds", "net"]].tolist() == [100.0, 30.0, 70.0]


def test_transfer_chain_moves_the_ticket() -> None:
    events = [
        buy(quantity=1),
        ev(
            2,
            "ticket.transferred",
            from_holder="ann@x.io",
            to_holder=Contact(email="Bo@x.io", first_name="Bo"),
        ),
        ev(3, "ticket.transferred", from_holder="bo@x.io", to_holder="cy@x.io"),
    ]
    assert statuses(events) == {"ann@x.io": "cancelled", "bo@x.io": "cancelled", "cy@x.io": "booked"}
    frame = poshvip_interactions(events)
    assert frame.set_index("email").loc["bo@x.io", "first_name"] == "Bo"
    assert pd.isna(frame.set_index("email").loc["cy@x.io", "amount"])  # the buyer paid, not the holder
    assert frame.set_index("email").loc["ann@x.io", "amount"] == 50.0
    assert affected_emails(frame) == ["ann@x.io", "bo@x.io", "cy@x.io"]


def test_transfer_of_one_of_two_tickets_keeps_the_buyer_booked() -> None:
    events = [buy(quantity=2), ev(2, "ticket.transferred", from_holder="ann@x.io", to_holder="bo@x.io")]
    assert statuses(events) == {"ann@x.io": "booked", "bo@x.io": "booked"}


def test_transfer_received_before_the_purchase_ends_the_same() -> None:
    transfer = ev(1, "ticket.transferred", from_holder="ann@x.io", to_holder="bo@x.io")
    assert statuses([transfer, buy(n=2)]) == {"ann@x.io": "cancelled", "bo@x.io": "booked"}


def test_check_in_marks_the_holder_attended() -> None:
    events = [
        buy(quantity=2),
        ev(2, "ticket.transferred", from_holder="ann@x.io", to_holder="bo@x.io"),
        ev(3, "ticket.checked_in", holder="BO@x.io"),
    ]
    assert statuses(events) == {"ann@x.io": "booked", "bo@x.io": "attended"}
    # Without a holder, the check-in is the buyer's.
    assert statuses([buy(), ev(2, "ticket.checked_in")]) == {"ann@x.io": "attended"}


def test_update_changes_quantity_and_amount_once() -> None:
    events = [
        buy(quantity=1, amount=25.0),
        ev(2, "purchase.updated", buyer="ann@x.io", quantity=3, amount=75.0),
    ]
    ledger = poshvip_ledger(events)
    assert ledger["amount"].tolist() == [25.0, 50.0] and ledger["tickets"].tolist() == [1, 2]
    totals = revenue_summary(ledger).totals.iloc[0]
    assert (totals["gross"], totals["tickets"], totals["buyers"], totals["orders"]) == (75.0, 3, 1, 1)


def test_revenue_per_event_and_day_and_filters() -> None:
    events = [
        buy(1, "o1", "a@x.io", amount=10.0),
        buy(30, "o2", "b@x.io", quantity=2, amount=40.0),
        ev(31, "purchase.refunded", "o2"),
    ]
    ledger = poshvip_ledger(events)
    report = revenue_summary(ledger)
    assert report.totals.iloc[0][["gross", "refunds", "net", "tickets", "buyers"]].tolist() == [
        50.0,
        40.0,
        10.0,
        3,
        2,
    ]
    per_day = report.per_day.set_index("day")
    assert per_day.loc[date(2026, 3, 1), "gross"] == 10.0 and per_day.loc[date(2026, 3, 2), "net"] == 0.0
    day_two = revenue_summary(ledger, date_from=date(2026, 3, 2))
    assert day_two.totals.iloc[0]["gross"] == 40.0
    only_refund = revenue_summary(ledger, webhook_ids=[31])
    assert only_refund.totals.iloc[0][["gross", "refunds"]].tolist() == [0.0, 40.0]
    assert revenue_summary(ledger.iloc[0:0]).totals.empty


def test_orders_are_independent() -> None:
    events = [buy(1, "o1", "a@x.io"), buy(2, "o2", "a@x.io"), ev(3, "purchase.refunded", "o1")]
    frame = poshvip_interactions(events)
    assert dict(zip(frame["source_id"], frame["status"], strict=True)) == {
        "o1:a@x.io": "refunded",
        "o2:a@x.io": "booked",
    }


def test_a_buyer_is_keyed_by_the_identity_rule_of_every_other_source() -> None:
    """Posh.VIP meets people in the form audience.identity gives every source's email: the same
    person on EasyAppointments and Posh.VIP is one person, and what identity refuses is no one."""
    from audience.identity import normalise_emails

    raw = [" Ann Lee@X.io ", "bob@x.c", "böb@x.io", "Cy@Sub.Example.COM"]
    frame = poshvip_interactions([buy(n, f"o{n}", email) for n, email in enumerate(raw, start=1)])
    expected = normalise_emails(pd.Series(raw, dtype="string")).dropna().tolist()
    assert frame["email"].tolist() == expected == ["annlee@x.io", "cy@sub.example.com"]
