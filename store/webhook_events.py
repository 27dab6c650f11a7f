"""Repository functions for raw webhook deliveries (:class:`store.models.WebhookEvent`).

The receiver's write path (:func:`insert_deliveries`) is one multi-row
``INSERT ... ON CONFLICT (provider, event_key) DO NOTHING RETURNING event_key`` through
SQLAlchemy Core, so a batch of deliveries costs one statement and one commit, and the
caller learns exactly which keys were new. Everything else (selecting events to process,
recording outcomes, counting) serves the ``poshvip-events`` flow.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Insert, func, select, update
from sqlalchemy.orm import Session

from store.models import WebhookEvent
from store.upsert import insert_for

PENDING = "pending"
PROCESSED = "processed"
UNMAPPED = "unmapped"
#: Processing it raised something the adapter did not foresee (a bug); replayable after a fix.
FAILED = "failed"
STATUSES = (PENDING, PROCESSED, UNMAPPED, FAILED)


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """A delivery as the receiver stores it, before any parsing."""

    provider: str
    event_key: str
    received_at: datetime
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """A stored delivery as the flow reads it."""

    id: int
    provider: str
    event_key: str
    received_at: datetime
    headers: dict[str, Any]
    body: bytes
    event_type: str | None
    status: str
    processed_at: datetime | None
    error: str | None


@dataclass(frozen=True, slots=True)
class EventOutcome:
    """What processing one stored event found: ``processed`` or ``unmapped`` (with the reason)."""

    id: int
    status: str
    event_type: str | None = None
    error: str | None = None


_STATEMENTS: dict[str, Insert] = {}


def insert_statement(dialect: str) -> Insert:
    """The one statement that stores deliveries and returns the keys that were new (built once per dialect).

    Executed with a list of parameter sets, SQLAlchemy batches it into multi-row
    ``INSERT ... VALUES ... ON CONFLICT DO NOTHING RETURNING`` ("insertmanyvalues") from a
    cached compilation, which is what keeps the receiver's write path cheap.
    """
    stmt = _STATEMENTS.get(dialect)
    if stmt is None:
        stmt = (
            insert_for(dialect, WebhookEvent)
            .on_conflict_do_nothing(index_elements=["provider", "event_key"])
            .returning(WebhookEvent.provider, WebhookEvent.event_key)
        )
        _STATEMENTS[dialect] = stmt
    return stmt


def insert_deliveries(connection: Connection, *, rows: Sequence[NewDelivery]) -> set[tuple[str, str]]:
    """Store ``rows`` (skipping keys already stored); return the (provider, key) pairs that were new.

    Rows repeating a key within ``rows`` are stored once. The caller owns the transaction.
    """
    if not rows:
        return set()
    seen: set[tuple[str, str]] = set()
    params: list[dict[str, Any]] = []
    for row in rows:
        key = (row.provider, row.event_key)
        if key not in seen:
            seen.add(key)
            params.append(
                {
                    "provider": row.provider,
                    "event_key": row.event_key,
                    "received_at": row.received_at,
                    "headers": row.headers,
                    "body": row.body,
                    "status": PENDING,
                }
            )
    stmt = insert_statement(connection.dialect.name)
    result = connection.execute(stmt, params[0] if len(params) == 1 else params)
    return {(str(p), str(k)) for p, k in result.all()}


def _to_stored(row: WebhookEvent) -> StoredEvent:
    return StoredEvent(
        id=row.id,
        provider=row.provider,
        event_key=row.event_key,
        received_at=row.received_at,
        headers=dict(row.headers or {}),
        body=bytes(row.body),
        event_type=row.event_type,
        status=row.status,
        processed_at=row.processed_at,
        error=row.error,
    )


def select_events(
    session: Session,
    *,
    provider: str,
    statuses: Iterable[str] | None = (PENDING,),
    received_from: datetime | None = None,
    received_to: datetime | None = None,
    ids: Iterable[int] | None = None,
    limit: int | None = None,
) -> list[StoredEvent]:
    """Stored events of ``provider`` in order of receipt (``received_at``, then id), filtered.

    ``statuses=None`` means any status; ``received_to`` is exclusive.
    """
    stmt = select(WebhookEvent).where(WebhookEvent.provider == provider)
    if statuses is not None:
        stmt = stmt.where(WebhookEvent.status.in_(list(statuses)))
    if received_from is not None:
        stmt = stmt.where(WebhookEvent.received_at >= received_from)
    if received_to is not None:
        stmt = stmt.where(WebhookEvent.received_at < received_to)
    if ids is not None:
        wanted = sorted(set(ids))
        if not wanted:
            return []
        stmt = stmt.where(WebhookEvent.id.in_(wanted))
    stmt = stmt.order_by(WebhookEvent.received_at, WebhookEvent.id)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [_to_stored(row) for row in session.scalars(stmt)]


def record_outcomes(
    session: Session, *, outcomes: Sequence[EventOutcome], now: datetime | None = None
) -> int:
    """Mark events processed or unmapped (with the reason); returns how many rows changed."""
    now = now or datetime.now(UTC)
    changed = 0
    for outcome in outcomes:
        result = session.execute(
            update(WebhookEvent)
            .where(WebhookEvent.id == outcome.id)
            .values(
                status=outcome.status,
                event_type=outcome.event_type,
                error=outcome.error,
                processed_at=now,
            )
        )
        changed += int(getattr(result, "rowcount", 0) or 0)
    return changed


def count_events(session: Session, *, provider: str) -> dict[str, int]:
    """How many stored events ``provider`` has per status (every status present, zero if none)."""
    counts = dict.fromkeys(STATUSES, 0)
    stmt = (
        select(WebhookEvent.status, func.count())
        .where(WebhookEvent.provider == provider)
        .group_by(WebhookEvent.status)
    )
    for status, count in session.execute(stmt).all():
        counts[str(status)] = int(count)
    return counts
