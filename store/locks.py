"""Run locks: named leases in the project database that keep overlapping runs apart.

Why a lease row in the project database, and not a Prefect concurrency limit or a PostgreSQL
advisory lock:

- It works the same with and without a Prefect server (``engarde run`` on a temporary server,
  ``engarde serve``, workers against a server) and on both databases the project supports.
  Prefect's global concurrency limits exist only on a configured server, and a slot taken by a
  process that dies is only freed by slot decay or by hand. Advisory locks are PostgreSQL only,
  and SQLite's own file lock would block every writer, not only the run that conflicts.
- The holder is readable: the row names the flow run, the flow and the host/process holding it
  and since when, so a waiting run says what it waits for and for whom.
- A dead holder never blocks anyone: a holder renews its lease (``heartbeat``) while alive; a
  lease whose ``expires_at`` passed is free, and so is one held by a process of this host that no
  longer exists (a ``kill -9`` is noticed at once, not after the lease's time-to-live).

Taking a lock is one atomic statement on either backend: an ``INSERT ... ON CONFLICT DO
NOTHING`` when nobody holds the name, else an ``UPDATE ... WHERE`` the row is still the stale one
that was read (compare-and-set on the owner token), so two runs can never both win.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from store.db import session_scope
from store.models import RunLock
from store.upsert import insert_for

HOST = socket.gethostname()


@dataclass(frozen=True)
class Holder:
    """Who holds (or wants) a lock: a unique token plus words an admin understands."""

    token: str
    description: str
    flow_run_id: str | None = None
    host: str = HOST
    pid: int = 0

    @classmethod
    def this_process(cls, description: str, flow_run_id: str | None = None) -> Holder:
        """A new holder for this process (each acquisition gets its own token: locks are not re-entrant)."""
        return cls(uuid.uuid4().hex, description, flow_run_id, HOST, os.getpid())


@dataclass(frozen=True)
class LockState:
    """A lock as stored: its holder and lease."""

    name: str
    holder: Holder
    acquired_at: datetime
    expires_at: datetime

    def says(self) -> str:
        """``held by <who> (flow run <id>) on <host> pid <pid> since <time>``."""
        run = f" (flow run {self.holder.flow_run_id})" if self.holder.flow_run_id else ""
        return (
            f"held by {self.holder.description}{run} on {self.holder.host} pid {self.holder.pid} "
            f"since {self.acquired_at:%Y-%m-%d %H:%M:%S} UTC"
        )


def process_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists on this host (a zombie, killed but not yet reaped, counts as gone)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return True


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _state(row: RunLock) -> LockState:
    holder = Holder(row.owner, row.description, row.flow_run_id, row.host, row.pid)
    return LockState(row.name, holder, row.acquired_at, row.expires_at)


def is_stale(state: LockState, now: datetime) -> bool:
    """A lease that expired, or one whose process on this host is gone."""
    if state.expires_at <= now:
        return True
    return state.holder.host == HOST and not process_alive(state.holder.pid)


def try_acquire(engine: Engine, name: str, holder: Holder, ttl: float) -> LockState | None:
    """Take ``name`` for ``holder`` for ``ttl`` seconds; None when taken, else the current holder.

    Returns None on success and the live holder's :class:`LockState` when someone else holds it.
    A stale lease (expired, or its process gone) is taken over atomically.
    """
    now = datetime.now(UTC)
    values = {
        "name": name,
        "owner": holder.token,
        "description": holder.description[:200],
        "flow_run_id": holder.flow_run_id,
        "host": holder.host[:128],
        "pid": holder.pid,
        "acquired_at": now,
        "expires_at": now + timedelta(seconds=ttl),
    }
    with session_scope(engine) as session:
        stmt = insert_for(session, RunLock).values(**values).on_conflict_do_nothing(index_elements=["name"])
        if _rowcount(session.execute(stmt)) == 1:
            return None
    with session_scope(engine) as session:
        row = session.get(RunLock, name)
        if row is None:  # released meanwhile: try again from the start
            return try_acquire(engine, name, holder, ttl)
        current = _state(row)
        if row.owner == holder.token or not is_stale(current, now):
            return None if row.owner == holder.token else current
        taken = _rowcount(
            session.execute(
                update(RunLock)
                .where(RunLock.name == name, RunLock.owner == current.holder.token)
                .values(**values)
            )
        )
    if taken == 1:
        return None
    return current_holder(engine, name) or current


def renew(engine: Engine, name: str, holder: Holder, ttl: float) -> bool:
    """Extend ``holder``'s lease on ``name``; False when it no longer holds it."""
    with session_scope(engine) as session:
        return bool(
            _rowcount(
                session.execute(
                    update(RunLock)
                    .where(RunLock.name == name, RunLock.owner == holder.token)
                    .values(expires_at=datetime.now(UTC) + timedelta(seconds=ttl))
                )
            )
        )


def release(engine: Engine, name: str, holder: Holder) -> None:
    """Give ``name`` up (a no-op when ``holder`` no longer holds it)."""
    with session_scope(engine) as session:
        session.execute(delete(RunLock).where(RunLock.name == name, RunLock.owner == holder.token))


def current_holder(engine: Engine, name: str) -> LockState | None:
    """Who holds ``name`` now, or None (a stale lease counts as free)."""
    with session_scope(engine) as session:
        row = session.get(RunLock, name)
        state = _state(row) if row is not None else None
    return None if state is None or is_stale(state, datetime.now(UTC)) else state


def live_flow_runs(session: Session) -> set[str]:
    """Flow run ids holding a live lock (a run that holds nothing is not known to be alive)."""
    now = datetime.now(UTC)
    rows = session.scalars(select(RunLock)).all()
    return {s.holder.flow_run_id for s in map(_state, rows) if s.holder.flow_run_id and not is_stale(s, now)}
