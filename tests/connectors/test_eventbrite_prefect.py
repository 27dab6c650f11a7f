"""Eventbrite pieces that need a Prefect API: the Secret block and the shared rate limit."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from typer.testing import CliRunner

from deployments.cli_eventbrite import app
from sandbox import eventbrite_twin
from sandbox.framework import RunningSandbox
from tasks.eventbrite import extract_eventbrite

runner = CliRunner()


def test_exchange_into_a_prefect_secret(
    sandbox: RunningSandbox, prefect_harness: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.blocks.system import Secret

    monkeypatch.setenv("EVENTBRITE_CLIENT_ID", "app-key")
    monkeypatch.setenv("EVENTBRITE_CLIENT_SECRET", "app-secret")
    url = next(
        line for line in runner.invoke(app, ["authorize"]).output.splitlines() if line.startswith("http")
    )
    code = httpx.URL(httpx.get(url).headers["location"]).params["code"]
    result = runner.invoke(app, ["exchange", code, "--prefect-secret", "--block-name", "eb-test-token"])
    assert result.exit_code == 0, result.output
    token = Secret.load("eb-test-token").get()
    assert token in eventbrite_twin.state_of(sandbox.ctx).tokens
    assert token not in result.output and "eb-test-token" in result.output


def test_every_call_takes_a_slot_of_the_shared_prefect_limit(
    sandbox: RunningSandbox, prefect_harness: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate

    async def scenario() -> tuple[int, int]:
        async with get_client() as client:
            await client.create_global_concurrency_limit(
                GlobalConcurrencyLimitCreate(name="eb-test-api", limit=2000, slot_decay_per_second=0.0001)
            )
        anchor = sandbox.ctx.world.anchor
        extract = await extract_eventbrite.fn((anchor - timedelta(days=60)).date(), anchor.date())
        async with get_client() as client:
            limit = await client.read_global_concurrency_limit_by_name("eb-test-api")
        return extract.api_calls, limit.active_slots

    monkeypatch.setenv("EVENTBRITE_PREFECT_RATE_LIMIT", "eb-test-api")
    calls, slots = asyncio.run(scenario())
    assert calls > 0 and slots == calls
