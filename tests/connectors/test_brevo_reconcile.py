"""Matching a chunk whose sender died to the import Brevo started for it (or to none)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from connectors.brevo import BrevoClient, BrevoSettings
from connectors.brevo.models import ProcessReport
from connectors.brevo.reconcile import candidates, touched_after
from sandbox.framework import RunningSandbox
from sandbox.hooks import hooks_of

T = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def process(pid: int, minutes: float | None) -> ProcessReport:
    created = None if minutes is None else T + timedelta(minutes=minutes)
    return ProcessReport(id=pid, name="IMPORTUSER", status="completed", created_at=created)


def ids(found: list[ProcessReport]) -> list[int]:
    return [p.id for p in found]


def test_candidates_are_the_free_imports_of_the_chunks_window_oldest_first() -> None:
    processes = [process(13, 1), process(10, -30), process(11, 0.01), process(12, 0.02), process(14, 30)]
    # 11 is ours already (a chunk recorded it); 10 is older than the chunk, 14 too late for it.
    assert ids(candidates(T, processes, {11})) == [12, 13]
    assert ids(candidates(T + timedelta(seconds=50), processes, {11, 12})) == [13]


def test_no_process_in_the_window_means_never_received() -> None:
    assert candidates(T, [process(20, 60)], set()) == []
    assert candidates(T, [], {5}) == []


def test_without_created_at_only_ids_above_every_taken_one_qualify() -> None:
    assert ids(candidates(T, [process(7, None), process(9, None)], {8})) == [9]


def test_a_contact_modified_after_the_process_started_confirms_it() -> None:
    assert touched_after("2026-06-01T12:00:05.000Z", T)
    assert not touched_after("2026-06-01T11:50:00.000Z", T)
    assert not touched_after(None, T)


async def test_the_twin_lists_processes_as_brevo_does(sandbox: RunningSandbox) -> None:
    since = datetime.now(UTC) - timedelta(seconds=5)
    async with BrevoClient(BrevoSettings()) as brevo:
        list_id = await brevo.ensure_master_list(None, "reconcile test")
        started = await brevo.import_contacts(
            [{"email": "r1@example.org", "attributes": {}}], [list_id], wait=False
        )
        listed = await brevo.list_import_processes(since)
    assert started.process_id in [p.id for p in listed]
    assert all(p.created_at is not None and p.created_at >= since for p in listed)
    async with httpx.AsyncClient(base_url=f"{sandbox.base_url}/brevo/v3") as http:
        too_many = await http.get("/processes", params={"limit": 51}, headers={"api-key": "xkeysib-sandbox"})
    assert too_many.status_code == 400


def test_a_hook_is_armed_over_http_and_kills_nothing_until_reached(sandbox: RunningSandbox) -> None:
    answer = httpx.post(
        f"{sandbox.base_url}/_sandbox/hooks",
        json={"at": "brevo.import.accepted", "pid": 999_999_999, "nth": 2},
    )
    assert answer.json() == {"armed": "brevo.import.accepted", "pid": 999_999_999, "nth": 2}
    hooks = hooks_of(sandbox.ctx.state)
    assert hooks.fired == [] and hooks.armed[-1].seen == 0
