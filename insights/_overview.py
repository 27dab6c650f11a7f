"""Overview facts: volumes, revenue, lead time, busiest weekday."""

from __future__ import annotations

import pandas as pd

from insights._common import (
    NO_CURRENCY,
    WEEKDAYS,
    Slices,
    completed_mask,
    local_times,
    make_fact,
    primary_currency,
)
from insights.models import Fact


def _revenue_by_currency(frame: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    done = frame[completed_mask(frame, as_of)]
    sums = done.groupby("currency", observed=True, dropna=True)["amount"].sum().astype("float64")
    sums.index = pd.Index([str(k) for k in sums.index], dtype=object)
    return sums


def _avg_lead_days(frame: pd.DataFrame) -> float | None:
    lead = (frame["occurred_at"] - frame["created_at"]).dropna()
    if lead.empty:
        return None
    return float(lead.dt.total_seconds().mean()) / 86400.0


def _busiest_weekday(frame: pd.DataFrame, tz: str) -> tuple[str | None, int]:
    if frame.empty:
        return None, 0
    counts = local_times(frame, tz).dt.dayofweek.value_counts().reindex(range(7), fill_value=0)
    # argmax picks the earliest weekday on ties, which keeps the answer deterministic.
    day = int(counts.to_numpy().argmax())
    return WEEKDAYS[day], int(counts.iloc[day])


def overview_facts(s: Slices) -> list[Fact]:
    """Bookings, completed, cancelled, no-shows, revenue, average lead time, busiest weekday."""
    return [*_count_facts(s), *_revenue_facts(s), *_timing_facts(s)]


def _count_facts(s: Slices) -> list[Fact]:
    """Bookings (every status), completed, cancelled and no-shows."""
    cur, prev = s.current, s.previous
    return [
        make_fact(
            "overview.bookings",
            "Bookings (every status: booked, cancelled, no-show)",
            "count",
            len(cur),
            len(prev),
        ),
        make_fact(
            "overview.completed",
            "Completed bookings (booked and already started)",
            "count",
            int(completed_mask(cur, s.as_of).sum()),
            int(completed_mask(prev, s.as_of).sum()),
        ),
        make_fact(
            "overview.cancelled",
            "Cancelled bookings",
            "count",
            int((cur["status"] == "cancelled").sum()),
            int((prev["status"] == "cancelled").sum()),
        ),
        make_fact(
            "overview.no_shows",
            "No-shows",
            "count",
            int((cur["status"] == "no_show").sum()),
            int((prev["status"] == "no_show").sum()),
        ),
    ]


def _revenue_facts(s: Slices) -> list[Fact]:
    """Revenue of completed bookings in the main currency, then one fact per other currency."""
    cur, prev = s.current, s.previous
    main = primary_currency(pd.concat([cur[["currency"]], prev[["currency"]]]))
    rev_cur = _revenue_by_currency(cur, s.as_of)
    rev_prev = _revenue_by_currency(prev, s.as_of)
    known = main != NO_CURRENCY
    facts = [
        make_fact(
            "overview.revenue",
            f"Revenue from completed bookings (service prices, {main})"
            if known
            else "Revenue (no prices known)",
            main,
            float(rev_cur.get(main, 0.0)) if known else None,
            float(rev_prev.get(main, 0.0)) if known else None,
        )
    ]
    facts += [
        make_fact(
            f"overview.revenue.{str(currency).lower()}",
            f"Revenue from completed bookings in {currency}",
            str(currency),
            float(rev_cur.get(currency, 0.0)),
            float(rev_prev.get(currency, 0.0)),
        )
        for currency in sorted(set(rev_cur.index) | set(rev_prev.index))
        if currency != main
    ]
    return facts


def _timing_facts(s: Slices) -> list[Fact]:
    """Average lead time and the busiest weekday with its bookings."""
    cur, prev = s.current, s.previous
    day_cur, n_cur = _busiest_weekday(cur, s.tz)
    day_prev, n_prev = _busiest_weekday(prev, s.tz)
    return [
        make_fact(
            "overview.avg_lead_time_days",
            "Average lead time (days from booking to appointment, over all bookings)",
            "days",
            _avg_lead_days(cur),
            _avg_lead_days(prev),
        ),
        make_fact("overview.busiest_weekday", "Busiest weekday", "text", day_cur, day_prev),
        make_fact(
            "overview.busiest_weekday_bookings", "Bookings on the busiest weekday", "count", n_cur, n_prev
        ),
    ]
