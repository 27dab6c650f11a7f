"""Locks a flow run holds while it writes what another run must not write at the same time.

Two runs that would write the same source checkpoints (the same source and window) or the
same Brevo lists never do it at once: the later one waits, saying for what and for whom, or,
with ``if_busy="skip"``, stops at once with a one-line reason (:class:`RunBusy`). The locks are
leases in the project database (:mod:`store.locks` explains why); a heartbeat thread renews them
while the run lives, so a run that dies (``kill -9``, a crashed worker) frees them by itself.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterable
from datetime import date
from types import TracebackType
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Engine

from store.checkpoints import mark_interrupted
from store.db import default_engine, session_scope
from store.locks import Holder, LockState, live_flow_runs, release, renew, try_acquire
from tasks.run_logger import run_logger

IfBusy = Literal["wait", "skip"]
#: Every list this project writes in Brevo (the master list and the event lists) is one lock.
BREVO_LISTS_LOCK = "brevo:lists"

log = logging.getLogger(__name__)


class LockSettings(BaseSettings):
    """How run locks behave (``ENGARDE_LOCK_*``)."""

    model_config = SettingsConfigDict(env_prefix="ENGARDE_LOCK_", extra="ignore")

    ttl_seconds: float = Field(
        default=60.0,
        description="seconds a run's lock outlives its last heartbeat; a run that died frees its locks "
        "after this at most (at once when it ran on the same machine)",
    )
    poll_seconds: float = Field(default=1.0, description="seconds between two tries of a busy lock")
    report_seconds: float = Field(
        default=60.0, description="seconds between two 'still waiting' log lines of a waiting run"
    )


class RunBusy(Exception):
    """Another run holds a lock this run needs, and the run was told not to wait (one line)."""


def checkpoint_lock(source: str, window: tuple[date, date]) -> str:
    """The lock of one source window's checkpoint."""
    return f"checkpoints:{source}:{window[0]}..{window[1]}"


def describe(name: str) -> str:
    """What a lock protects, in an admin's words."""
    if name == BREVO_LISTS_LOCK:
        return "the Brevo lists (master list and event lists)"
    if name.startswith("checkpoints:"):
        _, source, window = name.split(":", 2)
        return f"the {source} checkpoint of {window.replace('..', ' to ')}"
    return name


def _run_identity() -> tuple[str, str | None]:
    try:
        from prefect.runtime import flow_run

        run_id = flow_run.get_id()
        if run_id:
            return f"{flow_run.get_flow_name()} run '{flow_run.get_name()}'", str(run_id)
    except Exception:  # outside a flow run: the process is the holder
        pass
    return "a process outside Prefect", None


class RunLocks:
    """The locks one run holds; release them all on exit (``async with RunLocks(...) as locks``).

    :meth:`take` may be called again inside to add locks (always in one global order: the
    checkpoint locks at the start, the Brevo lists' lock before planning a push), so two runs
    never wait on each other.
    """

    def __init__(
        self,
        *,
        if_busy: IfBusy = "wait",
        settings: LockSettings | None = None,
    ) -> None:
        self.if_busy = if_busy
        self.settings = settings or LockSettings()
        self._engine: Engine | None = None
        description, run_id = _run_identity()
        self.holder = Holder.this_process(description, run_id)
        self.held: list[str] = []
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    @property
    def engine(self) -> Engine:
        """The project database the leases live in (the run's engine, chosen once)."""
        if self._engine is None:
            self._engine = default_engine()
        return self._engine

    async def __aenter__(self) -> RunLocks:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release_all()

    async def take(self, names: Iterable[str]) -> None:
        """Acquire every lock of ``names`` (sorted), waiting or raising :class:`RunBusy` per ``if_busy``."""
        for name in sorted(set(names) - set(self.held)):
            await self._take_one(name)
            self.held.append(name)
        self._start_heartbeat()

    async def _take_one(self, name: str) -> None:
        logger = run_logger(__name__)
        waited_since: float | None = None
        reported = 0.0
        while (busy := try_acquire(self.engine, name, self.holder, self.settings.ttl_seconds)) is not None:
            if self.if_busy == "skip":
                raise RunBusy(f"not run: {describe(name)} is {busy.says()}")
            now = time.monotonic()
            if waited_since is None or now - reported >= self.settings.report_seconds:
                verb = "waiting" if waited_since is None else "still waiting"
                # A warning: a blocked run must show even where engarde keeps Prefect's logs at WARNING.
                logger.warning("%s for %s: it is %s", verb, describe(name), busy.says())
                waited_since = waited_since or now
                reported = now
            await asyncio.sleep(self.settings.poll_seconds)
        if waited_since is not None:
            logger.warning("got %s after %.0f s of waiting", describe(name), time.monotonic() - waited_since)

    def mark_dead_runs_checkpoints(self, sources: Iterable[str]) -> int:
        """Mark ``running`` checkpoints of ``sources`` left by runs that are gone as interrupted."""
        marked = 0
        with session_scope() as session:
            live = live_flow_runs(session)
            for source in sources:
                marked += mark_interrupted(session, live_flow_runs=live, source=source)
        if marked:
            run_logger(__name__).warning(
                "marked %d checkpoint(s) of runs that died mid-way as interrupted", marked
            )
        return marked

    def _start_heartbeat(self) -> None:
        if self._beat is not None or not self.held:
            return
        interval = max(0.5, self.settings.ttl_seconds / 3)

        def beat() -> None:
            while not self._stop.wait(interval):
                for name in list(self.held):
                    try:
                        if not renew(self.engine, name, self.holder, self.settings.ttl_seconds):
                            log.warning("lost %s (lease expired before renewal)", describe(name))
                    except Exception as exc:  # a database hiccup: the next beat tries again
                        log.warning("could not renew %s: %s", describe(name), exc)

        self._beat = threading.Thread(target=beat, name="engarde-run-locks", daemon=True)
        self._beat.start()

    def release_all(self) -> None:
        """Stop renewing and give every held lock up."""
        self._stop.set()
        if self._beat is not None:
            self._beat.join(timeout=5)
        for name in reversed(self.held):
            try:
                release(self.engine, name, self.holder)
            except Exception as exc:  # its lease runs out by itself
                log.warning("could not release %s: %s", describe(name), exc)
        self.held.clear()


def held_state(name: str) -> LockState | None:
    """Who holds ``name`` now (for ``engarde`` commands and tests)."""
    from store.locks import current_holder

    return current_holder(default_engine(), name)
