"""Extraction checkpoints: one row per source and window; complete only when every page and push succeeded."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from store.models import ExtractionCheckpoint
from store.upsert import insert_for


def last_complete_end(session: Session, source: str) -> date | None:
    """The incremental high-water mark of ``source``: the latest day a complete window covered *as of its run*.

    A window may reach into the future (upcoming bookings); those days are not final, so a
    window counts only up to the day it finished.
    """
    rows = session.execute(
        select(ExtractionCheckpoint.window_end, ExtractionCheckpoint.finished_at).where(
            ExtractionCheckpoint.source == source, ExtractionCheckpoint.status == "complete"
        )
    ).all()
    ends = [min(end, finished.date()) if finished else end for end, finished in rows]
    return max(ends, default=None)


def start_checkpoint(
    session: Session, *, source: str, window_start: date, window_end: date, flow_run_id: str | None = None
) -> ExtractionCheckpoint:
    """Mark ``source``'s window as running (re-using the row of an earlier attempt of the same window).

    The row is claimed with one ``INSERT ... ON CONFLICT DO NOTHING``, so two runs reaching the
    same window at once never collide on the unique constraint (the later one re-uses the row).
    """
    now = datetime.now(UTC)
    session.execute(
        insert_for(session, ExtractionCheckpoint)
        .values(
            source=source,
            window_start=window_start,
            window_end=window_end,
            status="running",
            started_at=now,
            rows=0,
            api_calls=0,
        )
        .on_conflict_do_nothing(index_elements=["source", "window_start", "window_end"])
    )
    row = session.scalar(
        select(ExtractionCheckpoint)
        .where(
            ExtractionCheckpoint.source == source,
            ExtractionCheckpoint.window_start == window_start,
            ExtractionCheckpoint.window_end == window_end,
        )
        .execution_options(populate_existing=True)
    )
    assert row is not None
    row.status, row.started_at, row.finished_at, row.error = "running", now, None, None
    row.flow_run_id = flow_run_id
    session.flush()
    return row


def mark_interrupted(session: Session, *, live_flow_runs: set[str], source: str | None = None) -> int:
    """Mark ``running`` checkpoints of runs that are gone as ``interrupted``; return how many.

    A run that is still alive holds its lock (``live_flow_runs``, from :mod:`store.locks`), so a
    running checkpoint whose flow run is not among them was left by a run that died mid-way.
    """
    query = update(ExtractionCheckpoint).where(ExtractionCheckpoint.status == "running")
    if source is not None:
        query = query.where(ExtractionCheckpoint.source == source)
    if live_flow_runs:
        query = query.where(
            (ExtractionCheckpoint.flow_run_id.is_(None))
            | (ExtractionCheckpoint.flow_run_id.not_in(sorted(live_flow_runs)))
        )
    result = session.execute(
        query.values(
            status="interrupted",
            finished_at=datetime.now(UTC),
            error="interrupted: the run that opened it stopped before closing it",
        ).execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def finish_checkpoint(
    session: Session,
    *,
    source: str,
    window_start: date,
    window_end: date,
    complete: bool,
    rows: int = 0,
    api_calls: int = 0,
    error: str | None = None,
) -> None:
    """Close a window's checkpoint as complete or failed, with its counts and the reason it failed."""
    row = session.scalar(
        select(ExtractionCheckpoint).where(
            ExtractionCheckpoint.source == source,
            ExtractionCheckpoint.window_start == window_start,
            ExtractionCheckpoint.window_end == window_end,
        )
    )
    if row is None:
        row = start_checkpoint(session, source=source, window_start=window_start, window_end=window_end)
    row.status = "complete" if complete else "failed"
    row.finished_at = datetime.now(UTC)
    row.rows, row.api_calls, row.error = rows, api_calls, error


def window_states(session: Session, source: str) -> dict[tuple[date, date], str]:
    """Status of every recorded window of ``source``, keyed by (start, end)."""
    rows = session.execute(
        select(
            ExtractionCheckpoint.window_start, ExtractionCheckpoint.window_end, ExtractionCheckpoint.status
        ).where(ExtractionCheckpoint.source == source)
    ).all()
    return {(r[0], r[1]): r[2] for r in rows}


def covers(session: Session, source: str, date_from: date, date_to: date) -> bool:
    """Whether complete windows of ``source`` together cover every day of ``[date_from, date_to]``.

    As in :func:`last_complete_end`, a window counts only up to the day it finished.
    """
    rows = session.execute(
        select(
            ExtractionCheckpoint.window_start,
            ExtractionCheckpoint.window_end,
            ExtractionCheckpoint.finished_at,
        ).where(ExtractionCheckpoint.source == source, ExtractionCheckpoint.status == "complete")
    ).all()
    day = date_from
    for start, end in sorted((s, min(e, f.date()) if f else e) for s, e, f in rows):
        if start > day:
            break
        day = max(day, end + timedelta(days=1))
    return day > date_to
