"""booking-insights over the whole history: new / returning customers against every booking the
EasyAppointments twin holds, the history read once, and plain reports for empty windows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from sqlalchemy import Engine

from flows.booking_insights import booking_insights
from insights.models import Window
from sandbox.anthropic_twin import twin_state
from sandbox.framework import RunningSandbox, new_context
from store.db import session_scope
from store.history import history_complete_to

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@pytest.fixture
def world_sandbox(sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningSandbox]:
    # The flows read and write the test's database.
    monkeypatch.setenv("DATABASE_URL", sqlite_engine.url.render_as_string(hide_password=False))
    with RunningSandbox(new_context(scale=3_000, seed=5)) as running:
        for key, value in running.env.items():
            monkeypatch.setenv(key, value)
        yield running


def _appointments(running: RunningSandbox) -> pd.DataFrame:
    """Every booking the twin holds, the plain way: start as UTC, normalised customer email."""
    world = running.ctx.world
    appts = pd.DataFrame(world.appointments)
    emails = {int(c["id"]): c.get("email") for c in world.customers}
    appts = appts[~appts["status"].fillna("").str.lower().str.contains("draft")].copy()
    raw = appts["customerId"].map(lambda i: emails.get(int(i)) if pd.notna(i) else None)
    clean = raw.map(lambda e: re.sub(r"\s+", "", e).lower() if isinstance(e, str) else None)
    appts["email"] = clean.where(clean.map(lambda e: isinstance(e, str) and bool(EMAIL.match(e))), None)
    appts["start"] = pd.to_datetime(appts["start"]).dt.tz_localize("UTC")
    return appts


def _new_returning(appts: pd.DataFrame, window: Window) -> tuple[int, int]:
    first = appts.dropna(subset=["email"]).groupby("email")["start"].min()
    inside = appts[(appts["start"] >= window.start) & (appts["start"] < window.end)]
    seen = first.reindex(inside["email"].dropna().unique())
    return int((seen >= window.start).sum()), int((seen < window.start).sum())


async def _facts(url: str, tmp_path: Path, window: Window, **params: Any) -> dict[str, dict[str, Any]]:
    result = await booking_insights(
        date_from=window.date_from,
        date_to=window.date_to,
        reports_dir=str(tmp_path),
        **params,
    )
    return {f["id"]: f for f in result["facts"]}


def _split(facts: dict[str, dict[str, Any]]) -> tuple[Any, ...]:
    new, returning = facts["demographics.new_customers"], facts["demographics.returning_customers"]
    return new["value"], new["previous"], returning["value"], returning["previous"]


def _ea_requests(running: RunningSandbox) -> int:
    return sum(running.ctx.requests["easyappointments"].values())


async def test_new_and_returning_count_every_earlier_booking(
    world_sandbox: RunningSandbox, sqlite_engine: Engine, tmp_path: Path
) -> None:
    url = sqlite_engine.url.render_as_string(hide_password=False)
    anchor = world_sandbox.ctx.world.anchor.date()
    window = Window(date_from=anchor - timedelta(days=180), date_to=anchor - timedelta(days=151))
    reads = world_sandbox.ctx.state["easyappointments"]["appointment_reads"]

    facts = await _facts(url, tmp_path, window, analysis_type="all", refresh=True)
    appts = _appointments(world_sandbox)
    new, returning = _new_returning(appts, window)
    new_prev, returning_prev = _new_returning(appts, window.previous())
    assert returning_prev > 0 and returning > 0  # the world has repeat bookers before both windows
    assert _split(facts) == (new, new_prev, returning, returning_prev)
    assert facts["history.first_booking"]["value"] == appts["start"].min().date().isoformat()
    # the whole history in one large page per resource: services, providers, customers, appointments
    first_calls = _ea_requests(world_sandbox)
    held = [a for a in world_sandbox.ctx.world.appointments if str(a["end"])[:10] <= str(reads[0]["till"])]
    assert first_calls == 4 and len(reads) == 1 and reads[0]["rows"] == len(held)
    assert str(reads[0]["from"]) < appts["start"].min().date().isoformat()
    with session_scope(sqlite_engine) as session:
        assert history_complete_to(session, "easyappointments") == anchor - timedelta(days=1)

    # a second report re-reads its two windows only, never the history before them
    again = await _facts(url, tmp_path, window, analysis_type="demographics", refresh=True)
    assert _split(again) == _split(facts)
    assert (
        len(reads) == 2 and reads[1]["from"] >= (window.previous().date_from - timedelta(days=1)).isoformat()
    )
    assert reads[1]["rows"] < reads[0]["rows"] / 5
    # and a report on any covered window without refresh reads nothing at all
    before = _ea_requests(world_sandbox)
    later = Window(
        date_from=window.date_from + timedelta(days=60), date_to=window.date_to + timedelta(days=60)
    )
    third = await _facts(url, tmp_path, later, analysis_type="demographics")
    assert _ea_requests(world_sandbox) == before and len(reads) == 2
    assert third["demographics.returning_customers"]["value"] == _new_returning(appts, later)[1]


def _chart_numbers(html: str) -> list[float]:
    """Every number an SVG chart shows, except its category axes (dates, hours, times)."""
    numbers: list[float] = []
    for svg in re.findall(r"<svg.*?</svg>", html, flags=re.DOTALL):
        for text in re.findall(r"<(?:text|title)[^>]*>([^<]*)<", svg):
            # category labels: dates, times of day, lead-time buckets ("1-3 days ahead", "31+ days ahead")
            text = re.sub(r"\d{4}-\d{2}-\d{2}|\d{2}:\d{2}|\d+(?:-\d+|\+) days ahead", "", text).strip()
            if re.fullmatch(r"\d{2}", text):  # the heatmap's hour columns
                continue
            numbers += [float(n) for n in re.findall(r"\d+(?:\.\d+)?", text)]
    return numbers


async def test_empty_and_single_booking_windows_are_reported_plainly(
    world_sandbox: RunningSandbox, sqlite_engine: Engine, tmp_path: Path
) -> None:
    world = world_sandbox.ctx.world
    lone = world.anchor.date() - timedelta(days=380)  # before the world's own history begins
    body: dict[str, Any] = {
        "start": f"{lone} 10:00:00",
        "status": "Booked",
        "customerId": world.customers[0]["id"],
        "providerId": world.providers[0]["id"],
        "serviceId": world.services[0]["id"],
    }
    env = world_sandbox.env
    async with httpx.AsyncClient(base_url=env["EASYAPPOINTMENTS_URL"] + "/index.php/api/v1") as client:
        created = await client.post(
            "/appointments",
            json=body,
            headers={"Authorization": f"Bearer {env['EASYAPPOINTMENTS_API_TOKEN']}"},
        )
    assert created.status_code == 201, created.text

    empty = Window(date_from=lone - timedelta(days=40), date_to=lone - timedelta(days=21))
    result = await booking_insights(
        date_from=empty.date_from,
        date_to=empty.date_to,
        reports_dir=str(tmp_path / "empty"),
    )
    assert result["model"] == "deterministic" and twin_state(world_sandbox.ctx)["calls"] == 0
    titles = [i["title"] for i in result["insights"]]
    assert titles == [
        f"No bookings between {empty.date_from} and {empty.date_to}",
        "Before the first booking",
    ]
    assert f"The first booking on record starts on {lone}" in result["insights"][1]["text"]
    assert result["dropped"] == []
    html = _html(result)
    assert "<svg" not in html and "<h2>Charts</h2>" not in html

    single = Window(date_from=lone - timedelta(days=9), date_to=lone)
    result = await booking_insights(
        date_from=single.date_from,
        date_to=single.date_to,
        reports_dir=str(tmp_path / "single"),
    )
    assert result["model"] == "deterministic" and result["dropped"] == []
    first = result["insights"][0]
    assert first["title"] == f"Only 1 booking between {single.date_from} and {single.date_to}"
    assert "Too few bookings" in first["text"] and len(result["insights"]) == 2
    facts = {f["id"]: f for f in result["facts"]}
    assert facts["overview.bookings"]["value"] == 1
    assert facts["demographics.new_customers"]["value"] == 1  # nothing earlier: a new customer
    html = _html(result)
    shown = _chart_numbers(html)
    assert shown  # the single booking is drawn
    stated = {n for f in result["facts"] for n in _numbers(f)}
    assert [n for n in shown if n not in stated] == []


def _html(result: dict[str, Any]) -> str:
    return Path(result["html_path"]).read_text(encoding="utf-8")


def _numbers(fact: dict[str, Any]) -> list[float]:
    keys = ("value", "previous", "change", "change_pct", "share")
    return [float(fact[k]) for k in keys if isinstance(fact.get(k), int | float)]
