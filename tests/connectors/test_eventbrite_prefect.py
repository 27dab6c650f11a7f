"""Eventbrite pieces that need a Prefect API: the Secret block.

(Every call taking a slot of its shared Prefect budget is tests/deployments/test_setup.py's.)
"""

from __future__ import annotations

import httpx
import pytest
from typer.testing import CliRunner

from deployments.cli_eventbrite import app
from sandbox import eventbrite_twin
from sandbox.framework import RunningSandbox

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
