"""Production's shape, end to end: a Prefect server on PostgreSQL, a work pool, two workers.

One environment for the whole module (tests/e2e/cluster.py: the commands README's "Going to
production" lists, the sandbox enforcing the real API budgets per client). Every run is started
through its deployment, as the UI would, and the checks run in order on that one environment.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sandbox.brevo.state import MASTER_LIST_NAME
from sandbox.poshvip_sender import build_deliveries, send_deliveries
from store.db import make_engine, session_scope
from store.signups import list_signups
from tests.conftest import require_postgres
from tests.e2e.cluster import (
    ADMIN,
    Cluster,
    child_runs,
    finished,
    prefect_api,
    run_deployment,
    running_cluster,
    start_run,
    worker_of,
)
from tests.e2e.truth import mismatches, payloads_on

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _prefect() -> None:
    """This module talks to its own Prefect server, not the session's test harness."""
    return None


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Server, databases, sandbox, setup, deployments, two workers and the receiver, for the module."""
    with running_cluster(require_postgres(), tmp_path_factory.mktemp("distributed")) as running:
        yield running


def brevo(cluster: Cluster) -> Any:
    return cluster.sandbox.ctx.state["brevo"]


def alert_emails(cluster: Cluster) -> list[dict[str, Any]]:
    """The failure alerts the Brevo twin was asked to send (not the Posh.VIP digest, also to ADMIN)."""
    return [
        e
        for e in brevo(cluster).emails_sent
        if str(e.get("subject", "")).startswith("engarde: ") and any(t.get("email") == ADMIN for t in e["to"])
    ]


def test_setup_and_deploy_prepared_the_server(cluster: Cluster) -> None:
    lines = cluster.setup_output.splitlines()
    assert any(line.split()[:3] == ["created", "work", "pool"] for line in lines), lines
    assert any("automation engarde-failure-alert" in line and line.startswith("created") for line in lines)
    assert any(line.startswith("created") and "easyappointments" in line for line in lines), lines


async def test_audience_sync_runs_on_a_worker(cluster: Cluster) -> None:
    run = await run_deployment(cluster, "audience-sync/audience-sync-daily")
    assert run.state.is_completed(), run.state
    assert worker_of(run) in cluster.workers
    assert brevo(cluster).contacts and brevo(cluster).repeated_imports() == {}


async def test_a_backfill_spreads_its_windows_over_both_workers(cluster: Cluster) -> None:
    today = datetime.now(UTC).date()
    window_days = 28
    start = today - timedelta(days=12 * window_days - 1)
    async with prefect_api(cluster) as client:
        parameters = {
            "date_from": start.isoformat(),
            "date_to": today.isoformat(),
            "window_days": window_days,
            "sources": ["easyappointments"],
            "max_parallel_windows": 4,
        }
        parent = await finished(
            client, await start_run(client, "audience-backfill/audience-backfill", parameters)
        )
        children = await child_runs(client, parent.id)
    assert parent.state.is_completed(), parent.state
    assert len(children) == 12, [c.name for c in children]
    assert all(c.state.is_completed() for c in children), [(c.name, c.state.name) for c in children]
    assert {c.name for c in children} == {
        f"backfill {a}..{min(today, a + timedelta(days=window_days - 1))}"
        for a in (start + timedelta(days=window_days * i) for i in range(12))
    }
    ran_by = {worker_of(c) for c in children}
    assert ran_by == set(cluster.workers), f"windows ran on {ran_by}, not on both workers"
    assert brevo(cluster).repeated_imports() == {}


async def test_two_overlapping_runs_end_in_one_consistent_list(cluster: Cluster) -> None:
    """Two runs on a later day (recency moved, nothing read again) overlap; Brevo ends exactly as that
    day's payloads, computed here from the stored interactions as a single process would."""
    lists_before = set(brevo(cluster).lists)
    as_of = datetime.now(UTC).replace(microsecond=0) + timedelta(days=45)
    async with prefect_api(cluster) as client:
        ids = [
            await start_run(
                client,
                "audience-sync/audience-sync-daily",
                {"if_busy": busy, "as_of": as_of.isoformat(), "sources": []},
            )
            for busy in ("wait", "skip")
        ]
        runs = await asyncio.gather(*(finished(client, i) for i in ids))
    assert all(r.state.is_completed() for r in runs), [r.state for r in runs]
    state = brevo(cluster)
    assert set(state.lists) == lists_before, "an overlapping run made a second list"
    assert state.repeated_imports() == {}
    master = next(i for i, found in state.lists.items() if found["name"] == MASTER_LIST_NAME)
    assert mismatches(state, payloads_on(as_of, cluster.env["DATABASE_URL"]), master) == {}


async def test_a_poshvip_delivery_starts_poshvip_events_through_the_trigger(cluster: Cluster) -> None:
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName, FlowRunFilter

    secret = cluster.env["POSHVIP_WEBHOOK_SECRET"]
    deliveries = build_deliveries(cluster.sandbox.ctx.world, 3, secret=secret)
    sent = await send_deliveries(f"{cluster.receiver}/api/webhooks/poshvip", deliveries, concurrency=1)
    assert dict(sent.statuses) == {"202": 3}, (sent.statuses, sent.errors)
    only = DeploymentFilter(name=DeploymentFilterName(any_=["poshvip-events"]))
    async with prefect_api(cluster) as client:
        for _ in range(120):
            runs = await client.read_flow_runs(deployment_filter=only, flow_run_filter=FlowRunFilter())
            triggered = [
                r for r in runs if r.idempotency_key and not r.idempotency_key.startswith("scheduled")
            ]
            if triggered:
                break
            await asyncio.sleep(1)
        assert triggered, "no poshvip-events run was started by the receiver's event"
        run = await finished(client, triggered[0].id)
    assert run.state.is_completed(), run.state


async def test_a_paused_review_is_resumed_through_the_api(cluster: Cluster) -> None:
    from prefect.flow_runs import aresume_flow_run
    from prefect.settings import PREFECT_API_URL, temporary_settings

    month_ago = (datetime.now(UTC) - timedelta(days=30)).date()
    queued = await run_deployment(
        cluster, "add-bookers-to-queue/add-bookers-to-queue-daily", date_from=month_ago.isoformat()
    )
    assert queued.state.is_completed(), queued.state
    async with prefect_api(cluster) as client:
        run_id = await start_run(
            client, "review-signup-queue/review-signup-queue", {"poll_interval_seconds": 1}
        )
        for _ in range(300):
            run = await client.read_flow_run(run_id)
            if run.state.is_paused() or run.state.is_final():
                break
            await asyncio.sleep(1)
        assert run.state.is_paused(), f"the review did not pause: {run.state}"
        with temporary_settings(updates={PREFECT_API_URL: f"{cluster.api}/api"}):
            await aresume_flow_run(run_id, run_input={"reviewer": ADMIN, "apply_to_all": "approve all"})
        run = await finished(client, run_id)
    assert run.state.is_completed(), run.state
    with session_scope(make_engine(cluster.env["DATABASE_URL"])) as session:
        decided = {s.email: s.decided_by for s in list_signups(session) if s.status != "pending"}
    assert decided and set(decided.values()) == {ADMIN}, "the resumed review recorded no decision"


async def test_a_failed_run_sends_one_alert_naming_it(cluster: Cluster) -> None:
    assert alert_emails(cluster) == [], "a successful run sent an alert"
    wrong = {"env": {"EASYAPPOINTMENTS_API_TOKEN": "a-revoked-token"}}
    async with prefect_api(cluster) as client:
        run_id = await start_run(
            client, "audience-sync/audience-sync-daily", {"sources": ["easyappointments"]}, wrong
        )
        run = await finished(client, run_id)
    assert run.state.is_failed(), run.state
    for _ in range(120):
        if alert_emails(cluster):
            break
        await asyncio.sleep(1)
    emails = alert_emails(cluster)
    assert len(emails) == 1, emails
    assert run.name in emails[0]["subject"] and run.name in emails[0]["textContent"]
    assert "audience-sync" in emails[0]["textContent"] and str(run.id) in emails[0]["textContent"]


def test_no_twin_saw_more_than_its_real_budget(cluster: Cluster) -> None:
    stats = cluster.sandbox.ctx.stats()
    budgets = {
        service: entry["budget"]
        for service, entry in stats.items()
        if isinstance(entry, dict) and "budget" in entry
    }
    assert budgets["easyappointments"]["max_in_window"] > 0
    for service, budget in budgets.items():
        assert budget["enforced"]
        assert budget["max_in_window"] <= budget["limit"], (service, budget)
        assert budget["refused"] == 0, f"{service} refused {budget['refused']} requests over its budget"
    assert len(alert_emails(cluster)) == 1, "one failed run, one alert"
