"""Repository functions for the unified interactions table.

Frames in and out have the columns of the ``interactions`` table (less its ``id`` and ``updated_at``),
typed from the table's own column types (:data:`STORED_DTYPES`): text as ``string``, times as UTC
``datetime64``, amounts as ``Float64``. That is the shape ``audience.schema`` names the interactions
frame; ``tests/store/test_interactions.py`` checks the two agree, so ``store`` needs nothing of ``audience``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import (
    Column,
    ColumnElement,
    DateTime,
    Float,
    Select,
    String,
    TypeDecorator,
    and_,
    inspect,
    select,
    update,
)
from sqlalchemy.orm import Session

from store.models import Interaction
from store.upsert import insert_for

_UPSERT_BATCH = 1_000


def _pandas_dtype(column: Column[Any]) -> str:
    """The frame dtype of a table column: text ``string``, times UTC ``datetime64[us]``, numbers ``Float64``."""
    sql_type = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
    if isinstance(sql_type, DateTime):
        return "datetime64[us, UTC]"
    if isinstance(sql_type, Float):
        return "Float64"
    if isinstance(sql_type, String):
        return "string"
    raise TypeError(f"no frame dtype for column {column.name} ({sql_type})")


#: Column -> pandas dtype of a stored interactions frame, in the table's column order.
STORED_DTYPES: dict[str, str] = {
    column.name: _pandas_dtype(column)
    for column in inspect(Interaction).columns
    if column.name not in ("id", "updated_at")
}
_COLUMNS = list(STORED_DTYPES)
_DATETIMES = [name for name, dtype in STORED_DTYPES.items() if dtype.startswith("datetime64")]
_UPDATABLE = [c for c in _COLUMNS if c not in ("source", "source_id")]


def typed_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with exactly the stored columns, in order and typed (missing ones all-NA, extra ones dropped)."""
    out = frame.reindex(columns=_COLUMNS)
    for name in _DATETIMES:
        out[name] = pd.to_datetime(out[name], utc=True)
    return out.astype(STORED_DTYPES).reset_index(drop=True)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Frame rows as plain dicts with None for missing values and aware datetimes."""
    clean = frame.astype(object).where(frame.notna(), None)
    rows: list[dict[str, Any]] = clean.to_dict("records")  # type: ignore[assignment]
    for row in rows:
        for key in ("occurred_at", "created_at"):
            value = row.get(key)
            if isinstance(value, pd.Timestamp):
                row[key] = value.to_pydatetime()
    return rows


def upsert_interactions(session: Session, frame: pd.DataFrame, *, now: datetime | None = None) -> int:
    """Insert or update ``frame``'s rows keyed by (source, source_id); idempotent. Returns rows written."""
    if frame.empty:
        return 0
    now = now or datetime.now(UTC)
    frame = typed_frame(frame).drop_duplicates(["source", "source_id"], keep="last")
    rows = _records(frame)
    stmt = insert_for(session, Interaction)
    stmt = stmt.on_conflict_do_update(
        index_elements=["source", "source_id"],
        set_={name: stmt.excluded[name] for name in [*_UPDATABLE, "updated_at"]},
    )
    # one statement compiled once, executed for many rows (a multi-VALUES statement of 1,000 rows
    # costs seconds to compile each time)
    connection = session.connection()
    for start in range(0, len(rows), _UPSERT_BATCH):
        connection.execute(stmt, [{**row, "updated_at": now} for row in rows[start : start + _UPSERT_BATCH]])
    return len(rows)


def _window_bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    start = datetime.combine(date_from, time.min, tzinfo=UTC)
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=UTC)
    return start, end


def mark_vanished(
    session: Session, *, source: str, date_from: date, date_to: date, seen_ids: Iterable[str]
) -> int:
    """Mark as ``deleted`` the source's stored interactions in the window that a full re-read no longer returned.

    Call only after a complete extraction of the window. Returns how many were marked.
    """
    start, end = _window_bounds(date_from, date_to)
    stored = session.scalars(
        select(Interaction.source_id).where(
            Interaction.source == source,
            Interaction.occurred_at >= start,
            Interaction.occurred_at < end,
            Interaction.status != "deleted",
        )
    ).all()
    gone = sorted(set(stored) - set(seen_ids))
    for chunk_start in range(0, len(gone), _UPSERT_BATCH):
        session.execute(
            update(Interaction)
            .where(
                Interaction.source == source,
                Interaction.source_id.in_(gone[chunk_start : chunk_start + _UPSERT_BATCH]),
            )
            .values(status="deleted", updated_at=datetime.now(UTC))
        )
    return len(gone)


def load_interactions(
    session: Session,
    *,
    sources: Sequence[str] | None = None,
    emails: Iterable[str] | None = None,
    occurred_from: date | None = None,
    occurred_to: date | None = None,
) -> pd.DataFrame:
    """Stored interactions as an interactions frame, optionally filtered."""
    stmt: Select[Any] = select(*[getattr(Interaction, c) for c in _COLUMNS])
    conditions: list[ColumnElement[bool]] = []
    if sources:
        conditions.append(Interaction.source.in_(list(sources)))
    if occurred_from is not None:
        conditions.append(Interaction.occurred_at >= _window_bounds(occurred_from, occurred_from)[0])
    if occurred_to is not None:
        conditions.append(Interaction.occurred_at < _window_bounds(occurred_to, occurred_to)[1])
    if conditions:
        stmt = stmt.where(and_(*conditions))
    wanted = None if emails is None else sorted(set(emails))
    if wanted is not None:
        frames = []
        for start in range(0, len(wanted), _UPSERT_BATCH):
            chunk = stmt.where(Interaction.email.in_(wanted[start : start + _UPSERT_BATCH]))
            frames.append(pd.DataFrame(session.execute(chunk).all(), columns=_COLUMNS))
        raw = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=_COLUMNS)
    else:
        raw = pd.DataFrame(session.execute(stmt).all(), columns=_COLUMNS)
    return typed_frame(raw)
