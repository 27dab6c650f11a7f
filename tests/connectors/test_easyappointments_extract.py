"""EasyAppointments extraction (task body) and the `appointments` CLI, against the twin."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from audience.from_easyappointments import mark_vanished
from audience.schema import INTERACTION_DTYPES
from connectors.easyappointments import EasyAppointmentsSettings
from connectors.http import RetryPolicy
from deployments.cli_appointments import app
from sandbox.framework import RunningSandbox, SandboxContext, new_context
from tasks.easyappointments import extract_appointments, extract_easyappointments

ANCHOR = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
WINDOW = (date(2026, 3, 1), date(2026, 8, 31))
TOKEN = {"Authorization": "Bearer sandbox-easyappointments-token"}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with RunningSandbox(new_context(scale=400, seed=5, anchor=ANCHOR)) as running:
        yield running


def settings_for(sandbox: RunningSandbox, **overrides: Any) -> EasyAppointmentsSettings:
    values: dict[str, Any] = {
        "url": sandbox.env["EASYAPPOINTMENTS_URL"],
        "api_token": sandbox.env["EASYAPPOINTMENTS_API_TOKEN"],
        "rate_limit_requests": 10_000,
        "rate_limit_seconds": 1.0,
        **overrides,
    }
    return EasyAppointmentsSettings(**values)


def in_window(ctx: SandboxContext, first: date, last: date) -> list[dict[str, Any]]:
    return [
        a for a in ctx.world.appointments if first.isoformat() <= str(a["start"])[:10] <= last.isoformat()
    ]


async def test_extract_window_joins_customers_once(sandbox: RunningSandbox) -> None:
    ctx = sandbox.ctx
    expected = in_window(ctx, *WINDOW)
    drafts = sum(1 for a in expected if a["status"] == "Draft")
    before = dict(ctx.requests["easyappointments"])
    result = await extract_appointments(*WINDOW, settings_for(sandbox, page_length=50))
    served = {k: v - before.get(k, 0) for k, v in ctx.requests["easyappointments"].items()}
    assert result.complete
    assert len(result.frame) == len(expected) - drafts
    assert set(result.frame["source_id"]) == {str(a["id"]) for a in expected if a["status"] != "Draft"}
    assert served.get("GET /customers/{item_id}", 0) == 0  # never one request per appointment
    assert served["GET /customers"] == len(ctx.world.customers) // 50 + 1
    assert result.api_calls == sum(served.values())
    assert any("draft" in note for note in result.notes) == (drafts > 0)
    assert dict(result.frame.dtypes.astype(str)) == {k: str(v) for k, v in INTERACTION_DTYPES.items()}
    assert result.frame["email"].dropna().str.fullmatch(r"[^A-Z\s]+").all()


async def test_reread_window_marks_vanished_and_updates_status(sandbox: RunningSandbox) -> None:
    api = sandbox.env["EASYAPPOINTMENTS_URL"] + "/index.php/api/v1"
    window = (date(2026, 9, 1), date(2026, 9, 30))
    settings = settings_for(sandbox)
    first = await extract_appointments(*window, settings)
    booked = first.frame.loc[first.frame["status"] == "booked", "source_id"].tolist()
    gone, cancelled = int(booked[0]), int(booked[1])
    async with httpx.AsyncClient(headers=TOKEN) as client:
        assert (await client.delete(f"{api}/appointments/{gone}")).status_code == 204
        updated = await client.put(f"{api}/appointments/{cancelled}", json={"status": "Cancelled"})
        assert updated.is_success
    second = await extract_appointments(*window, settings)
    vanished = mark_vanished(first.frame, second.frame, date_from=window[0], date_to=window[1])
    assert vanished["source_id"].tolist() == [str(gone)]
    assert vanished["status"].tolist() == ["deleted"]
    now = second.frame.set_index("source_id")["status"]
    assert now[str(cancelled)] == "cancelled"
    # Outside the re-read window nothing is marked.
    assert mark_vanished(
        first.frame, second.frame.iloc[0:0], date_from=date(2027, 1, 1), date_to=date(2027, 1, 2)
    ).empty


async def test_task_body_runs_the_extraction(sandbox: RunningSandbox) -> None:
    result = await extract_easyappointments.fn(date(2026, 5, 1), date(2026, 5, 7), settings_for(sandbox))
    assert result.source == "easyappointments" and result.complete
    assert len(result.frame) == sum(
        1 for a in in_window(sandbox.ctx, date(2026, 5, 1), date(2026, 5, 7)) if a["status"] != "Draft"
    )


async def test_window_is_utc_days_whatever_the_instance_zone(sandbox: RunningSandbox) -> None:
    api = sandbox.env["EASYAPPOINTMENTS_URL"] + "/index.php/api/v1"
    customer = sandbox.ctx.world.customers[0]["id"]
    made = {}
    async with httpx.AsyncClient(headers=TOKEN) as client:
        for name, start in (("evening_before", "2031-02-09 21:00:00"), ("evening_of", "2031-02-10 20:00:00")):
            body = {"start": start, "providerId": 2, "customerId": customer, "serviceId": 4}
            made[name] = str((await client.post(f"{api}/appointments", json=body)).json()["id"])
    settings = settings_for(sandbox, timezone="America/New_York")
    result = await extract_appointments(date(2031, 2, 10), date(2031, 2, 10), settings)
    # 21:00 EST on the 9th is 02:00 UTC on the 10th; 20:00 EST on the 10th is the 11th in UTC.
    assert set(result.frame["source_id"]) == {made["evening_before"]}
    assert result.frame["occurred_at"].iloc[0] == datetime(2031, 2, 10, 2, 0, tzinfo=UTC)


async def test_failure_mid_window_returns_a_partial_incomplete_extract(sandbox: RunningSandbox) -> None:
    ctx = sandbox.ctx
    sent = 0

    async def fail_from_the_third_appointments_page(request: httpx.Request) -> None:
        nonlocal sent
        if request.url.path.endswith("/appointments"):
            sent += 1
            if sent == 3:
                ctx.faults.queue("easyappointments", "5xx", 10)

    retry = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02)
    try:
        async with httpx.AsyncClient(
            event_hooks={"request": [fail_from_the_third_appointments_page]}
        ) as client:
            result = await extract_appointments(
                *WINDOW, settings_for(sandbox, page_length=20), client=client, retry=retry
            )
    finally:
        ctx.faults.queued.clear()
    assert not result.complete
    assert 0 < len(result.frame) < len(in_window(ctx, *WINDOW))
    assert any("stopped after" in note for note in result.notes)


# --------------------------------------------------------------------------- CLI


def run_cli(sandbox: RunningSandbox, *args: str, **env: str) -> Any:
    environment = {**sandbox.env, "EASYAPPOINTMENTS_RATE_LIMIT_REQUESTS": "10000", **env}
    return CliRunner().invoke(app, list(args), env=environment)


def test_cli_lists_everything_in_range_as_json(sandbox: RunningSandbox) -> None:
    result = run_cli(sandbox, "--from", "2026-04-01", "--till", "2026-04-30", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) == len(in_window(sandbox.ctx, date(2026, 4, 1), date(2026, 4, 30))) > 20
    assert {"id", "start", "status", "service", "provider", "customer", "email"} <= set(rows[0])


def test_cli_page_status_and_csv(sandbox: RunningSandbox) -> None:
    page = run_cli(
        sandbox,
        "--from",
        "2026-01-01",
        "--till",
        "2026-06-30",
        "--page",
        "2",
        "--page-size",
        "5",
        "--format",
        "csv",
    )
    assert page.exit_code == 0, page.output
    rows = list(csv.DictReader(io.StringIO(page.stdout)))
    assert len(rows) == 5
    cancelled = run_cli(
        sandbox, "--from", "2026-01-01", "--till", "2026-06-30", "--status", "cancelled", "--format", "json"
    )
    statuses = {r["status"] for r in json.loads(cancelled.stdout)}
    assert statuses == {"cancelled"}


def test_cli_table_help_and_errors(sandbox: RunningSandbox) -> None:
    table = run_cli(sandbox, "--from", "2026-05-01", "--till", "2026-05-31", "--service", "1")
    assert table.exit_code == 0
    assert table.stdout.splitlines()[0].split()[:3] == ["ID", "START", "END"]
    assert "--page-size" in run_cli(sandbox, "--help").stdout
    # A refused token, as the admin sees it: the whole `engarde` process, one sentence, no traceback.
    denied = subprocess.run(
        [
            sys.executable,
            "-m",
            "deployments.cli",
            "appointments",
            "--from",
            "2026-05-01",
            "--till",
            "2026-05-03",
        ],
        env={**os.environ, **sandbox.env, "EASYAPPOINTMENTS_API_TOKEN": "nope"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert denied.returncode == 1
    assert "not authorized" in denied.stderr
    assert "Traceback" not in denied.stderr
