"""Poison never blocks: arbitrary bytes and JSON through the Posh.VIP adapter and the processing step.

Property-based (hypothesis): whatever a signed delivery holds, mapping it either gives an
event or says why not (``UnmappableEvent``); processing a batch of them never raises past
the per-delivery boundary, and a good delivery stored beside them is always processed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audience.from_poshvip import poshvip_interactions, poshvip_ledger
from connectors.poshvip.adapter import (
    EVENT_TYPES,
    MAX_DEPTH,
    UnmappableEvent,
    decode_body,
    map_event,
    nesting_depth,
)
from insights.revenue import revenue_summary
from store.webhook_events import FAILED, PENDING, PROCESSED, UNMAPPED, StoredEvent
from tasks.poshvip import map_stored_events

T0 = datetime(2026, 5, 1, tzinfo=UTC)
GOOD = {
    "id": "evt_good",
    "type": "purchase.created",
    "data": {
        "order": {"id": "o-good", "quantity": 2, "total": 40.0, "currency": "USD"},
        "buyer": {"email": "good@example.org"},
    },
}
FIELDS = ["order", "buyer", "id", "quantity", "total", "amount", "currency", "email", "from", "to", "event"]
scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=30,
)
#: Envelopes that get past the event-type check, so the deep mapping code is exercised too.
envelopes = st.fixed_dictionaries(
    {"type": st.sampled_from(EVENT_TYPES), "data": json_values},
    optional={"id": scalars, "order_id": scalars, "created_at": scalars},
)


def as_body(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


def stored(n: int, body: bytes) -> StoredEvent:
    return StoredEvent(n, "poshvip", f"k{n}", T0 + timedelta(minutes=n), {}, body, None, PENDING, None, None)


def map_or_refuse(body: bytes) -> None:
    try:
        map_event(body)
    except UnmappableEvent as exc:
        assert exc.reason


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_map_or_are_refused_with_a_reason(body: bytes) -> None:
    map_or_refuse(body)


@settings(max_examples=300, deadline=None)
@given(json_values | envelopes)
def test_arbitrary_json_maps_or_is_refused_with_a_reason(value: Any) -> None:
    map_or_refuse(as_body(value))


@given(st.integers(min_value=MAX_DEPTH + 1, max_value=5_000), st.sampled_from(["[", '{"a":']))
@settings(max_examples=20, deadline=None)
def test_deep_nesting_is_refused_before_decoding(depth: int, opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    body = (opener * depth + "1" + closer * depth).encode()
    try:
        decode_body(body)
    except UnmappableEvent as exc:
        assert "levels deep" in exc.reason
    else:
        raise AssertionError("a body nested beyond MAX_DEPTH was decoded")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.binary(max_size=200).map(bytes) | (json_values | envelopes).map(as_body), max_size=8))
def test_processing_a_batch_never_raises_and_the_good_delivery_goes_on(bodies: list[bytes]) -> None:
    events = [stored(i, b) for i, b in enumerate(bodies)] + [stored(len(bodies), as_body(GOOD))]
    result = map_stored_events(events)

    assert len(result.outcomes) == len(events)
    assert {o.status for o in result.outcomes} <= {PROCESSED, UNMAPPED, FAILED}
    assert all(o.error for o in result.outcomes if o.status != PROCESSED)
    assert result.outcomes[-1].status == PROCESSED
    # The order fold and the revenue analytics take whatever the adapter mapped.
    interactions = poshvip_interactions(result.mapped)
    assert "good@example.org" in set(interactions["email_raw"].str.lower())
    revenue_summary(poshvip_ledger(result.mapped))


def test_one_delivery_that_breaks_the_adapter_is_marked_failed_and_the_rest_go_on(monkeypatch: Any) -> None:
    import tasks.poshvip as tasks_poshvip

    def flaky(body: bytes) -> Any:
        if b"boom" in body:
            raise RuntimeError("adapter bug")
        return map_event(body)

    monkeypatch.setattr(tasks_poshvip, "map_event", flaky)
    poison = {**GOOD, "id": "boom"}
    result = map_stored_events([stored(1, as_body(poison)), stored(2, as_body(GOOD))])
    assert [(o.status, o.error) for o in result.outcomes] == [
        (FAILED, "could not be processed: RuntimeError: adapter bug"),
        (PROCESSED, None),
    ]
    assert result.unmapped[0].status == FAILED


def test_nesting_depth_ignores_brackets_in_strings() -> None:
    assert nesting_depth(b'{"a": "[[[[", "b": [{"c": "\\\\"}]}') == 3
    assert nesting_depth(b"[" * 100, stop_above=MAX_DEPTH) == MAX_DEPTH + 1


def depth_of(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((depth_of(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth_of(v) for v in value), default=0)
    return 0


@settings(max_examples=200, deadline=None)
@given(json_values, st.booleans())
def test_nesting_depth_is_the_real_depth_of_any_json(value: Any, ascii_only: bool) -> None:
    assert nesting_depth(json.dumps(value, ensure_ascii=ascii_only).encode()) == depth_of(value)


def test_nesting_depth_is_linear_on_hostile_strings() -> None:
    # Escaped quotes and a trailing backslash: a backtracking scan would take minutes here.
    for body in (b'\\"' * 200_000, b'"\\' * 200_000, b'"' + b'\\"' * 200_000):
        assert nesting_depth(body) == 0
