"""Helpers shared by the fact builders: rounding policy, fact pairs, slices of a window."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from insights.models import Fact, FactValue, History, Window

WEEKDAYS: tuple[str, ...] = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAY_KEYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

#: Decimal places per unit; money units (currency codes) use 2.
_DECIMALS: dict[str, int] = {"count": 0, "people": 0, "percent": 1, "days": 1, "text": 0}


def decimals_for(unit: str) -> int:
    """Decimal places a value in ``unit`` is rounded to (currency codes: 2)."""
    return _DECIMALS.get(unit, 2)


def rounded(value: float | None, unit: str) -> int | float | None:
    """Round ``value`` by the unit's policy; counts become ``int``; NaN becomes ``None``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    places = decimals_for(unit)
    if places == 0:
        return round(value)
    return round(float(value), places)


def pct(part: float, whole: float) -> float | None:
    """``part`` as a percent of ``whole`` rounded to 1 dp; ``None`` when ``whole`` is 0."""
    if not whole:
        return None
    return round(100.0 * part / whole, 1)


def make_fact(
    fact_id: str,
    label: str,
    unit: str,
    value: float | str | None,
    previous: float | str | None,
    *,
    share: float | None = None,
) -> Fact:
    """Build a fact with ``change`` and ``change_pct`` derived from ``value`` and ``previous``."""
    if isinstance(value, str) or isinstance(previous, str):
        return Fact(id=fact_id, label=label, unit=unit, value=value, previous=previous)
    cur: FactValue = rounded(value, unit)
    prev: FactValue = rounded(previous, unit)
    change: float | None = None
    change_pct: float | None = None
    if isinstance(cur, int | float) and isinstance(prev, int | float):
        diff = rounded(cur - prev, unit)
        change = float(diff) if diff is not None else None
        if prev:
            change_pct = round(100.0 * (cur - prev) / abs(prev), 1)
    return Fact(
        id=fact_id,
        label=label,
        unit=unit,
        value=cur,
        previous=prev,
        change=change,
        change_pct=change_pct,
        share=share,
    )


def slug(text: str) -> str:
    """A stable lower-case id fragment for ``text`` (``"Europe/Lisbon"`` -> ``"europe_lisbon"``)."""
    out = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return out or "blank"


@dataclass(frozen=True)
class Slices:
    """The window's bookings, the previous window's bookings, and everything usable for history."""

    current: pd.DataFrame
    previous: pd.DataFrame
    all_bookings: pd.DataFrame
    window: Window
    previous_window: Window
    as_of: pd.Timestamp
    tz: str
    coverage: History | None = None


def completed_mask(frame: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """Bookings that happened: status ``booked`` and start before ``as_of``."""
    return (frame["status"] == "booked") & (frame["occurred_at"] < as_of)


#: Unit of a money fact when no booking carries a price: its value is ``None`` ("n/a").
NO_CURRENCY = "n/a"


def primary_currency(frame: pd.DataFrame) -> str:
    """The most frequent currency (ties: alphabetical); :data:`NO_CURRENCY` when none is known."""
    counts = value_counts(frame["currency"])
    if counts.empty:
        return NO_CURRENCY
    top = counts[counts == counts.max()].index
    return str(sorted(str(c) for c in top)[0])


def local_times(frame: pd.DataFrame, tz: str) -> pd.Series:
    """Appointment starts converted to ``tz`` for weekday/hour grouping."""
    local: pd.Series = frame["occurred_at"].dt.tz_convert(tz)
    return local


def distribution_facts(
    prefix: str,
    label: str,
    unit: str,
    current: pd.Series,
    previous: pd.Series,
    *,
    keys: list[str],
    other: bool,
) -> list[Fact]:
    """One fact per key in ``keys`` (counts indexed by key), plus ``other`` for the rest.

    ``label`` is formatted with ``{key}``. Shares are percents of the current total.
    """
    total_cur = float(current.sum())
    facts: list[Fact] = []
    for key in keys:
        value = float(current.get(key, 0))
        facts.append(
            make_fact(
                f"{prefix}.{slug(key)}",
                label.format(key=key),
                unit,
                value,
                float(previous.get(key, 0)),
                share=pct(value, total_cur),
            )
        )
    if other:
        rest_cur = total_cur - float(current.reindex(keys).fillna(0).sum())
        rest_prev = float(previous.sum()) - float(previous.reindex(keys).fillna(0).sum())
        if rest_cur or rest_prev:
            facts.append(
                make_fact(
                    f"{prefix}.other",
                    label.format(key="other"),
                    unit,
                    rest_cur,
                    rest_prev,
                    share=pct(rest_cur, total_cur),
                )
            )
    return facts


def top_keys(counts: pd.Series, limit: int) -> list[str]:
    """The ``limit`` largest keys of ``counts`` (ties by key, so the order is stable)."""
    if counts.empty:
        return []
    frame = pd.DataFrame({"key": counts.index.astype(str), "n": counts.to_numpy()})
    frame = frame[frame["n"] > 0].sort_values(["n", "key"], ascending=[False, True], kind="mergesort")
    return [str(k) for k in frame["key"].head(limit)]


def categorical(series: pd.Series, *, fill: str | None = None) -> pd.Series:
    """``series`` as a categorical (one hash pass; later comparisons and counts are cheap).

    Missing values become ``fill`` when given, else stay missing.
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        # already coded: reuse the codes instead of hashing every row again
        codes = series.cat.codes.to_numpy(dtype="int64")
        categories = [str(c) for c in series.cat.categories]
    else:
        codes, uniques = pd.factorize(series.astype(object).to_numpy())
        categories = [str(u) for u in uniques]
    if fill is not None and (codes < 0).any():
        if fill not in categories:
            categories.append(fill)
        codes = np.where(codes < 0, categories.index(fill), codes)
    cat = pd.Categorical.from_codes(codes, categories=pd.Index(categories, dtype=object))
    return pd.Series(cat, index=series.index)


def value_counts(series: pd.Series) -> pd.Series:
    """Non-zero counts per value, indexed by plain strings (missing values not counted)."""
    counts = series.value_counts()
    counts = counts[counts > 0]
    counts.index = pd.Index([str(k) for k in counts.index], dtype=object)
    return counts.astype("int64")
