"""What the Eventbrite twin serves: the organization's events, orders and attendees.

Built from the shared world (``world.rng_for("eventbrite")``); see :mod:`sandbox.eventbrite_twin`
for what the data shows (refunds, cancellations, check-ins, the documented cost components).
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sandbox.conventions import iso_utc
from sandbox.world import Person, World

SERVICE = "eventbrite"
STATIC_TOKEN = "sandbox-eventbrite-token"
ORG_ID = "311042000001"
USER_ID = "199000000001"
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
EVENT_NAMES = (
    "Open Bout Night",
    "Sabre Masterclass",
    "Épée Tournament",
    "Foil Fundamentals Workshop",
    "En Garde Gala",
    "Junior Fencing Day",
    "Veterans Cup",
    "Footwork Bootcamp",
)


def local_time(moment: datetime, zone: str = "Europe/Lisbon") -> str:
    """``moment`` as a naive local time in ``zone`` (UTC when the zone is unknown)."""
    try:
        tz: tzinfo = ZoneInfo(zone)
    except (ValueError, KeyError, ZoneInfoNotFoundError):
        tz = UTC
    return moment.astimezone(tz).strftime("%Y-%m-%dT%H:%M:%S")


def _parts(cents: int) -> dict[str, int]:
    # The documented identity: gross = base_price + eventbrite_fee + payment_fee + tax.
    fee = cents // 10
    payment = cents * 3 // 100
    tax = cents * 6 // 100
    return {
        "base_price": cents - fee - payment - tax,
        "eventbrite_fee": fee,
        "payment_fee": payment,
        "tax": tax,
        "gross": cents,
    }


@functools.cache
def _costs(cents: int) -> dict[str, Any]:
    # Shared read-only dicts: one per price keeps generation fast at large scales.
    return {name: _money("EUR", value) for name, value in _parts(cents).items()}


def _order_costs(prices: list[int]) -> dict[str, Any]:
    """An order's costs: each documented component summed over its tickets."""
    totals = dict.fromkeys(("base_price", "eventbrite_fee", "payment_fee", "tax", "gross"), 0)
    for price in prices:
        for name, value in _parts(price).items():
            totals[name] += value
    return {name: _money("EUR", value) for name, value in totals.items()}


def _money(currency: str, cents: int) -> dict[str, Any]:
    major = f"{cents / 100:.2f}"
    return {"currency": currency, "value": cents, "major_value": major, "display": f"{major} {currency}"}


@dataclass
class EventbriteState:
    """Everything the twin serves; tests may mutate it through the helpers below."""

    events: list[dict[str, Any]]
    attendees: list[dict[str, Any]]
    orders: list[dict[str, Any]]
    #: event id -> (cancelled, sales status) kept apart: the event's own ``status`` may lie.
    cancelled_events: set[str] = field(default_factory=set)
    tokens: set[str] = field(default_factory=lambda: {STATIC_TOKEN})
    codes: dict[str, str] = field(default_factory=dict)
    next_event: int = 0


def generate(world: World) -> EventbriteState:
    """Build the organization's events, orders and attendees from the shared world."""
    rng = world.rng_for(SERVICE)
    anchor = world.anchor.astimezone(UTC)
    n_events = min(80, 12 + world.scale // 1000)
    n_attendees = max(20, world.scale // 5)
    events, cancelled, classes = _events(rng, anchor, n_events)
    attendees, orders = _sales(world, rng, events, cancelled, classes, n_attendees)
    return EventbriteState(events=events, attendees=attendees, orders=orders, cancelled_events=cancelled)


def _events(
    rng: random.Random, anchor: datetime, n_events: int
) -> tuple[list[dict[str, Any]], set[str], dict[str, list[tuple[str, str, int]]]]:
    """The events (by start), the cancelled ones' ids, and each event's ticket classes."""
    events: list[dict[str, Any]] = []
    cancelled: set[str] = set()
    classes: dict[str, list[tuple[str, str, int]]] = {}
    for i in range(n_events):
        start = (anchor - timedelta(days=365) + timedelta(days=rng.uniform(0, 425))).replace(
            minute=0, second=0, microsecond=0
        )
        start = start.replace(hour=rng.choice((10, 17, 18, 19)))
        end = start + timedelta(hours=rng.choice((2, 3, 4)))
        event_id = str(700_000_000_000 + i * 7919)
        free = rng.random() < 0.15
        price = 0 if free else rng.choice((1000, 1500, 2000, 2500, 3500))
        ticket_classes = [(f"{event_id}1", "General Admission", price)]
        if not free and rng.random() < 0.5:
            ticket_classes.append((f"{event_id}2", "Member", price * 7 // 10))
        classes[event_id] = ticket_classes
        is_cancelled = rng.random() < 0.08 or i in (3, n_events // 2)
        status = "completed" if end < anchor else "live"
        if is_cancelled:
            cancelled.add(event_id)
            # Half of the cancelled events still say "live": only the sales status tells.
            # (Always one of each kind, so every world shows the quirk.)
            says_canceled = rng.random() < 0.5
            status = "canceled" if (says_canceled or i == n_events // 2) and i != 3 else status
        created = start - timedelta(days=rng.uniform(20, 90))
        events.append(_event(rng, event_id, (start, end, created), anchor, status, free))
    events.sort(key=lambda e: e["start"]["utc"])
    return events, cancelled, classes


def _event(
    rng: random.Random,
    event_id: str,
    times: tuple[datetime, datetime, datetime],
    anchor: datetime,
    status: str,
    free: bool,
) -> dict[str, Any]:
    """One event as ``GET /events/{id}`` answers it."""
    start, end, created = times
    event: dict[str, Any] = {
        "id": event_id,
        "name": {"text": f"{rng.choice(EVENT_NAMES)} {start:%b %Y}", "html": None},
        "description": {"text": "An En Garde event.", "html": "<p>An En Garde event.</p>"},
        "summary": "An En Garde event.",
        "url": f"https://www.eventbrite.com/e/{event_id}",
        "start": {
            "timezone": "Europe/Lisbon",
            "local": local_time(start),
            "utc": iso_utc(start),
        },
        "end": {
            "timezone": "Europe/Lisbon",
            "local": local_time(end),
            "utc": iso_utc(end),
        },
        "created": iso_utc(min(created, anchor)),
        "changed": iso_utc(min(created, anchor)),
        "published": iso_utc(min(created, anchor)),
        "status": status,
        "currency": "EUR",
        "online_event": rng.random() < 0.2,
        "is_free": free,
        "organization_id": ORG_ID,
        "venue_id": None if free else "55000001",
        "capacity": 200,
        "listed": True,
        "is_series": False,
        "is_series_parent": False,
        "resource_uri": f"https://www.eventbriteapi.com/v3/events/{event_id}/",
    }
    event["name"]["html"] = event["name"]["text"]
    return event


def _sales(
    world: World,
    rng: random.Random,
    events: list[dict[str, Any]],
    cancelled: set[str],
    classes: dict[str, list[tuple[str, str, int]]],
    n_attendees: int,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Orders of one or two tickets and their attendees, refunded in full for cancelled events."""
    anchor = world.anchor.astimezone(UTC)
    starts = {e["id"]: datetime.fromisoformat(e["start"]["utc"].replace("Z", "+00:00")) for e in events}
    pool = world.pick_people(rng, max(10, n_attendees * 2 // 3), bookers_share=0.45)
    weights = [rng.uniform(0.5, 2.0) for _ in events]
    attendees: list[dict[str, Any]] = []
    orders: list[dict[str, Any]] = []
    chosen_events = rng.choices(events, weights=weights, k=n_attendees)
    n = 0
    o = 0
    while n < n_attendees:
        event = chosen_events[n]
        event_id = event["id"]
        start = starts[event_id]
        person = rng.choice(pool)
        email = world.email_variant(person, rng)
        created = min(start - timedelta(days=rng.expovariate(1 / 14)), anchor - timedelta(hours=1))
        quantity = 2 if rng.random() < 0.12 else 1
        order_id = str(500_000_000 + o)
        o += 1
        prices: list[int] = []
        order_status = "placed"
        refund_all = event_id in cancelled
        for _ in range(min(quantity, n_attendees - n)):
            attendee, price = _attendee(
                rng,
                n,
                (event_id, order_id),
                classes[event_id],
                refund_all,
                (start, created, anchor),
                person,
                email,
            )
            prices.append(price)
            attendees.append(attendee)
            if attendee["refunded"]:
                order_status = "refunded"
            n += 1
        orders.append(
            _order(
                order_id, event_id, (created, attendees[-1]["changed"]), person, email, order_status, prices
            )
        )
    return attendees, orders


def _order(
    order_id: str,
    event_id: str,
    stamps: tuple[datetime, str],
    person: Person,
    email: str,
    status: str,
    prices: list[int],
) -> dict[str, Any]:
    """One order (``changed`` is its last ticket's) with its costs summed over the tickets."""
    created, changed = stamps
    return {
        "id": order_id,
        "event_id": event_id,
        "created": iso_utc(created),
        "changed": changed,
        "name": f"{person.first_name} {person.last_name}",
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": email,
        "status": status,
        "costs": _order_costs(prices),
        "resource_uri": f"https://www.eventbriteapi.com/v3/orders/{order_id}/",
    }


def _attendee(
    rng: random.Random,
    n: int,
    ids: tuple[str, str],
    ticket_classes: list[tuple[str, str, int]],
    refund_all: bool,
    times: tuple[datetime, datetime, datetime],
    person: Person,
    email: str,
) -> tuple[dict[str, Any], int]:
    """Attendee number ``n`` (one ticket of an order) and the ticket's price in cents."""
    event_id, order_id = ids
    start, created, anchor = times
    class_id, class_name, price = rng.choice(ticket_classes)
    roll = rng.random()
    refunded = (refund_all and price > 0) or (not refund_all and roll < 0.06)
    cancelled_ticket = (refund_all and price == 0) or (not refund_all and 0.06 <= roll < 0.1)
    checked_in = not (refunded or cancelled_ticket) and start < anchor and rng.random() < 0.7
    changed = created
    if refunded or cancelled_ticket:
        changed = min(created + timedelta(days=rng.uniform(0.5, 10)), anchor - timedelta(minutes=5))
    elif checked_in:
        changed = min(start + timedelta(minutes=rng.uniform(0, 30)), anchor - timedelta(minutes=5))
    status = "Checked In" if checked_in else "Attending"
    if refunded or cancelled_ticket:
        status = "Not Attending"
    attendee = {
        "id": str(1_000_000_000 + n),
        "event_id": event_id,
        "order_id": order_id,
        "ticket_class_id": class_id,
        "ticket_class_name": class_name,
        "created": iso_utc(created),
        "changed": iso_utc(changed),
        "status": status,
        "checked_in": checked_in,
        "cancelled": cancelled_ticket,
        "refunded": refunded,
        "quantity": 1,
        "profile": {
            "first_name": person.first_name,
            "last_name": person.last_name,
            "name": f"{person.first_name} {person.last_name}",
            "email": email,
            "cell_phone": person.phone if rng.random() < 0.4 else None,
            "addresses": {},
        },
        "costs": _costs(price),
        "answers": [],
        "barcodes": [
            {
                "barcode": f"{n:012d}",
                "status": "used" if checked_in else "unused",
                "checkin_type": 0,
            }
        ],
        "affiliate": None,
        "delivery_method": "electronic",
        "resource_uri": f"https://www.eventbriteapi.com/v3/events/{event_id}/attendees/{1_000_000_000 + n}/",
    }
    return attendee, price
