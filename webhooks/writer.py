"""The receiver's storage path: group commit from one writer thread; the event loop never touches the database.

Requests hand their row to :meth:`DeliveryWriter.store` and await its own outcome. The writer
thread takes every row queued meanwhile (up to ``max_batch``), stores them with one multi-row
``INSERT ... ON CONFLICT DO NOTHING RETURNING`` (:func:`store.webhook_events.insert_deliveries`) and one commit,
then settles the whole batch with one call back into the loop: "new" or "duplicate" only after
the commit, so a 2xx always means the row is durably stored. A failed batch fails every request in it.

Order of defences, and why:

1. Each request waits at most ``timeout`` seconds for its outcome, then answers 503: whatever
   the database does (slow, frozen, gone), the loop keeps serving. A row whose request already
   gave up is dropped from the queue unless it was already being written.
2. A batch in flight longer than ``timeout`` (a server that stopped answering: statement
   timeouts never fire then) is cut off by a watchdog thread, which shuts the connection's
   socket down (PostgreSQL) or interrupts the statement (SQLite); the writer gets an error and
   goes on with a fresh connection. While a batch is stuck, new requests get 503 at once.
3. Any write error discards the writer's connection (the "pool reset"): one opened while the
   database was read-only or on a demoted primary stays that way, a fresh one heals.
4. :meth:`DeliveryWriter.ready` is the readiness answer: the last batch's outcome when recent,
   otherwise a real write (an insert rolled back) through the same thread, at most once per
   ``probe_interval``.

Another route stores its deliveries with :meth:`DeliveryWriter.store_raw` (provider, event
key, raw body, headers).
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, event

from store.webhook_events import NewDelivery, insert_deliveries
from webhooks.headers import stored_headers

log = logging.getLogger(__name__)

APPLICATION_NAME = "engarde-receiver"
_PROBE = NewDelivery("engarde-readyz", "probe", datetime(2000, 1, 1, tzinfo=UTC), {}, b"{}")


class StorageUnavailable(RuntimeError):
    """The delivery could not be committed (database down, frozen, read-only, locked past the timeout)."""


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


def connect_args(url: str, seconds: float) -> dict[str, Any]:
    """Driver arguments bounding how long connecting may take (PostgreSQL; nothing for SQLite)."""
    if url.startswith(("postgresql", "postgres")):
        return {"connect_timeout": max(2, math.ceil(seconds)), "application_name": APPLICATION_NAME}
    return {}


@dataclass(eq=False)
class _Job:
    row: NewDelivery | None  # None: a readiness probe
    future: asyncio.Future[bool]
    queued: float
    abandoned: bool = False


@dataclass
class WriterHealth:
    """What the writer last saw: when a write last succeeded or failed, and why."""

    last_ok: float = -math.inf
    last_error_at: float = -math.inf
    last_error: str | None = None
    busy_since: float | None = None
    batches: int = 0
    rows: int = 0
    resets: int = 0
    stuck_cuts: int = 0


class DeliveryWriter:
    """One writer thread per process: batches queued deliveries into one transaction each."""

    def __init__(
        self,
        engine: Engine,
        *,
        max_batch: int = 256,
        timeout: float = 2.0,
        probe_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.max_batch = max_batch
        self.timeout = timeout
        self.probe_interval = probe_interval
        self.clock = clock
        self.health = WriterHealth()
        self._jobs: deque[_Job] = deque()
        self._wake = threading.Condition()
        self._stopping = False
        self._threads: list[threading.Thread] = []
        self._done = threading.Event()
        self._connection: Connection | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # ------------------------------------------------------------------ the loop's side

    def start(self) -> None:
        """Start the writer and watchdog threads (once per writer, inside the running event loop)."""
        self._loop = asyncio.get_running_loop()
        for target, name in ((self._run, "receiver-writer"), (self._watch, "receiver-watchdog")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, wait: float = 5.0) -> None:
        """Write what is still queued (at most ``wait`` seconds), then stop the threads."""
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        for thread in self._threads:
            thread.join(timeout=wait)
        self._threads = []

    def stuck(self) -> bool:
        """True while a batch has been in flight longer than the timeout."""
        busy = self.health.busy_since
        return busy is not None and self.clock() - busy > self.timeout

    async def store(self, row: NewDelivery) -> bool:
        """Commit ``row``; True when new, False when its key was already stored.

        Raises :class:`StorageUnavailable` when it was not committed within the timeout.
        """
        if self.stuck():
            raise StorageUnavailable("database not answering")
        return await self._submit(row)

    async def store_raw(
        self, *, provider: str, event_key: str, body: bytes, headers: Mapping[str, str]
    ) -> bool:
        """Store one verified delivery of ``provider`` (headers capped, credentials left out); True when new."""
        row = NewDelivery(provider, event_key, datetime.now(UTC), stored_headers(headers), body)
        return await self.store(row)

    async def ready(self) -> str | None:
        """None when a delivery could be stored right now, else why not (a real write at most once per interval)."""
        health, now = self.health, self.clock()
        if self.stuck():
            return "database not answering"
        if health.last_error_at >= health.last_ok and now - health.last_error_at < self.probe_interval:
            return health.last_error
        if health.last_ok > health.last_error_at and now - health.last_ok < self.probe_interval:
            return None
        try:
            await self._submit(None)
        except StorageUnavailable as exc:
            return str(exc)
        return None

    async def _submit(self, row: NewDelivery | None) -> bool:
        """Queue ``row`` and await its outcome; one timer fails it after ``timeout`` (no extra task or future)."""
        loop = asyncio.get_running_loop()
        job = _Job(row, loop.create_future(), self.clock())
        with self._wake:
            self._jobs.append(job)
            self._wake.notify()
        timer = loop.call_later(self.timeout, _expire, job)
        try:
            return await job.future
        except asyncio.CancelledError:  # the client went away: nobody will read the outcome
            job.abandoned = True
            raise
        finally:
            timer.cancel()

    # ------------------------------------------------------------------ the writer thread

    def _take(self) -> list[_Job] | None:
        """The next batch (live jobs only), or None when stopping with nothing left."""
        with self._wake:
            while not self._jobs and not self._stopping:
                self._wake.wait()
            if not self._jobs:
                return None
            batch: list[_Job] = []
            deadline = self.clock() - self.timeout
            while self._jobs and len(batch) < self.max_batch:
                job = self._jobs.popleft()
                if not job.abandoned and job.queued >= deadline:
                    batch.append(job)
            return batch

    def _run(self) -> None:
        while (batch := self._take()) is not None:
            if not batch:
                continue
            self.health.busy_since = self.clock()
            try:
                outcome: set[tuple[str, str]] | BaseException = self._write(batch)
            except Exception as exc:  # every failure fails the batch, never the thread
                outcome = exc
                self._failed(exc, len(batch))
            finally:
                self.health.busy_since = None
            if self._loop is not None and not self._loop.is_closed():
                self._loop.call_soon_threadsafe(_settle, batch, outcome)
        self._disconnect()
        self._done.set()

    def _write(self, batch: list[_Job]) -> set[tuple[str, str]]:
        if self._connection is None:
            self._connection = self.engine.connect()
        connection = self._connection
        rows = [job.row for job in batch if job.row is not None]
        if len(rows) < len(batch):  # a readiness probe: a real insert, rolled back
            with connection.begin() as probe:
                insert_deliveries(connection, rows=[_PROBE])
                probe.rollback()
        new: set[tuple[str, str]] = set()
        if rows:
            with connection.begin():
                new = insert_deliveries(connection, rows=rows)
        health = self.health
        health.last_ok = self.clock()
        health.batches += 1
        health.rows += len(new)
        return new

    def _failed(self, exc: BaseException, size: int) -> None:
        detail = (str(getattr(exc, "orig", "") or exc).splitlines() or [""])[0][:200]
        self.health.last_error = f"{type(exc).__name__}: {detail}"
        self.health.last_error_at = self.clock()
        log.error("storing %d webhook deliveries failed: %s", size, self.health.last_error)
        self._disconnect()

    def _disconnect(self) -> None:
        """Drop the connection (a fresh one is opened for the next batch)."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        self.health.resets += 1
        try:
            connection.invalidate()
            connection.close()
        except Exception as exc:  # a broken connection may fail to close; it is gone anyway
            log.debug("closing the receiver's connection failed: %s", type(exc).__name__)

    # ------------------------------------------------------------------ the watchdog thread

    def _watch(self) -> None:
        cut_for: float | None = None
        while not self._done.wait(min(0.25, self.timeout / 4)):
            busy = self.health.busy_since
            if busy is None or not self.stuck() or busy == cut_for:
                continue
            cut_for = busy
            self.health.stuck_cuts += 1
            log.error("the database has not answered for %.1f s: cutting the connection", self.clock() - busy)
            self._cut(busy)

    def _cut(self, busy: float) -> None:
        """Make the writer's blocked call fail: shut its socket down, or interrupt SQLite.

        Only while the batch found stuck (``busy``: when it started) is still the one in flight:
        a batch that started since (the database answered meanwhile) keeps its connection.
        """
        connection = self._connection
        if connection is None or self.health.busy_since != busy:
            return
        try:
            dbapi: Any = connection.connection.dbapi_connection
        except Exception:  # already closed
            return
        if hasattr(dbapi, "interrupt"):  # sqlite3
            dbapi.interrupt()
            return
        try:
            duplicate = socket.socket(fileno=os.dup(dbapi.fileno()))
        except (OSError, AttributeError, ValueError):
            return
        try:
            duplicate.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        finally:
            duplicate.close()


def _expire(job: _Job) -> None:
    """Fail a job still waiting after the timeout (on the event loop); the writer will skip or drop it."""
    if not job.future.done():
        job.abandoned = True
        job.future.set_exception(StorageUnavailable("timed out waiting for the database"))


def _settle(batch: list[_Job], outcome: set[tuple[str, str]] | BaseException) -> None:
    """Resolve every request of a batch (on the event loop): new, duplicate or unavailable."""
    if isinstance(outcome, BaseException):
        for job in batch:
            if job.abandoned:
                job.future.cancel()
            elif not job.future.done():
                job.future.set_exception(StorageUnavailable(type(outcome).__name__))
        return
    claimed: set[tuple[str, str]] = set()
    for job in batch:
        if job.abandoned:  # its request already answered 503; nobody reads this future
            job.future.cancel()
            continue
        if job.row is None:
            if not job.future.done():
                job.future.set_result(True)
            continue
        key = (job.row.provider, job.row.event_key)
        if not job.future.done():
            job.future.set_result(key in outcome and key not in claimed)
        claimed.add(key)
