"""Run locks and checkpoint claims under real concurrency, on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select, update

from store.checkpoints import mark_interrupted, start_checkpoint, window_states
from store.db import session_scope
from store.locks import Holder, current_holder, live_flow_runs, release, try_acquire
from store.models import ExtractionCheckpoint, RunLock

W = (date(2026, 1, 1), date(2026, 1, 31))


def _at_once(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in ``count`` threads released together; return results or exceptions."""
    barrier = threading.Barrier(count)
    out: list[Any] = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            out[i] = work(i)
        except Exception as exc:
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def test_one_holder_at_a_time_and_the_loser_learns_who(engine: Engine) -> None:
    first = Holder.this_process("audience-sync run 'a'", "run-a")
    second = Holder.this_process("audience-sync run 'b'", "run-b")
    assert try_acquire(engine, "brevo:lists", first, ttl=60) is None
    busy = try_acquire(engine, "brevo:lists", second, ttl=60)
    assert busy is not None and busy.holder.flow_run_id == "run-a"
    assert "audience-sync run 'a' (flow run run-a)" in busy.says()
    release(engine, "brevo:lists", first)
    assert try_acquire(engine, "brevo:lists", second, ttl=60) is None
    assert current_holder(engine, "brevo:lists") is not None


def test_concurrent_claims_have_exactly_one_winner(engine: Engine) -> None:
    holders = [Holder.this_process(f"run {i}", f"run-{i}") for i in range(8)]
    results = _at_once(8, lambda i: try_acquire(engine, "checkpoints:zoom:x", holders[i], ttl=60))
    assert not any(isinstance(r, Exception) for r in results), results
    assert sum(r is None for r in results) == 1
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(RunLock)) == 1


def test_expired_lease_is_taken_over(engine: Engine) -> None:
    dead = Holder("dead-token", "a run on another machine", "run-dead", host="elsewhere", pid=1)
    assert try_acquire(engine, "brevo:lists", dead, ttl=60) is None
    alive = Holder.this_process("audience-sync run 'b'", "run-b")
    assert try_acquire(engine, "brevo:lists", alive, ttl=60) is not None, "a live lease elsewhere holds"
    with session_scope(engine) as session:
        session.execute(update(RunLock).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert try_acquire(engine, "brevo:lists", alive, ttl=60) is None
    state = current_holder(engine, "brevo:lists")
    assert state is not None and state.holder.token == alive.token


def test_lease_of_a_killed_process_is_free_at_once(engine: Engine) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    gone = Holder("killed-token", "audience-sync run 'killed'", "run-killed", pid=proc.pid)
    assert try_acquire(engine, "checkpoints:easyappointments:w", gone, ttl=3600) is None
    proc.kill()
    proc.wait()
    assert current_holder(engine, "checkpoints:easyappointments:w") is None
    with session_scope(engine) as session:
        assert live_flow_runs(session) == set()
    assert try_acquire(engine, "checkpoints:easyappointments:w", Holder.this_process("next"), ttl=60) is None


def test_checkpoint_claims_at_once_never_collide(engine: Engine) -> None:
    def claim(i: int) -> int:
        with session_scope(engine) as session:
            row = start_checkpoint(
                session, source="easyappointments", window_start=W[0], window_end=W[1], flow_run_id=f"r{i}"
            )
            return row.id

    results = _at_once(6, claim)
    assert not any(isinstance(r, Exception) for r in results), results
    assert len(set(results)) == 1
    with session_scope(engine) as session:
        assert window_states(session, "easyappointments") == {W: "running"}


def test_running_checkpoints_of_dead_runs_are_marked_interrupted(engine: Engine) -> None:
    with session_scope(engine) as session:
        start_checkpoint(session, source="zoom", window_start=W[0], window_end=W[1], flow_run_id="dead")
        start_checkpoint(session, source="zoom", window_start=W[1], window_end=W[1], flow_run_id="alive")
    assert try_acquire(engine, "checkpoints:zoom:x", Holder.this_process("live run", "alive"), ttl=60) is None
    with session_scope(engine) as session:
        marked = mark_interrupted(session, live_flow_runs=live_flow_runs(session), source="zoom")
    assert marked == 1
    with session_scope(engine) as session:
        assert window_states(session, "zoom") == {W: "interrupted", (W[1], W[1]): "running"}
        row = session.scalar(select(ExtractionCheckpoint).where(ExtractionCheckpoint.flow_run_id == "dead"))
        assert row is not None and row.error and "interrupted" in row.error
