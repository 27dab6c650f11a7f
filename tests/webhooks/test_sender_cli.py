"""``poshvip-send`` against a live receiver, and ``receiver`` refusing to start without a secret."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from deployments.cli_webhooks import SANDBOX_SECRET, app
from store.models import WebhookEvent
from webhooks.app import WEBHOOK_PATH
from webhooks.server import RunningReceiver

runner = CliRunner()


def test_poshvip_send_stores_exactly_the_unique_valid_deliveries(
    receiver: Callable[..., RunningReceiver], engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POSHVIP_WEBHOOK_SECRET", raising=False)
    running = receiver(poshvip_webhook_secret=SANDBOX_SECRET)
    result = runner.invoke(
        app,
        [
            "poshvip-send",
            "--url",
            running.base_url + WEBHOOK_PATH,
            "--count",
            "120",
            "--duplicate-rate",
            "0.3",
            "--forged-rate",
            "0.05",
            "--concurrency",
            "8",
            "--scale",
            "300",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["sent"] == {"valid": 78, "duplicate": 36, "forged": 6}
    assert report["by_kind"]["forged"] == {"401": 6}
    assert report["by_kind"]["valid"].get("202", 0) + report["by_kind"]["duplicate"].get("202", 0) == 78
    assert report["errors"] == {} and "503" not in report["statuses"]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(WebhookEvent)).scalar_one() == 78


def test_receiver_refuses_to_start_without_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POSHVIP_WEBHOOK_SECRET", raising=False)
    monkeypatch.delenv("RECEIVER_INSECURE_DEV", raising=False)
    result = runner.invoke(app, ["receiver", "--port", "0"])
    assert result.exit_code == 2
    assert "POSHVIP_WEBHOOK_SECRET is not set" in result.output
