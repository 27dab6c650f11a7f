"""Brevo sync bookkeeping: what Brevo last accepted per person, runs, import batches, rejected rows."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from store.models import BrevoImportBatch, BrevoRejection, BrevoSyncRun, BrevoSyncState
from store.upsert import insert_for

_BATCH = 1_000


def load_sync_state(session: Session, list_id: int) -> pd.DataFrame:
    """``[email, payload_hash, on_list]`` for everyone ever pushed to ``list_id``."""
    rows = session.execute(
        select(BrevoSyncState.email, BrevoSyncState.payload_hash, BrevoSyncState.on_list).where(
            BrevoSyncState.list_id == list_id
        )
    ).all()
    frame = pd.DataFrame(rows, columns=["email", "payload_hash", "on_list"])
    return frame.astype({"email": "string", "payload_hash": "string", "on_list": "bool"})


def record_pushed(
    session: Session,
    *,
    list_id: int,
    rows: Sequence[tuple[str, str | None]],
    on_list: bool,
    run_id: int | None,
    clear_hash: bool = False,
) -> None:
    """Upsert what this project last did for ``(email, payload_hash)`` pairs on ``list_id``.

    The one writer of ``brevo_sync_state``, for the audience list and the per-event lists alike.
    A None hash keeps the stored one (a membership change that says nothing of the content),
    unless ``clear_hash``: then it is stored as NULL (an event list's member no longer skipped).
    """
    if not rows:
        return
    now = datetime.now(UTC)
    for start in range(0, len(rows), _BATCH):
        values = [
            {
                "email": email,
                "list_id": list_id,
                "payload_hash": digest,
                "on_list": on_list,
                "pushed_at": now,
                "run_id": run_id,
            }
            for email, digest in rows[start : start + _BATCH]
        ]
        stmt = insert_for(session, BrevoSyncState).values(values)
        new_hash = stmt.excluded.payload_hash
        hash_value = new_hash if clear_hash else func.coalesce(new_hash, BrevoSyncState.payload_hash)
        stmt = stmt.on_conflict_do_update(
            index_elements=["email", "list_id"],
            set_={"payload_hash": hash_value, "on_list": on_list, "pushed_at": now, "run_id": run_id},
        )
        session.execute(stmt)


def start_run(
    session: Session, *, flow: str, list_id: int | None, dry_run: bool, flow_run_id: str | None
) -> int:
    """Create a sync run row and return its id."""
    run = BrevoSyncRun(
        flow=flow,
        list_id=list_id,
        dry_run=dry_run,
        flow_run_id=flow_run_id,
        status="running",
        started_at=datetime.now(UTC),
        counts={},
        pid=os.getpid(),
        host=socket.gethostname(),
    )
    session.add(run)
    session.flush()
    return run.id


def finish_run(session: Session, run_id: int, *, counts: dict[str, Any], error: str | None = None) -> None:
    """Close a sync run with its counts (and the error that stopped it, if any)."""
    session.execute(
        update(BrevoSyncRun)
        .where(BrevoSyncRun.id == run_id)
        .values(
            status="failed" if error else "complete",
            finished_at=datetime.now(UTC),
            counts=counts,
            error=error,
        )
    )


def open_batch(session: Session, *, run_id: int, list_id: int, rows: Sequence[tuple[str, str]]) -> int:
    """Record an import chunk as about to be sent; returns its id."""
    batch = BrevoImportBatch(
        run_id=run_id,
        list_id=list_id,
        status="sending",
        rows={"rows": [list(r) for r in rows]},
        created_at=datetime.now(UTC),
    )
    session.add(batch)
    session.flush()
    return batch.id


def mark_batch_sent(session: Session, batch_id: int, process_id: int) -> None:
    """Brevo accepted the chunk as ``process_id`` (not yet processed)."""
    session.execute(
        update(BrevoImportBatch)
        .where(BrevoImportBatch.id == batch_id)
        .values(status="sent", process_id=process_id)
    )


def close_batch(session: Session, batch_id: int, *, error: str | None = None) -> None:
    """The chunk's process finished (or failed with ``error``)."""
    session.execute(
        update(BrevoImportBatch)
        .where(BrevoImportBatch.id == batch_id)
        .values(status="failed" if error else "done", finished_at=datetime.now(UTC), error=error)
    )


def unfinished_batches(
    session: Session,
    list_id: int,
    *,
    live: bool = False,
    unanswered: bool = False,
    besides: int | None = None,
) -> list[BrevoImportBatch]:
    """Chunks never confirmed: sent (Brevo gave a process id) or maybe sent (``sending``).

    A ``sending`` chunk has no process id: its run died between recording it and reading
    Brevo's answer, so Brevo may or may not have started an import for it. By default only
    chunks of runs no longer ``running`` (see :func:`mark_dead_runs`); with ``live``, only
    those of running runs other than ``besides``. ``unanswered`` keeps ``sending`` ones only.
    """
    query = (
        select(BrevoImportBatch)
        .join(BrevoSyncRun, BrevoSyncRun.id == BrevoImportBatch.run_id)
        .where(
            BrevoImportBatch.list_id == list_id,
            BrevoImportBatch.status.in_(["sending"] if unanswered else ["sending", "sent"]),
            (BrevoSyncRun.status == "running") if live else (BrevoSyncRun.status != "running"),
        )
        .order_by(BrevoImportBatch.created_at, BrevoImportBatch.id)
    )
    if besides is not None:
        query = query.where(BrevoSyncRun.id != besides)
    return list(session.scalars(query))


def running_runs(session: Session) -> list[BrevoSyncRun]:
    """Sync runs whose row says ``running`` (alive, or killed before they could say otherwise)."""
    return list(session.scalars(select(BrevoSyncRun).where(BrevoSyncRun.status == "running")))


def mark_dead_runs(session: Session, why_dead: Callable[[BrevoSyncRun], str | None]) -> list[int]:
    """Mark ``crashed`` every running row for which ``why_dead`` gives a reason; returns their ids.

    Their unconfirmed chunks then become :func:`unfinished_batches` of the next push.
    """
    dead = []
    for run in running_runs(session):
        reason = why_dead(run)
        if reason is None:
            continue
        run.status = "crashed"
        run.finished_at = datetime.now(UTC)
        run.error = reason
        dead.append(run.id)
    session.flush()
    return dead


def claimed_process_ids(session: Session) -> set[int]:
    """Every Brevo process id one of our chunks is known to own."""
    return set(
        session.scalars(select(BrevoImportBatch.process_id).where(BrevoImportBatch.process_id.is_not(None)))
    )


def mark_batch_not_sent(session: Session, batch_id: int, reason: str) -> None:
    """Brevo never started an import for this chunk: its rows are still to send (they have no sync state)."""
    session.execute(
        update(BrevoImportBatch)
        .where(BrevoImportBatch.id == batch_id)
        .values(status="not_sent", finished_at=datetime.now(UTC), error=reason)
    )


def record_rejections(session: Session, run_id: int, rejected: Iterable[tuple[str, str]]) -> int:
    """Store rows Brevo refused, with the reason; returns how many."""
    now = datetime.now(UTC)
    items = [BrevoRejection(run_id=run_id, email=e, reason=r, created_at=now) for e, r in rejected]
    session.add_all(items)
    return len(items)


def open_rejections(session: Session) -> set[str]:
    """Emails whose last push was refused and not yet resolved (they are retried next run)."""
    return set(session.scalars(select(BrevoRejection.email).where(BrevoRejection.resolved_at.is_(None))))


def resolve_rejections(session: Session, emails: Iterable[str]) -> None:
    """Mark earlier rejections of ``emails`` as resolved (Brevo has now accepted them)."""
    wanted = sorted(set(emails))
    for start in range(0, len(wanted), _BATCH):
        session.execute(
            update(BrevoRejection)
            .where(
                BrevoRejection.email.in_(wanted[start : start + _BATCH]), BrevoRejection.resolved_at.is_(None)
            )
            .values(resolved_at=datetime.now(UTC))
        )
