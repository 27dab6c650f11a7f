"""The audience trend: people per segment after each audience-sync run (``segment_snapshots``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import SegmentSnapshot


def record_segments(
    session: Session, *, as_of: datetime, flow_run_id: str | None, people: int, segments: dict[str, int]
) -> SegmentSnapshot:
    """Store one run's segment counts."""
    snapshot = SegmentSnapshot(
        as_of=as_of, flow_run_id=flow_run_id, people=people, segments=dict(sorted(segments.items()))
    )
    session.add(snapshot)
    session.flush()
    return snapshot


def recent_segments(session: Session, *, limit: int = 30) -> list[SegmentSnapshot]:
    """The last ``limit`` snapshots, oldest first."""
    rows = session.scalars(
        select(SegmentSnapshot).order_by(SegmentSnapshot.as_of.desc(), SegmentSnapshot.id.desc()).limit(limit)
    ).all()
    return list(reversed(rows))
