"""Repository functions for raw webhook deliveries (:class:`store.models.WebhookEvent`).

The receiver's write path (:func:`insert_deliveries`) is one multi-row
``INSERT ... ON CONFLICT (provider, event_key) DO NOTHING RETURNING event_key``, so a batch of
deliveries costs one statement and one commit, and the caller learns exactly which keys were
new. The statement is SQLAlchemy's, compiled once per dialect and run on the driver's cursor
(:class:`BatchInsert`): executed through SQLAlchemy, a batch of a few deliveries cost the
receiver's writer thread, which shares the GIL with every request, more CPU than the
database's own work. Everything else (selecting events to process,
recording outcomes, counting) serves the ``poshvip-events`` flow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Insert, Table, bindparam, func, select, update
from sqlalchemy.engine import Dialect
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
_INSERTS: dict[tuple[str, str], BatchInsert] = {}


def insert_statement(dialect: str) -> Insert:
    """The one statement that stores deliveries and returns the keys that were new (built once per
    dialect; :class:`BatchInsert` compiles it once and repeats its ``VALUES`` row per delivery)."""
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
    One statement per call (:class:`BatchInsert`, compiled once per dialect).
    """
    dialect = connection.dialect
    key = (dialect.name, dialect.driver)
    insert = _INSERTS.get(key)
    if insert is None:
        insert = _INSERTS[key] = BatchInsert(dialect)
    return insert.insert(connection, rows)


_COLUMNS = ("provider", "event_key", "received_at", "headers", "body", "status")
_Processor = Callable[[Any], Any] | None


class BatchInsert:
    """Stores :class:`NewDelivery` rows with one multi-row statement per batch.

    :func:`insert_statement` compiled once for one row; a batch of ``n`` rows repeats its
    ``VALUES`` row ``n`` times (parameters numbered per row for ``%(name)s`` drivers), as
    SQLAlchemy's own "insertmanyvalues" does. Values go through the column types' own bind
    processors (the stored text of times and JSON headers is what SQLAlchemy would store); the
    statement runs on the DBAPI cursor of the caller's connection, in the caller's transaction.
    """

    def __init__(self, dialect: Dialect) -> None:
        if dialect.paramstyle not in ("qmark", "format", "pyformat"):  # sqlite3, psycopg
            raise ValueError(f"unsupported DBAPI parameter style {dialect.paramstyle!r}")
        table: Table = WebhookEvent.__table__  # type: ignore[assignment]
        self._processors: list[_Processor] = [
            table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in _COLUMNS
        ]
        one_row = {name: bindparam(f"{name}_0", type_=table.c[name].type) for name in _COLUMNS}
        compiled = insert_statement(dialect.name).values(one_row).compile(dialect=dialect)
        head, values_kw, rest = compiled.string.partition(" VALUES ")
        self._row, conflict_kw, tail = rest.partition(" ON CONFLICT ")
        if not values_kw or not conflict_kw:
            raise ValueError(f"unexpected insert statement: {compiled.string}")
        self._head, self._tail = head + values_kw, conflict_kw + tail
        self._named = not compiled.positional
        #: for positional drivers, which column each placeholder of a row stands for
        self._order = [_COLUMNS.index(name.rsplit("_", 1)[0]) for name in compiled.positiontup or ()]
        self._statements: dict[int, str] = {}

    def _statement(self, count: int) -> str:
        """The SQL for ``count`` rows: the compiled row's placeholders repeated, numbered per row when named."""
        sql = self._statements.get(count)
        if sql is None:
            rows = (self._row.replace("_0)", f"_{i})") if self._named else self._row for i in range(count))
            sql = self._statements[count] = self._head + ", ".join(rows) + self._tail
        return sql

    def _params(self, rows: Sequence[NewDelivery]) -> list[Any] | dict[str, Any]:
        converted = [
            [
                value if process is None else process(value)
                for process, value in zip(
                    self._processors,
                    (row.provider, row.event_key, row.received_at, row.headers, row.body, PENDING),
                    strict=True,
                )
            ]
            for row in rows
        ]
        if self._named:
            return {
                f"{name}_{i}": value
                for i, row in enumerate(converted)
                for name, value in zip(_COLUMNS, row, strict=True)
            }
        return [row[column] for row in converted for column in self._order]

    def insert(self, connection: Connection, rows: Sequence[NewDelivery]) -> set[tuple[str, str]]:
        """Store ``rows`` (a key repeated within them once) inside the caller's transaction; the
        (provider, key) pairs that were new."""
        seen: set[tuple[str, str]] = set()
        unique: list[NewDelivery] = []
        for row in rows:
            if (row.provider, row.event_key) not in seen:
                seen.add((row.provider, row.event_key))
                unique.append(row)
        if not unique:
            return set()
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(self._statement(len(unique)), self._params(unique))
            return {(str(provider), str(key)) for provider, key in cursor.fetchall()}
        finally:
            cursor.close()


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
