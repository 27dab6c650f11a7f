"""Prefect tasks for stored Posh.VIP events: select, map, load order history, store results."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger

from audience.from_poshvip import ReceivedEvent
from connectors.poshvip import UnmappableEvent, decode_body, event_type_of, map_event
from store.db import session_scope
from store.interactions import upsert_interactions
from store.webhook_events import (
    FAILED,
    PENDING,
    PROCESSED,
    UNMAPPED,
    EventOutcome,
    StoredEvent,
    record_outcomes,
    select_events,
)

PROVIDER = "poshvip"


@dataclass(frozen=True, slots=True)
class UnmappedItem:
    """A stored event the adapter could not map (or that failed to process), and why."""

    id: int
    received_at: datetime
    event_type: str | None
    reason: str
    status: str = UNMAPPED


@dataclass
class MappingResult:
    """Stored events split into mapped events and unmapped ones, with each event's outcome."""

    mapped: list[ReceivedEvent] = field(default_factory=list)
    unmapped: list[UnmappedItem] = field(default_factory=list)
    outcomes: list[EventOutcome] = field(default_factory=list)


def _type_guess(body: bytes) -> str | None:
    try:
        kind = event_type_of(decode_body(body))
    except Exception:  # only a label for the report: never let it fail the delivery's outcome
        return None
    return kind[:64] if kind else None


def map_stored_events(events: Sequence[StoredEvent]) -> MappingResult:
    """Run the adapter over stored events, each in isolation (pure; order of receipt kept).

    A body the adapter cannot map is ``unmapped`` with its reason; anything else raised while
    mapping one delivery (an adapter bug) marks that delivery ``failed`` with the error, and the
    others go on. Both are listed in the run's artifact and digest and can be replayed.
    """
    result = MappingResult()
    for stored in events:
        try:
            event = map_event(stored.body)
        except UnmappableEvent as exc:
            kind = _type_guess(stored.body)
            result.unmapped.append(UnmappedItem(stored.id, stored.received_at, kind, exc.reason))
            result.outcomes.append(EventOutcome(stored.id, UNMAPPED, kind, exc.reason))
            continue
        except Exception as exc:  # one poisoned delivery must not stop the others
            kind = _type_guess(stored.body)
            reason = f"could not be processed: {type(exc).__name__}: {str(exc)[:200]}"
            result.unmapped.append(UnmappedItem(stored.id, stored.received_at, kind, reason, FAILED))
            result.outcomes.append(EventOutcome(stored.id, FAILED, kind, reason))
            continue
        result.mapped.append(ReceivedEvent(stored.id, stored.received_at, event))
        result.outcomes.append(EventOutcome(stored.id, PROCESSED, event.event_type, None))
    return result


@task(name="select-poshvip-events", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def select_poshvip_events(
    *,
    replay: bool,
    received_from: datetime | None = None,
    received_to: datetime | None = None,
    event_ids: Sequence[int] | None = None,
) -> list[StoredEvent]:
    """The stored events to process, in order of receipt.

    Normal runs take pending events (optionally within the window / ids). A replay takes every
    event in the window / ids whatever its status, or, with neither given, all unmapped and
    failed events.
    """
    statuses: tuple[str, ...] | None = (PENDING,)
    if replay:
        statuses = None if (received_from or received_to or event_ids) else (UNMAPPED, FAILED)
    with session_scope() as session:
        events = select_events(
            session,
            provider=PROVIDER,
            statuses=statuses,
            received_from=received_from,
            received_to=received_to,
            ids=event_ids,
        )
    get_run_logger().info("selected %d stored Posh.VIP events (replay=%s)", len(events), replay)
    return events


@task(name="load-poshvip-history", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def load_poshvip_history(*, exclude_ids: Sequence[int] = ()) -> list[ReceivedEvent]:
    """Every already processed event, mapped (the order histories the fold needs)."""
    with session_scope() as session:
        stored = select_events(session, provider=PROVIDER, statuses=(PROCESSED,))
    skip = set(exclude_ids)
    mapped = map_stored_events([s for s in stored if s.id not in skip]).mapped
    get_run_logger().info("loaded %d processed Posh.VIP events as order history", len(mapped))
    return mapped


@task(name="store-poshvip-results", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def store_poshvip_results(*, interactions: pd.DataFrame, outcomes: Sequence[EventOutcome]) -> int:
    """Upsert the interactions and mark the events, in one transaction; returns interactions written."""
    with session_scope() as session:
        written = upsert_interactions(session, interactions)
        record_outcomes(session, outcomes=outcomes)
    get_run_logger().info("stored %d Posh.VIP interactions, marked %d events", written, len(outcomes))
    return written


def touched_orders(history: Sequence[ReceivedEvent], mapped: Sequence[ReceivedEvent]) -> list[ReceivedEvent]:
    """The whole history of every order this run's events touch, then this run's events (pure).

    An order is always re-derived from all its events, so a late refund undoes the right sale.
    """
    touched = {m.event.order_id for m in mapped}
    return [h for h in history if h.event.order_id in touched] + list(mapped)
