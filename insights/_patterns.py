"""Patterns facts: weekday x hour, lead-time distribution, popular services, provider load.

Provider names are staff personal data: facts call providers ``P1``, ``P2``... (by load); the
name-to-alias table stays in the local report and never reaches Claude.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from insights._common import (
    WEEKDAY_KEYS,
    WEEKDAYS,
    Slices,
    distribution_facts,
    local_times,
    make_fact,
    top_keys,
    value_counts,
)
from insights.models import Fact, FactTable

TOP_N = 10
#: (key, label, lower bound in days inclusive, upper bound exclusive)
LEAD_BUCKETS: tuple[tuple[str, str, float, float], ...] = (
    ("same_day", "same day", 0.0, 1.0),
    ("1_3_days", "1-3 days ahead", 1.0, 4.0),
    ("4_7_days", "4-7 days ahead", 4.0, 8.0),
    ("8_14_days", "8-14 days ahead", 8.0, 15.0),
    ("15_30_days", "15-30 days ahead", 15.0, 31.0),
    ("31_plus_days", "31+ days ahead", 31.0, float("inf")),
)


def weekday_hour_counts(frame: pd.DataFrame, tz: str) -> pd.DataFrame:
    """7 x 24 counts of appointment starts (rows Monday..Sunday, columns hours 0..23)."""
    local = local_times(frame, tz)
    codes = local.dt.dayofweek.to_numpy(dtype="int64") * 24 + local.dt.hour.to_numpy(dtype="int64")
    grid = np.bincount(codes, minlength=7 * 24).reshape(7, 24)
    return pd.DataFrame(grid, index=list(WEEKDAYS), columns=list(range(24)))


def lead_time_counts(frame: pd.DataFrame) -> pd.Series:
    """Bookings per lead-time bucket (negative lead times count as same day; unknown excluded)."""
    days = ((frame["occurred_at"] - frame["created_at"]).dt.total_seconds() / 86400.0).dropna()
    values = days.clip(lower=0.0).to_numpy(dtype="float64")
    edges = [b[2] for b in LEAD_BUCKETS] + [np.inf]
    hist, _ = np.histogram(values, bins=edges)
    return pd.Series(hist, index=[b[0] for b in LEAD_BUCKETS], dtype="int64")


def _median_lead_days(frame: pd.DataFrame) -> float | None:
    lead = (frame["occurred_at"] - frame["created_at"]).dropna()
    return None if lead.empty else float(lead.dt.total_seconds().median()) / 86400.0


def _peak(grid: pd.DataFrame) -> tuple[str | None, int]:
    values = grid.to_numpy()
    if values.sum() == 0:
        return None, 0
    flat = int(values.argmax())
    day, hour = divmod(flat, 24)
    return f"{WEEKDAYS[day]} {hour:02d}:00", int(values[day, hour])


Section = tuple[list[Fact], list[FactTable]]


def patterns_facts(s: Slices) -> Section:
    """Weekday and hour totals, peak slot, lead-time buckets, top services, provider load (aliased)."""
    facts: list[Fact] = []
    tables: list[FactTable] = []
    for section in (_slots, _lead_times, _services, _providers):
        more_facts, more_tables = section(s)
        facts += more_facts
        tables += more_tables
    return facts, tables


def _slots(s: Slices) -> Section:
    """Bookings per weekday and per hour, the busiest slot, and the weekday x hour table."""
    grid_cur = weekday_hour_counts(s.current, s.tz)
    grid_prev = weekday_hour_counts(s.previous, s.tz)
    day_cur = pd.Series(grid_cur.sum(axis=1).to_numpy(), index=list(WEEKDAY_KEYS))
    day_prev = pd.Series(grid_prev.sum(axis=1).to_numpy(), index=list(WEEKDAY_KEYS))
    facts = [
        _count_fact(f"patterns.weekday.{key}", f"Bookings on {name}", day_cur, day_prev, key)
        for key, name in zip(WEEKDAY_KEYS, WEEKDAYS, strict=True)
    ]
    hour_cur, hour_prev = grid_cur.sum(axis=0), grid_prev.sum(axis=0)
    facts += [
        _count_fact(
            f"patterns.hour.{hour:02d}",
            f"Bookings starting {hour:02d}:00-{hour:02d}:59 ({s.tz})",
            hour_cur,
            hour_prev,
            hour,
        )
        for hour in range(24)
        if hour_cur[hour] or hour_prev[hour]
    ]
    (peak_cur, n_cur), (peak_prev, n_prev) = _peak(grid_cur), _peak(grid_prev)
    facts.append(
        make_fact("patterns.peak_slot", f"Busiest weekday and hour ({s.tz})", "text", peak_cur, peak_prev)
    )
    facts.append(
        make_fact("patterns.peak_slot_bookings", "Bookings in the busiest slot", "count", n_cur, n_prev)
    )
    table = FactTable(
        id="patterns.weekday_hour",
        title=f"Bookings by weekday and hour ({s.tz})",
        columns=["weekday", *[f"{h:02d}" for h in range(24)]],
        rows=[[day, *(int(v) for v in row)] for day, row in zip(WEEKDAYS, grid_cur.to_numpy(), strict=True)],
    )
    return facts, [table]


def _lead_times(s: Slices) -> Section:
    """Bookings per lead-time bucket, the median lead time, and the lead-time table."""
    lead_cur, lead_prev = lead_time_counts(s.current), lead_time_counts(s.previous)
    labels = {key: label for key, label, _, _ in LEAD_BUCKETS}
    facts = [
        _count_fact(f"patterns.lead_time.{key}", f"Bookings made {labels[key]}", lead_cur, lead_prev, key)
        for key in lead_cur.index
    ]
    facts.append(
        make_fact(
            "patterns.median_lead_time_days",
            "Median lead time (days)",
            "days",
            _median_lead_days(s.current),
            _median_lead_days(s.previous),
        )
    )
    table = FactTable(
        id="patterns.lead_time",
        title="Lead time (booking to appointment)",
        columns=["bucket", "bookings"],
        rows=[[labels[k], int(lead_cur[k])] for k in lead_cur.index],
    )
    return facts, [table]


def _services(s: Slices) -> Section:
    """Bookings of the top services (and the rest as ``other``), and their table."""
    svc_cur = value_counts(s.current["service"])
    svc_prev = value_counts(s.previous["service"])
    services = top_keys(svc_cur, TOP_N)
    facts = distribution_facts(
        "patterns.service", "Bookings of service {key}", "count", svc_cur, svc_prev, keys=services, other=True
    )
    return facts, [_count_table("patterns.service", "Popular services", "service", svc_cur, services)]


def _providers(s: Slices) -> Section:
    """Bookings of the busiest providers under aliases P1, P2... (names only in the local table)."""
    prov_cur = value_counts(s.current["provider"])
    prov_prev = value_counts(s.previous["provider"])
    providers = top_keys(prov_cur, TOP_N)
    aliases = {name: f"P{i}" for i, name in enumerate(providers, start=1)}
    facts = distribution_facts(
        "patterns.provider",
        "Bookings with provider {key}",
        "count",
        prov_cur.rename(index=aliases),
        prov_prev.rename(index=aliases),
        keys=list(aliases.values()),
        other=True,
    )
    table = FactTable(
        id="patterns.provider",
        title="Provider load",
        columns=["alias", "provider", "bookings"],
        rows=[[aliases[p], p, int(prov_cur[p])] for p in providers],
    )
    return facts, [table]


def _count_fact(fact_id: str, label: str, current: pd.Series, previous: pd.Series, key: str | int) -> Fact:
    """A count fact for ``current[key]`` against ``previous[key]``, with its share of ``current``'s total."""
    now = float(current[key])
    return make_fact(
        fact_id, label, "count", now, float(previous[key]), share=_share(now, float(current.sum()))
    )


def _share(part: float, whole: float) -> float | None:
    return None if not whole else round(100.0 * part / whole, 1)


def _count_table(table_id: str, title: str, column: str, counts: pd.Series, keys: list[str]) -> FactTable:
    rows: list[list[int | float | str | None]] = [[k, int(counts[k])] for k in keys]
    rest = int(counts.sum()) - sum(int(counts[k]) for k in keys)
    if rest:
        rows.append(["other", rest])
    return FactTable(id=table_id, title=title, columns=[column, "bookings"], rows=rows)


def daily_table(s: Slices) -> FactTable:
    """Bookings per day over the window (for the bookings-over-time chart)."""
    days = pd.date_range(s.window.start, s.window.end, freq="D", inclusive="left")
    local = s.current["occurred_at"].dt.floor("D")
    counts = local.value_counts().reindex(days, fill_value=0)
    return FactTable(
        id="patterns.daily",
        title="Bookings per day (UTC)",
        columns=["date", "bookings"],
        rows=[[d.date().isoformat(), int(n)] for d, n in counts.items()],
    )
