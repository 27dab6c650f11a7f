"""Incremental and backfill windows."""

from datetime import date
from itertools import pairwise

import pytest

from audience.windows import backfill_windows, incremental_window


def test_first_run_reads_the_initial_span_up_to_the_horizon() -> None:
    assert incremental_window(
        None, date(2026, 11, 26), lookback_days=7, initial_days=365, horizon_days=90
    ) == (
        date(2025, 11, 26),
        date(2027, 2, 24),
    )


def test_later_runs_start_at_the_mark_minus_the_lookback() -> None:
    start, _ = incremental_window(
        date(2026, 11, 20), date(2026, 11, 26), lookback_days=7, initial_days=365, horizon_days=0
    )
    assert start == date(2026, 11, 13)


def test_backfill_windows_cover_the_range_without_gaps() -> None:
    windows = backfill_windows(date(2026, 1, 1), date(2026, 3, 5), 30)
    assert windows[0] == (date(2026, 1, 1), date(2026, 1, 30))
    assert windows[-1][1] == date(2026, 3, 5)
    assert all((b[0] - a[1]).days == 1 for a, b in pairwise(windows))
    with pytest.raises(ValueError):
        backfill_windows(date(2026, 2, 1), date(2026, 1, 1), 30)
