"""Two audience-sync runs that overlap on one database and one sandbox: safe, and they say so."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from prefect.settings import get_current_settings

from flows.audience_sync import audience_sync
from store.checkpoints import window_states
from store.db import make_engine, session_scope
from store.migrate import upgrade
from tasks.run_locks import BREVO_LISTS_LOCK, RunLocks, held_state
from tests.e2e.conftest import serve_world
from tests.e2e.test_audience_sync import brevo_state, end_state

BIN = Path(sys.executable).parent
AS_OF = datetime.now(UTC).replace(second=0, microsecond=0)


def _fresh_database(tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / name}.db"
    upgrade(make_engine(url))
    monkeypatch.setenv("DATABASE_URL", url)


def _engarde_runs(count: int, tmp_path: Path) -> list[dict[str, Any]]:
    """``count`` processes running ``engarde run audience-sync`` at once against the harness's server."""
    env = {
        **os.environ,
        "PREFECT_API_URL": str(get_current_settings().api.url),
        "ENGARDE_LOCK_POLL_SECONDS": "0.2",
    }
    command = [str(BIN / "engarde"), "run", "audience-sync", "-p", f"as_of={AS_OF.isoformat()}", "--json"]
    logs = [tmp_path / f"run-{i}-{uuid.uuid4().hex[:6]}.log" for i in range(count)]
    procs = []
    for log in logs:
        with log.open("w") as err:
            procs.append(
                subprocess.Popen(
                    command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=err, text=True
                )
            )
    outputs = [p.communicate(timeout=240)[0] for p in procs]
    results = []
    for proc, out, log in zip(procs, outputs, logs, strict=True):
        assert proc.returncode == 0, f"engarde run failed:\n{out[-2000:]}\n{log.read_text()[-3000:]}"
        results.append({"log": log.read_text(), **json.loads(out[out.index("{") :])})
    return results


async def test_overlapping_runs_end_like_sequential_ones(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    outcomes = {}
    for mode in ("sequential", "overlapping"):
        _fresh_database(tmp_path, mode, monkeypatch)
        sandbox = serve_world(monkeypatch)
        try:
            if mode == "sequential":
                summaries = _engarde_runs(1, tmp_path) + _engarde_runs(1, tmp_path)
            else:
                summaries = _engarde_runs(2, tmp_path)
            brevo = brevo_state(sandbox)
            assert brevo.repeated_imports() == {}
            assert all(s["skipped"] is None for s in summaries)
            created = sorted(s["brevo"]["created"] for s in summaries)
            with session_scope(make_engine()) as session:
                states = set(window_states(session, "easyappointments").values())
            outcomes[mode] = (end_state(sandbox), len(brevo.import_log), created, states)
            if mode == "overlapping":
                assert any("waiting for the easyappointments checkpoint" in s["log"] for s in summaries)
        finally:
            sandbox.stop()
    sequential, overlapping = outcomes["sequential"], outcomes["overlapping"]
    assert overlapping[0] == sequential[0], "the overlapping runs left Brevo unlike sequential runs"
    assert overlapping[1] == sequential[1], "the overlapping runs imported more often than sequential runs"
    assert overlapping[2] == sequential[2] and overlapping[2][0] == 0, "one run created, the other nothing"
    assert overlapping[3] == {"complete"}


async def test_a_run_told_not_to_wait_says_why_in_one_line(
    world: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with RunLocks() as other:
        await other.take([BREVO_LISTS_LOCK])
        summary = await audience_sync(as_of=AS_OF, sources=[], if_busy="skip")
    assert summary.skipped is not None and "\n" not in summary.skipped
    assert summary.skipped.startswith("not run: the Brevo lists (master list and event lists) is held by")
    assert summary.render().startswith("audience-sync skipped: not run:")
    assert held_state(BREVO_LISTS_LOCK) is None, "the lock is released when its holder is done"


async def test_a_waiting_run_logs_for_what_and_for_whom(
    world: object, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("ENGARDE_LOCK_POLL_SECONDS", "0.1")
    caplog.set_level(logging.INFO, logger="prefect")
    async with RunLocks() as other:
        await other.take([BREVO_LISTS_LOCK])
        run = asyncio.ensure_future(audience_sync(as_of=AS_OF, sources=[]))
        while not any("waiting for the Brevo lists" in r.getMessage() for r in caplog.records):
            assert not run.done(), "the run went ahead while another held the Brevo lists"
            await asyncio.sleep(0.1)
    summary = await run
    assert summary.skipped is None
    waiting = next(r.getMessage() for r in caplog.records if "waiting for the Brevo lists" in r.getMessage())
    assert "held by a process outside Prefect" in waiting and " pid " in waiting
