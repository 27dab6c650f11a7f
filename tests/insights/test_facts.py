"""Facts per analysis type: literal expectations and an independent pandas reference."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest

from insights.facts import compute_facts, parse_analysis_types
from insights.models import FactSheet
from tests.insights._reference import reference_facts
from tests.insights.conftest import AS_OF, WINDOW


def _values(sheet: FactSheet) -> dict[str, tuple[object, object, float | None]]:
    return {
        f.id: (f.value, f.previous, f.share) for f in sheet.facts if not f.id.startswith("patterns.peak_slot")
    }


def test_literal_overview(literal_sheet: FactSheet) -> None:
    f = literal_sheet.by_id()
    assert (f["overview.bookings"].value, f["overview.bookings"].previous) == (6, 2)
    assert f["overview.bookings"].change == 4 and f["overview.bookings"].change_pct == 200.0
    assert (f["overview.completed"].value, f["overview.completed"].previous) == (3, 1)
    assert (f["overview.cancelled"].value, f["overview.no_shows"].value) == (1, 1)
    assert f["overview.revenue"].value == 150.0 and f["overview.revenue"].unit == "EUR"
    assert f["overview.avg_lead_time_days"].value == 2.8
    assert (f["overview.busiest_weekday"].value, f["overview.busiest_weekday_bookings"].value) == (
        "Tuesday",
        3,
    )


def test_literal_demographics(literal_sheet: FactSheet) -> None:
    f = literal_sheet.by_id()
    assert f["demographics.people"].value == 4
    assert (f["demographics.new_customers"].value, f["demographics.returning_customers"].value) == (2, 2)
    assert (f["demographics.new_customers"].previous, f["demographics.returning_customers"].previous) == (
        1,
        1,
    )
    assert (f["demographics.frequency.1"].value, f["demographics.frequency.2"].value) == (3, 1)
    # no domain has 5 people: all are grouped, none is named
    assert f["demographics.domain.other"].value == 4
    assert not any(k.startswith("demographics.domain.") and k != "demographics.domain.other" for k in f)
    assert f["demographics.timezone.europe_madrid"].value == 1


def test_literal_patterns_and_conversion(literal_sheet: FactSheet) -> None:
    f = literal_sheet.by_id()
    assert f["patterns.weekday.tue"].value == 3 and f["patterns.weekday.tue"].share == 50.0
    assert f["patterns.peak_slot"].value == "Monday 09:00"
    assert f["patterns.lead_time.1_3_days"].value == 2  # 1 day and 2 days
    assert f["patterns.service.lesson"].value == 4
    assert f["patterns.provider.p1"].value == 3  # Coach X, aliased
    assert f["conversion.completion_rate"].value == 50.0
    assert f["conversion.revenue_per_booking"].value == 25.0
    assert f["conversion.repeat_rate"].value == 25.0
    grid = literal_sheet.table("patterns.weekday_hour")
    assert grid is not None and sum(sum(int(v) for v in row[1:]) for row in grid.rows) == 6  # type: ignore[misc]


def test_literal_matches_reference(
    literal_sheet: FactSheet, literal_bookings: pd.DataFrame, literal_history: pd.DataFrame
) -> None:
    start, end = pd.Timestamp(WINDOW[0], tz="UTC"), pd.Timestamp(date(2026, 10, 12), tz="UTC")
    everything = pd.concat([literal_bookings, literal_history], ignore_index=True)
    ref = reference_facts(everything, start, end, pd.Timestamp(AS_OF))
    assert _values(literal_sheet) == ref


def test_generated_matches_reference(generated_sheet: FactSheet, generated_bookings: pd.DataFrame) -> None:
    ref = reference_facts(
        generated_bookings,
        pd.Timestamp("2026-09-16", tz="UTC"),
        pd.Timestamp("2026-10-16", tz="UTC"),
        pd.Timestamp(datetime(2026, 10, 1, 12, tzinfo=UTC)),
    )
    got = _values(generated_sheet)
    assert got.keys() == ref.keys()
    assert got == ref
    # domains with at least 5 people are named; the rare one is folded into "other"
    assert "demographics.domain.gmail_com" in got and "demographics.domain.tiny_isp_net" not in got


def test_changes_are_consistent(generated_sheet: FactSheet) -> None:
    for f in generated_sheet.facts:
        if isinstance(f.value, int | float) and isinstance(f.previous, int | float):
            assert f.change == pytest.approx(f.value - f.previous, abs=0.011)


def test_analysis_type_selection(literal_bookings: pd.DataFrame) -> None:
    sheet = compute_facts(
        literal_bookings, date_from=WINDOW[0], date_to=WINDOW[1], as_of=AS_OF, analysis_types=["conversion"]
    )
    assert {f.id.split(".")[0] for f in sheet.facts} == {"conversion"}
    assert parse_analysis_types("all") == ["overview", "demographics", "patterns", "conversion"]
    assert parse_analysis_types(["patterns", "overview"]) == ["overview", "patterns"]
    with pytest.raises(ValueError, match="unknown analysis type"):
        parse_analysis_types("everything")
    with pytest.raises(ValueError, match="before"):
        compute_facts(literal_bookings, date_from=WINDOW[1], date_to=WINDOW[0], as_of=AS_OF)


def test_empty_window_is_all_zero(literal_bookings: pd.DataFrame) -> None:
    sheet = compute_facts(
        literal_bookings, date_from=date(2025, 1, 1), date_to=date(2025, 1, 31), as_of=AS_OF
    )
    f = sheet.by_id()
    assert f["overview.bookings"].value == 0 and f["overview.bookings"].change_pct is None
    assert f["conversion.completion_rate"].value is None


def test_weekday_and_hour_follow_the_timezone(literal_bookings: pd.DataFrame) -> None:
    sheet = compute_facts(
        literal_bookings, date_from=WINDOW[0], date_to=WINDOW[1], as_of=AS_OF, tz="America/New_York"
    )
    f = sheet.by_id()
    # 09:00 UTC on Monday 5 October is 05:00 in New York (EDT)
    assert f["patterns.peak_slot"].value == "Monday 05:00"
    assert "patterns.hour.05" in f and "patterns.hour.09" not in f
    assert "(America/New_York)" in f["patterns.hour.05"].label
