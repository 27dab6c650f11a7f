"""``engarde setup`` against a real Prefect server: creates once, then finds everything right."""

from __future__ import annotations

from pathlib import Path

import pytest
from prefect.client.orchestration import get_client

from connectors.http import share_budgets, shared_limiter
from deployments.cli_setup import run_setup
from deployments.setup_brevo_webhooks import ensure_brevo_webhooks
from sandbox.framework import RunningSandbox
from store.db import make_engine
from store.migrate import upgrade
from tasks.budgets import PrefectSharedLimiter, configured_budgets, use_prefect_budgets


@pytest.fixture(autouse=True)
def _prefect(prefect_harness: None) -> None:
    return None


async def test_setup_creates_then_finds_everything_right(
    sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'engarde.db'}"
    upgrade(make_engine(url))
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("ADMIN_NOTIFICATION_EMAILS", "ops@engarde.example")
    monkeypatch.setenv("BREVO_WEBHOOK_TOKEN", "brevo-hook-token")
    monkeypatch.setenv("BREVO_WEBHOOK_URL", f"http://127.0.0.1:9/{tmp_path.name}/api/webhooks/brevo")
    pool = f"engarde-{tmp_path.name[-8:]}"

    first = await run_setup(pool)
    second = await run_setup(pool)

    actions = {o.what: o.action for o in first}
    assert actions[f"work pool {pool}"] == "created"
    assert actions["project database"] == "ok"
    budgets = configured_budgets()
    assert {b.key.split(":")[0] for b in budgets} >= {"easyappointments", "brevo-contacts", "zoom"}
    assert all(o.action in ("created", "ok") for o in first), [o.line() for o in first]
    assert actions["automation engarde-failure-alert"] in ("created", "changed", "ok")
    assert actions["Brevo webhooks"] == "created"
    assert all(o.action == "ok" for o in second), [o.line() for o in second if o.action != "ok"]
    async with get_client() as client:
        ea = next(b for b in budgets if b.key.startswith("easyappointments:"))
        limit = await client.read_global_concurrency_limit_by_name(ea.name)
    # A token bucket of burst + decay x window lets at most the real budget through per window.
    assert limit.limit + limit.slot_decay_per_second * ea.seconds <= ea.requests
    assert (ea.requests, ea.seconds) == (100, 120.0) and limit.slot_decay_per_second > 0


async def test_a_shared_budget_takes_a_slot_of_its_prefect_limit(sandbox: RunningSandbox) -> None:
    await run_setup("engarde")
    use_prefect_budgets()
    try:
        budgets = configured_budgets()
        ea = next(b for b in budgets if b.key.startswith("easyappointments:"))
        limiter = shared_limiter(ea.key, [(ea.requests, ea.seconds)])
        assert isinstance(limiter, PrefectSharedLimiter)
        for _ in range(3):
            await limiter.acquire()
        async with get_client() as client:
            limit = await client.read_global_concurrency_limit_by_name(ea.name)
        assert limit.active_slots >= 1, "the calls took no slot of the shared limit"
    finally:
        share_budgets(None)
        use_prefect_budgets()


async def test_brevo_webhooks_are_skipped_with_what_to_set(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BREVO_WEBHOOK_URL", raising=False)
    outcome = await ensure_brevo_webhooks()
    assert (outcome.action, outcome.detail) == (
        "skipped",
        "set BREVO_API_KEY, BREVO_WEBHOOK_TOKEN and BREVO_WEBHOOK_URL",
    )
