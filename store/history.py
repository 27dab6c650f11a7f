"""How much of a source's booking history is stored: the ``source_history`` marker and the span of
stored bookings (booking insights read a source's history once, then only the days after it)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import Interaction, SourceHistory


def history_complete_to(session: Session, source: str) -> date | None:
    """The last day up to which every booking of ``source`` is stored (``None``: never read whole)."""
    row = session.get(SourceHistory, source)
    return None if row is None else row.complete_to


def record_history(
    session: Session, *, source: str, complete_to: date, read_at: datetime, rows: int, api_calls: int
) -> None:
    """Set ``source``'s marker to ``complete_to`` (it never moves back) after a complete read."""
    row = session.get(SourceHistory, source)
    if row is None:
        row = SourceHistory(source=source, complete_to=complete_to, read_at=read_at, rows=0, api_calls=0)
        session.add(row)
    row.complete_to = max(row.complete_to, complete_to)
    row.read_at, row.rows, row.api_calls = read_at, rows, api_calls
    session.flush()


def stored_booking_span(session: Session, source: str) -> tuple[datetime | None, int]:
    """The earliest start and the number of ``source``'s stored bookings (deleted ones excluded)."""
    first, count = session.execute(
        select(func.min(Interaction.occurred_at), func.count()).where(
            Interaction.source == source,
            Interaction.kind == "booking",
            Interaction.status != "deleted",
        )
    ).one()
    if isinstance(first, str):  # SQLite aggregates skip the column type's conversion
        first = datetime.fromisoformat(first)
    return first, int(count)
