"""The receiver's storage path: one writer thread committing deliveries in batches.

Requests hand their row to :meth:`DeliveryWriter.store` and await the commit. The thread
takes whatever is queued (up to ``max_batch``), stores it with one multi-row
``INSERT ... ON CONFLICT DO NOTHING RETURNING`` and one commit, and resolves each request
with "new" or "duplicate". A failed batch fails every request in it, so the receiver never
acknowledges a delivery it did not store. On SQLite this is the single writer it wants;
on PostgreSQL it keeps the pool small and the round trips few.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from dataclasses import dataclass

from sqlalchemy import Engine

from store.webhook_events import NewDelivery, insert_deliveries

log = logging.getLogger(__name__)


class StorageUnavailable(RuntimeError):
    """The delivery could not be committed (database down, locked past the timeout, ...)."""


@dataclass(slots=True)
class _Job:
    row: NewDelivery
    future: asyncio.Future[bool]
    loop: asyncio.AbstractEventLoop


def _resolve(future: asyncio.Future[bool], result: bool | BaseException) -> None:
    if future.done():
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)


class DeliveryWriter:
    """Batches deliveries from many requests into few transactions, in a thread of its own."""

    def __init__(self, engine: Engine, *, max_batch: int = 256, write_timeout: float = 10.0) -> None:
        self.engine = engine
        self.max_batch = max_batch
        self.write_timeout = write_timeout
        self.batches = 0
        self.rows = 0
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the writer thread."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="webhook-writer", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Store what is queued, then stop the thread."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None

    async def store(self, row: NewDelivery) -> bool:
        """Commit ``row``; True when new, False when its key was already stored.

        Raises :class:`StorageUnavailable` when the commit failed or took longer than ``write_timeout``
        (the row may still land later; a redelivery is then a duplicate, never a loss).
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        self._queue.put(_Job(row, future, loop))
        try:
            return await asyncio.wait_for(future, self.write_timeout)
        except TimeoutError:
            raise StorageUnavailable(f"not committed within {self.write_timeout:g}s") from None

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                break
            jobs = [first]
            while len(jobs) < self.max_batch:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stopping = True
                    break
                jobs.append(job)
            self._write(jobs)

    def _write(self, jobs: list[_Job]) -> None:
        results: list[bool | BaseException]
        try:
            with self.engine.begin() as connection:
                new = insert_deliveries(connection, rows=[j.row for j in jobs])
            claimed: set[tuple[str, str]] = set()
            results = []
            for job in jobs:
                key = (job.row.provider, job.row.event_key)
                results.append(key in new and key not in claimed)
                claimed.add(key)
            self.batches += 1
            self.rows += len(new)
        except Exception as exc:
            detail = str(getattr(exc, "orig", "") or "").splitlines()[:1]
            log.error(
                "storing %d webhook deliveries failed: %s %s",
                len(jobs),
                type(exc).__name__,
                detail[0][:200] if detail else "",
            )
            error = StorageUnavailable(type(exc).__name__)
            results = [error] * len(jobs)
        for job, result in zip(jobs, results, strict=True):
            # A closed loop means nobody is waiting for this answer any more.
            with contextlib.suppress(RuntimeError):
                job.loop.call_soon_threadsafe(_resolve, job.future, result)
