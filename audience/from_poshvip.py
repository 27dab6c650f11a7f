"""Posh.VIP events -> interactions and the money ledger (pure pandas, no I/O).

Interactions are one row per (order, ticket holder): ``source_id = "<order id>:<email>"``,
``kind = "ticket"``. Every order is re-derived from its whole event history (the caller
passes all mapped events of the affected orders, in order of receipt), so processing is
idempotent and a replay after an adapter fix lands on the same rows:

- ``purchase.created`` / ``purchase.updated``: the buyer holds ``quantity`` tickets (paid: ``booked``);
- ``purchase.refunded``: every holder of a fully refunded order becomes ``refunded``;
- ``ticket.transferred``: the new holder gains the ticket(s), the previous holder loses them;
  someone left with none is ``cancelled`` (they no longer hold a ticket);
- ``ticket.checked_in``: the holder ``attended``.

Ticket counts are plain additions, so a transfer received before its purchase still ends right.
The same fold writes the money ledger (:func:`poshvip_ledger`); its analytics (gross, refunds,
net per currency, event and day) are :func:`insights.revenue.revenue_summary`.

The mapped events come from ``connectors.poshvip`` (its ``PoshEvent`` and ``Contact`` models), but
this module names only the fields it reads, as the read-only protocols :class:`PoshOrderEvent` and
:class:`PoshContact`: audience is pure and imports no connector (the layer rule), and connectors
import no audience either, so neither may own a type the other imports. A structural protocol
needs no shared module; mypy checks at the call site (``tasks/poshvip.py``) that the connector's
models satisfy it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import pandas as pd

from audience.identity import normalise_email
from audience.schema import coerce_interactions, empty_interactions

SOURCE = "poshvip"
LEDGER_COLUMNS = [
    "webhook_id",
    "order_id",
    "at",
    "day",
    "kind",
    "amount",
    "tickets",
    "currency",
    "event_name",
    "buyer",
]
_CENT = 0.005


class PoshContact(Protocol):
    """A person as a payload names them (``email`` as given; normalised here)."""

    @property
    def email(self) -> str: ...
    @property
    def first_name(self) -> str | None: ...
    @property
    def last_name(self) -> str | None: ...
    @property
    def phone(self) -> str | None: ...


class PoshOrderEvent(Protocol):
    """The fields of one mapped Posh.VIP event the fold reads (amounts in major units, UTC datetimes)."""

    @property
    def event_type(self) -> str: ...
    @property
    def order_id(self) -> str: ...
    @property
    def buyer(self) -> PoshContact | None: ...
    @property
    def holder(self) -> PoshContact | None: ...
    @property
    def from_holder(self) -> PoshContact | None: ...
    @property
    def to_holder(self) -> PoshContact | None: ...
    @property
    def quantity(self) -> int | None: ...
    @property
    def amount(self) -> float | None: ...
    @property
    def refund_amount(self) -> float | None: ...
    @property
    def currency(self) -> str | None: ...
    @property
    def event_id(self) -> str | None: ...
    @property
    def event_name(self) -> str | None: ...
    @property
    def event_start(self) -> datetime | None: ...
    @property
    def occurred_at(self) -> datetime | None: ...


@dataclass(frozen=True, slots=True)
class _Person:
    """What is known of one holder of an order, merged over its events."""

    email: str
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class ReceivedEvent:
    """A mapped event with where and when it was received (the stored row's id and time)."""

    webhook_id: int
    received_at: datetime
    event: PoshOrderEvent


@dataclass
class _Order:
    order_id: str
    buyer: str | None = None
    quantity: int = 0
    amount: float | None = None
    refunded_total: float = 0.0
    refunded_all: bool = False
    currency: str | None = None
    event_id: str | None = None
    event_name: str | None = None
    event_start: datetime | None = None
    purchased_at: datetime | None = None
    holders: dict[str, int] = field(default_factory=dict)
    contacts: dict[str, _Person] = field(default_factory=dict)
    checked_in: set[str] = field(default_factory=set)
    ledger: list[dict[str, Any]] = field(default_factory=list)

    def meet(self, contact: PoshContact | None) -> str | None:
        if contact is None:
            return None
        email = normalise_email(contact.email)
        if email is None:
            return None
        known = self.contacts.get(email)
        self.contacts[email] = _Person(
            email=contact.email,
            first_name=contact.first_name or (known.first_name if known else None),
            last_name=contact.last_name or (known.last_name if known else None),
            phone=contact.phone or (known.phone if known else None),
        )
        self.holders.setdefault(email, 0)
        return email

    def money(self, item: ReceivedEvent, kind: str, amount: float, tickets: int) -> None:
        at = item.event.occurred_at or item.received_at
        self.ledger.append(
            {
                "webhook_id": item.webhook_id,
                "order_id": self.order_id,
                "at": at,
                "day": at.date(),
                "kind": kind,
                "amount": round(amount, 2),
                "tickets": tickets,
                "currency": self.currency,
                "event_name": self.event_name,
                "buyer": self.buyer,
            }
        )

    def apply(self, item: ReceivedEvent) -> None:
        ev = item.event
        self.currency = ev.currency or self.currency
        self.event_id = ev.event_id or self.event_id
        self.event_name = ev.event_name or self.event_name
        self.event_start = ev.event_start or self.event_start
        if ev.event_type in ("purchase.created", "purchase.updated"):
            self._purchase(item)
        elif ev.event_type == "purchase.refunded":
            self._refund(item)
        elif ev.event_type == "ticket.transferred":
            count = ev.quantity or 1
            src, dst = self.meet(ev.from_holder), self.meet(ev.to_holder)
            if src is not None and dst is not None and src != dst:
                self.holders[src] -= count
                self.holders[dst] += count
        elif ev.event_type == "ticket.checked_in":
            who = self.meet(ev.holder) or self.meet(ev.buyer) or self.buyer
            if who is not None:
                self.checked_in.add(who)
                self.holders.setdefault(who, 0)

    def _purchase(self, item: ReceivedEvent) -> None:
        ev = item.event
        buyer = self.meet(ev.buyer)
        if buyer is not None and self.buyer is not None and buyer != self.buyer:
            self.holders[buyer] += self.holders[self.buyer]  # the order changed hands
            self.holders[self.buyer] = 0
        if buyer is not None:
            self.buyer = buyer
        if self.purchased_at is None:
            self.purchased_at = ev.occurred_at or item.received_at
        quantity = ev.quantity if ev.quantity is not None else (self.quantity or 1)
        if self.buyer is not None:
            self.holders[self.buyer] += quantity - self.quantity
        sold_before, paid_before = self.quantity, self.amount or 0.0
        self.quantity = quantity
        if ev.amount is not None:
            self.amount = ev.amount
        delta = (self.amount or 0.0) - paid_before
        if abs(delta) >= _CENT or quantity != sold_before:
            self.money(item, "sale", delta, quantity - sold_before)

    def _refund(self, item: ReceivedEvent) -> None:
        ev = item.event
        paid = self.amount or 0.0
        remaining = max(paid - self.refunded_total, 0.0)
        refund = (
            remaining if ev.refund_amount is None else min(ev.refund_amount, remaining or ev.refund_amount)
        )
        if self.amount is None and ev.refund_amount is None and ev.amount is not None:
            refund = ev.amount
        self.refunded_total += refund
        if ev.refund_amount is None or self.refunded_total >= paid - _CENT:
            self.refunded_all = True
        if refund >= _CENT or self.refunded_all:
            self.money(item, "refund", refund, 0)

    def rows(self) -> list[dict[str, Any]]:
        out = []
        for email, held in self.holders.items():
            if self.refunded_all:
                status = "refunded"
            elif email in self.checked_in:
                status = "attended"
            elif held > 0:
                status = "booked"
            else:
                status = "cancelled"
            contact = self.contacts.get(email)
            out.append(
                {
                    "source": SOURCE,
                    "source_id": f"{self.order_id}:{email}",
                    "email_raw": contact.email if contact else email,
                    "email": email,
                    "first_name": contact.first_name if contact else None,
                    "last_name": contact.last_name if contact else None,
                    "phone": contact.phone if contact else None,
                    "kind": "ticket",
                    "status": status,
                    "occurred_at": self.event_start or self.purchased_at,
                    "created_at": self.purchased_at,
                    "service": self.event_name,
                    "event_id": self.event_id,
                    "amount": self.amount if email == self.buyer else None,
                    "currency": self.currency,
                }
            )
        return out


def fold_orders(events: Iterable[ReceivedEvent]) -> dict[str, _Order]:
    """Apply ``events`` in order of receipt; one folded state per order id."""
    orders: dict[str, _Order] = {}
    for item in sorted(events, key=lambda e: (e.received_at, e.webhook_id)):
        order = orders.setdefault(item.event.order_id, _Order(item.event.order_id))
        order.apply(item)
    return orders


def poshvip_interactions(events: Sequence[ReceivedEvent]) -> pd.DataFrame:
    """The interactions frame of every order in ``events`` (pass each order's whole history)."""
    rows = [row for order in fold_orders(events).values() for row in order.rows()]
    if not rows:
        return empty_interactions()
    return coerce_interactions(pd.DataFrame(rows))


def poshvip_ledger(events: Sequence[ReceivedEvent]) -> pd.DataFrame:
    """Money movements: one ``sale`` (or sale adjustment) / ``refund`` row per event that moved money."""
    rows = [row for order in fold_orders(events).values() for row in order.ledger]
    frame = pd.DataFrame(rows, columns=LEDGER_COLUMNS)
    return frame.astype({"amount": "float64", "tickets": "int64"})


def affected_emails(interactions: pd.DataFrame) -> list[str]:
    """The distinct normalised emails in an interactions frame, sorted."""
    if interactions.empty:
        return []
    return sorted({str(e) for e in interactions["email"].dropna()})
