"""booking-insights flow: stored bookings -> facts -> narration -> artifact, HTML file, stored report."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from sqlalchemy import Engine, select

from audience.schema import coerce_interactions
from flows.booking_insights import booking_insights, report_window
from insights.synthetic import synthetic_bookings
from sandbox.anthropic_twin import SLIPPED_NUMBER, twin_state
from sandbox.framework import RunningSandbox, new_context
from store.db import session_scope
from store.interactions import upsert_interactions
from store.models import InsightReport


@pytest.fixture
def db_url(sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> str:
    frame = synthetic_bookings(2_000, start=datetime(2026, 6, 1), end=datetime(2026, 11, 1), seed=4)
    with session_scope(sqlite_engine) as session:
        upsert_interactions(session, coerce_interactions(frame))
    url = sqlite_engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("DATABASE_URL", url)  # the database the flow reads and writes
    return url


@pytest.fixture
def twin(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    with RunningSandbox(new_context(scale=50, seed=2)) as running:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-sandbox")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", f"{running.base_url}/anthropic")
        yield twin_state(running.ctx)


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


async def _artifact(key: str) -> str:
    async with get_client() as client:
        found = await client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))
    assert found
    return str(found[-1].data)


async def test_deterministic_report(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    result = await booking_insights(
        date_from=date(2026, 9, 1),
        date_to=date(2026, 9, 30),
        analysis_type="all",
        reports_dir=str(tmp_path / "reports"),
    )
    assert result["model"] == "deterministic"
    assert result["window"] == {"date_from": "2026-09-01", "date_to": "2026-09-30"}
    assert result["previous_window"] == {"date_from": "2026-08-02", "date_to": "2026-08-31"}
    facts = {f["id"]: f for f in result["facts"]}
    assert facts["overview.bookings"]["value"] > 300 and facts["overview.bookings"]["previous"] > 300
    assert facts["demographics.returning_customers"]["value"] > 0  # history was loaded
    # no EasyAppointments to read the rest from: the history runs from the first stored booking only
    returning = facts["demographics.returning_customers"]
    assert returning["previous"] is None and returning["change"] is None
    assert "known from 2026-06-01 only" in returning["label"]
    assert any("could not be read from EasyAppointments" in note for note in result["notes"])
    assert len(result["insights"]) >= 8 and result["dropped"] == []
    html = Path(result["html_path"])
    assert html.parent == tmp_path / "reports" and "<svg" in _read(html)
    with session_scope() as session:
        row = session.scalars(select(InsightReport).where(InsightReport.id == result["report_id"])).one()
        assert (row.analysis_type, row.model, row.date_from) == ("all", "deterministic", date(2026, 9, 1))
        assert row.report["facts"] == result["facts"]
    markdown = await _artifact("booking-insights")
    assert "# Booking insights" in markdown and "narrated by **deterministic**" in markdown


async def test_claude_report_drops_what_stays_ungrounded(
    db_url: str, tmp_path: Path, twin: dict[str, Any]
) -> None:
    twin["ungrounded"] = "always"
    result = await booking_insights(
        date_from=date(2026, 10, 1),
        date_to=date(2026, 10, 14),
        analysis_type="overview",
        timezone="Europe/Lisbon",
        reports_dir=str(tmp_path),
    )
    assert result["model"] == "claude-sonnet-4-5"
    assert {f["id"].split(".")[0] for f in result["facts"]} == {"overview", "history"}
    assert twin["calls"] == 2
    assert len(result["dropped"]) == 1 and SLIPPED_NUMBER in result["dropped"][0]["insight"]["text"]
    assert all(SLIPPED_NUMBER not in i["text"] for i in result["insights"])
    assert result["input_tokens"] > 0
    assert {f["id"] for f in result["facts"]} >= {"overview.busiest_weekday", "overview.revenue"}


def test_default_window_is_the_last_30_days() -> None:
    w = report_window(None, None, today=date(2026, 11, 26))
    assert (w.date_from, w.date_to) == (date(2026, 10, 27), date(2026, 11, 25))
    with pytest.raises(ValueError):
        report_window(date(2026, 2, 1), date(2026, 1, 1), today=date(2026, 11, 26))


async def test_refresh_from_easyappointments_end_to_end(
    sandbox: RunningSandbox, sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """EasyAppointments twin -> store -> facts -> Claude twin; nothing personal reaches Claude."""
    monkeypatch.setenv("DATABASE_URL", sqlite_engine.url.render_as_string(hide_password=False))
    result = await booking_insights(analysis_type="all", refresh=True, reports_dir=str(tmp_path))
    facts = {f["id"]: f for f in result["facts"]}
    assert facts["overview.bookings"]["value"] > 0 and facts["overview.bookings"]["previous"] > 0
    assert result["model"] == "claude-sonnet-4-5" and result["insights"]
    assert sandbox.ctx.requests["easyappointments"]
    bodies = "\n".join(twin_state(sandbox.ctx)["raw_bodies"])
    assert "overview.bookings" in bodies
    world = sandbox.ctx.world
    lowered = bodies.lower()
    assert not [p.email for p in world.people if p.email.lower() in lowered]
    assert not [p.phone for p in world.people if p.phone and p.phone in bodies]
    assert not [p for p in world.people if f"{p.first_name} {p.last_name}" in bodies]
    staff = [f"{p['firstName']} {p['lastName']}" for p in world.providers]
    assert not [s for s in staff if s in bodies]
