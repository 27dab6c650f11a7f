"""The receiver's storage path: deliveries committed in batches, on the event loop.

Requests hand their row to :meth:`DeliveryWriter.store` and await the commit. The first
request of a loop iteration schedules one flush; by the time it runs, every request the
loop read meanwhile has queued its row, so one multi-row
``INSERT ... ON CONFLICT DO NOTHING RETURNING`` and one commit answer all of them with
"new" or "duplicate". A failed batch fails every request in it: the receiver never
acknowledges a delivery it did not store.

Why on the loop and not in a thread: the insert is short (a local SQLite commit in WAL mode,
or one round trip to PostgreSQL), and measured on two cores, handing rows to a writer
thread cost more in GIL hand-offs than the insert itself. The wait is bounded instead: the
receiver's connections get a short SQLite busy timeout / PostgreSQL statement timeout
(``write_timeout``), after which the batch fails with 503 and the sender retries.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy import Engine, event

from store.webhook_events import NewDelivery, insert_deliveries

log = logging.getLogger(__name__)


class StorageUnavailable(RuntimeError):
    """The delivery could not be committed (database down, locked past the timeout, ...)."""


def bound_waits(engine: Engine, seconds: float) -> None:
    """Cap how long one write may wait on this engine's connections (SQLite lock / PostgreSQL statement)."""
    millis = max(1, int(seconds * 1000))
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _busy(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute(f"PRAGMA busy_timeout={millis}")
            cursor.close()

    elif engine.dialect.name == "postgresql":

        @event.listens_for(engine, "connect")
        def _timeout(dbapi_conn: Any, _record: Any) -> None:
            with dbapi_conn.cursor() as cursor:
                cursor.execute(f"SET statement_timeout = {millis}")
                cursor.execute(f"SET lock_timeout = {millis}")
            dbapi_conn.commit()


class DeliveryWriter:
    """Batches the deliveries of one event-loop iteration into one transaction."""

    def __init__(self, engine: Engine, *, max_batch: int = 256) -> None:
        self.engine = engine
        self.max_batch = max_batch
        self.batches = 0
        self.rows = 0
        self._pending: list[tuple[NewDelivery, asyncio.Future[bool]]] = []
        self._scheduled = False

    def start(self) -> None:
        """Nothing to start (kept for symmetry with :meth:`stop`)."""

    def stop(self) -> None:
        """Commit whatever is still queued."""
        while self._pending:
            self._flush()

    async def store(self, row: NewDelivery) -> bool:
        """Commit ``row``; True when new, False when its key was already stored.

        Raises :class:`StorageUnavailable` when the batch could not be committed.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        self._pending.append((row, future))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        self._scheduled = False
        jobs, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
        if self._pending:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)
        if not jobs:
            return
        try:
            with self.engine.begin() as connection:
                new = insert_deliveries(connection, rows=[row for row, _ in jobs])
        except Exception as exc:
            detail = str(getattr(exc, "orig", "") or "").splitlines()[:1]
            log.error(
                "storing %d webhook deliveries failed: %s %s",
                len(jobs),
                type(exc).__name__,
                detail[0][:200] if detail else "",
            )
            for _, future in jobs:
                if not future.done():
                    future.set_exception(StorageUnavailable(type(exc).__name__))
            return
        self.batches += 1
        self.rows += len(new)
        claimed: set[tuple[str, str]] = set()
        for row, future in jobs:
            key = (row.provider, row.event_key)
            if not future.done():
                future.set_result(key in new and key not in claimed)
            claimed.add(key)
