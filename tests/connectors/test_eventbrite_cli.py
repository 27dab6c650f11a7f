"""``engarde eventbrite authorize`` / ``exchange`` against the twin's OAuth endpoints."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from deployments.cli_eventbrite import app
from sandbox import eventbrite_twin
from sandbox.framework import RunningSandbox
from store.models import PlatformConnection
from tasks.eventbrite import extract_eventbrite

runner = CliRunner()


@pytest.fixture
def oauth_env(sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> RunningSandbox:
    monkeypatch.setenv("EVENTBRITE_CLIENT_ID", "app-key")
    monkeypatch.setenv("EVENTBRITE_CLIENT_SECRET", "app-secret")
    return sandbox


def authorize_and_get_code() -> str:
    result = runner.invoke(app, ["authorize", "--state", "s1"])
    assert result.exit_code == 0, result.output
    url = next(line for line in result.output.splitlines() if line.startswith("http"))
    assert "client_id=app-key" in url and "state=s1" in url
    redirect = httpx.get(url)
    assert redirect.status_code == 302
    return httpx.URL(redirect.headers["location"]).params["code"]


def test_authorize_needs_the_app_credentials(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EVENTBRITE_CLIENT_ID", raising=False)
    result = runner.invoke(app, ["authorize"])
    assert result.exit_code == 2 and "EVENTBRITE_CLIENT_ID" in result.output


def test_exchange_stores_in_the_database_without_printing(
    oauth_env: RunningSandbox, sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_engine.url.render_as_string(hide_password=False))
    code = authorize_and_get_code()
    result = runner.invoke(app, ["exchange", code])
    assert result.exit_code == 0, result.output
    with sqlite_engine.connect() as conn:
        stored = conn.execute(select(PlatformConnection.credentials, PlatformConnection.status)).one()
    token = stored.credentials
    assert token in eventbrite_twin.state_of(oauth_env.ctx).tokens and stored.status == "connected"
    assert token not in result.output and "platform connections" in result.output

    # The extraction task finds the stored token when EVENTBRITE_OAUTH_TOKEN is unset.
    monkeypatch.delenv("EVENTBRITE_OAUTH_TOKEN")
    anchor = oauth_env.ctx.world.anchor
    extract = asyncio.run(extract_eventbrite.fn((anchor - timedelta(days=30)).date(), anchor.date()))
    assert extract.complete and extract.api_calls > 0

    again = runner.invoke(app, ["exchange", code])  # a code works once
    assert again.exit_code == 1 and "invalid_grant" in again.output


def test_exchange_refuses_before_spending_the_code_without_a_database(
    oauth_env: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    code = authorize_and_get_code()
    result = runner.invoke(app, ["exchange", code])
    assert result.exit_code == 2 and "engarde db upgrade" in result.output
    assert code in eventbrite_twin.state_of(oauth_env.ctx).codes  # still usable
