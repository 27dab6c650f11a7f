"""Which days a report reads: the whole history once, then only what the marker lacks."""

from __future__ import annotations

from datetime import UTC, date, datetime

from insights.history import BEGINNING, covered_after_read, history_facts, history_state, plan_read
from insights.models import History, Window

WINDOW = Window(date_from=date(2026, 6, 1), date_to=date(2026, 6, 30))  # previous: 2026-05-02..05-31
TODAY = date(2026, 12, 6)


def test_a_fresh_store_reads_everything_up_to_yesterday_in_one_range() -> None:
    assert plan_read(None, window=WINDOW, today=TODAY, refresh=False) == (BEGINNING, date(2026, 12, 5))
    assert plan_read(None, window=WINDOW, today=TODAY, refresh=True) == (BEGINNING, date(2026, 12, 5))


def test_a_covered_history_reads_only_the_windows_and_only_on_refresh() -> None:
    covered = date(2026, 12, 5)
    assert plan_read(covered, window=WINDOW, today=TODAY, refresh=False) is None
    assert plan_read(covered, window=WINDOW, today=TODAY, refresh=True) == (
        date(2026, 5, 2),
        date(2026, 6, 30),
    )
    # the marker reaches exactly the day before the previous window: enough
    assert plan_read(date(2026, 5, 1), window=WINDOW, today=TODAY, refresh=False) is None


def test_a_stale_marker_reads_from_the_day_after_it() -> None:
    later = Window(date_from=date(2026, 12, 1), date_to=date(2026, 12, 31))
    assert plan_read(date(2026, 9, 30), window=later, today=TODAY, refresh=False) == (
        date(2026, 10, 1),
        date(2026, 12, 31),
    )


def test_the_marker_moves_only_with_reads_that_join_it_and_stops_at_yesterday() -> None:
    assert covered_after_read(None, (BEGINNING, date(2026, 12, 5)), today=TODAY) == date(2026, 12, 5)
    assert covered_after_read(None, (BEGINNING, date(2027, 1, 31)), today=TODAY) == date(2026, 12, 5)
    # a refresh of the windows alone, far after the marker, does not extend it
    assert covered_after_read(date(2026, 3, 1), (date(2026, 5, 2), date(2026, 6, 30)), today=TODAY) == date(
        2026, 3, 1
    )
    assert covered_after_read(date(2026, 3, 1), (date(2026, 3, 2), date(2026, 6, 30)), today=TODAY) == date(
        2026, 6, 30
    )
    assert covered_after_read(date(2026, 12, 5), (date(2026, 5, 2), date(2026, 6, 30)), today=TODAY) == date(
        2026, 12, 5
    )


def test_history_state_and_facts_say_how_far_the_history_runs() -> None:
    first = datetime(2025, 3, 4, 10, tzinfo=UTC)
    complete = history_state(complete_to=date(2026, 5, 1), window=WINDOW, first_booking=first, bookings=812)
    assert complete == History(
        complete=True, first_booking=date(2025, 3, 4), bookings=812, complete_to=date(2026, 5, 1)
    )
    short = history_state(complete_to=date(2026, 4, 30), window=WINDOW, first_booking=first, bookings=812)
    assert not short.complete
    facts = {f.id: f for f in history_facts(short)}
    assert facts["history.first_booking"].value == "2025-03-04"
    assert "older history was not read" in facts["history.first_booking"].label
    assert facts["history.bookings"].value == 812
    never = history_state(complete_to=None, window=WINDOW, first_booking=None, bookings=0)
    assert not never.complete and history_facts(never)[0].value is None
