"""The adapter over several payload shapes: the sender's, nested ``data.object``, flat, and broken ones."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.poshvip import UnmappableEvent, dedupe_key, event_type_of, map_event
from sandbox.poshvip_sender import build_events
from sandbox.world import build_world


def body(payload: Any) -> bytes:
    return json.dumps(payload).encode()


def test_every_sender_event_maps() -> None:
    events = build_events(build_world(200, 3), 200)
    kinds = {p["type"] for p in events}
    assert kinds == {
        "purchase.created",
        "purchase.updated",
        "purchase.refunded",
        "ticket.transferred",
        "ticket.checked_in",
    }
    for payload in events:
        event = map_event(body(payload))
        assert event.event_type == payload["type"]
        assert event.order_id == payload["data"]["order"]["id"]
        assert event.event_ref == payload["id"]
        assert event.event_name and event.event_start and event.occurred_at


def test_sender_shape_fields() -> None:
    payload = {
        "id": "evt_1",
        "type": "purchase.created",
        "created_at": "2026-05-01T10:00:00Z",
        "data": {
            "order": {"id": "ord_9", "quantity": 2, "total": 70.0, "currency": "usd"},
            "buyer": {
                "email": " Ana@Example.com ",
                "first_name": "Ana",
                "last_name": "Silva",
                "phone": "+351",
            },
            "event": {"id": "e1", "name": "Gala", "start": "2026-06-01T20:00:00+01:00"},
        },
    }
    event = map_event(body(payload))
    assert event.buyer is not None and event.buyer.email == "Ana@Example.com"
    assert (event.quantity, event.amount, event.currency) == (2, 70.0, "USD")
    assert event.event_start == datetime(2026, 6, 1, 19, 0, tzinfo=UTC)
    assert event.occurred_at == datetime(2026, 5, 1, 10, 0, tzinfo=UTC)


def test_nested_data_object_shape_with_cents_and_full_name() -> None:
    payload = {
        "event_id": "wh_77",
        "event": "order.refunded",
        "data": {
            "object": {
                "id": "ord_5",
                "customer": {"email": "bo@x.org", "name": "Bo Van Dijk"},
                "amount_cents": 4550,
                "currency_code": "EUR",
                "refund": {"amount": 20},
                "party": {"id": "p1", "name": "Open Salle"},
                "refunded_at": 1767225600,
            }
        },
    }
    event = map_event(body(payload))
    assert event.event_type == "purchase.refunded"
    assert event.order_id == "ord_5" and event.event_ref == "wh_77"
    assert event.buyer is not None and (event.buyer.first_name, event.buyer.last_name) == ("Bo", "Van Dijk")
    assert (event.amount, event.refund_amount, event.currency) == (45.5, 20.0, "EUR")
    assert event.event_name == "Open Salle"
    assert event.occurred_at == datetime(2026, 1, 1, tzinfo=UTC)


def test_flat_shape() -> None:
    payload = {
        "webhook_id": "w1",
        "type": "PURCHASE_CREATED",
        "order_id": 123,
        "email": "flat@x.io",
        "first_name": "Fl",
        "ticket_count": "3",
        "amount": "1,050.00",
        "event_name": "Cup",
        "timestamp": "2026-02-02T02:02:02",
    }
    event = map_event(body(payload))
    assert event.event_type == "purchase.created" and event.order_id == "123"
    assert event.buyer is not None and event.buyer.email == "flat@x.io" and event.buyer.first_name == "Fl"
    assert (event.quantity, event.amount) == (3, 1050.0)
    assert event.occurred_at == datetime(2026, 2, 2, 2, 2, 2, tzinfo=UTC)


def test_flat_transfer_and_check_in() -> None:
    transfer = map_event(
        body(
            {
                "type": "ticket.transferred",
                "order_id": "o1",
                "from_email": "a@x.io",
                "to_email": "b@x.io",
                "to_first_name": "Bea",
            }
        )
    )
    assert transfer.from_holder is not None and transfer.from_holder.email == "a@x.io"
    assert transfer.to_holder is not None and transfer.to_holder.first_name == "Bea"
    check_in = map_event(
        body({"type": "ticket.checked_in", "data": {"order_id": "o1", "attendee": {"email": "b@x.io"}}})
    )
    assert check_in.holder is not None and check_in.holder.email == "b@x.io"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty body"),
        (b"not json", "not JSON"),
        (b"[1, 2]", "not an object"),
        (body({"data": {"order_id": "o"}}), "no event type"),
        (body({"type": "purchase.exploded", "order_id": "o"}), "unknown event type"),
        (body({"id": "evt", "type": "purchase.created", "email": "a@x.io"}), "no order id"),
        (body({"type": "purchase.created", "data": {"order_id": "o"}}), "no buyer email"),
        (
            body({"type": "ticket.transferred", "data": {"order_id": "o", "from": {"email": "a@x.io"}}}),
            "no new holder",
        ),
        (
            body({"type": "purchase.created", "data": {"order_id": "o", "buyer": {"email": "nobody"}}}),
            "not an email",
        ),
    ],
)
def test_unmappable_bodies_say_why(raw: bytes, reason: str) -> None:
    with pytest.raises(UnmappableEvent) as caught:
        map_event(raw)
    assert reason in caught.value.reason


def test_event_type_normalisation() -> None:
    assert event_type_of({"type": "Ticket-Checked-In"}) == "ticket.checked_in"
    assert event_type_of({"topic": "order.created"}) == "purchase.created"
    assert event_type_of({}) is None


def test_dedupe_key() -> None:
    assert dedupe_key(b'{"id": "evt_1", "x": 1}') == dedupe_key(b'{"x": 2, "id": "evt_1"}') == "id:evt_1"
    assert dedupe_key(b'{"event_id": 42}') == "id:42"
    assert dedupe_key(b"plain") == "sha256:" + hashlib.sha256(b"plain").hexdigest()
    assert dedupe_key(b'{"id": true}').startswith("sha256:")
    long_key = dedupe_key(body({"id": "x" * 500}))
    assert long_key.startswith("idsha256:") and len(long_key) <= 128
