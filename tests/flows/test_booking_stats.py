"""booking-stats flow: headline numbers as a table artifact."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from sqlalchemy import Engine

from audience.schema import coerce_interactions
from flows.booking_stats import booking_stats
from insights.synthetic import synthetic_bookings
from store.db import session_scope
from store.interactions import upsert_interactions


async def test_booking_stats_table(sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    frame = synthetic_bookings(600, start=datetime(2026, 9, 1), end=datetime(2026, 11, 1), seed=8)
    with session_scope(sqlite_engine) as session:
        upsert_interactions(session, coerce_interactions(frame))
    monkeypatch.setenv("DATABASE_URL", sqlite_engine.url.render_as_string(hide_password=False))
    result = await booking_stats(date_from=date(2026, 10, 1), date_to=date(2026, 10, 31))
    in_window = frame[
        (frame["occurred_at"] >= "2026-10-01")
        & (frame["occurred_at"] < "2026-11-01")
        & (frame["status"] != "deleted")
    ]
    assert result["stats"]["overview.bookings"] == len(in_window)
    assert result["stats"]["overview.cancelled"] == int((in_window["status"] == "cancelled").sum())
    assert "conversion.no_show_rate" in result["stats"]
    async with get_client() as client:
        found = await client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["booking-stats"]))
        )
    rows = found[-1].data if isinstance(found[-1].data, list) else json.loads(str(found[-1].data))
    assert (
        rows[0]["metric"].startswith("Bookings (every status") and rows[0]["value"] == f"{len(in_window):,}"
    )
