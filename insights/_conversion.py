"""Conversion facts: completion / cancellation / no-show rates, revenue per booking, repeat rate.

Every rate's denominator is all (non-deleted) bookings in the window, so the three rates and the
share of future bookings add up to 100%.
"""

from __future__ import annotations

import pandas as pd

from insights._common import NO_CURRENCY, Slices, completed_mask, make_fact, pct, primary_currency
from insights.models import Fact


def _rates(frame: pd.DataFrame, as_of: pd.Timestamp, currency: str) -> dict[str, float | None]:
    n = len(frame)
    done = completed_mask(frame, as_of)
    revenue = float(frame.loc[done & (frame["currency"] == currency), "amount"].sum())
    per_person = frame.loc[(frame["person"] >= 0).to_numpy()].groupby("person").size()
    return {
        "completion_rate": pct(float(done.sum()), n),
        "cancellation_rate": pct(float((frame["status"] == "cancelled").sum()), n),
        "no_show_rate": pct(float((frame["status"] == "no_show").sum()), n),
        "revenue_per_booking": revenue / n if n and currency != NO_CURRENCY else None,
        "repeat_rate": pct(float((per_person >= 2).sum()), len(per_person)),
    }


def conversion_facts(s: Slices) -> list[Fact]:
    """Completion, cancellation and no-show rates, revenue per booking, repeat rate within the window."""
    currency = primary_currency(pd.concat([s.current[["currency"]], s.previous[["currency"]]]))
    cur = _rates(s.current, s.as_of, currency)
    prev = _rates(s.previous, s.as_of, currency)
    per_booking = (
        f"Revenue per booking ({currency} revenue of completed bookings / all bookings in the window, "
        "cancelled and no-shows included)"
        if currency != NO_CURRENCY
        else "Revenue per booking (no prices known)"
    )
    spec = (
        ("completion_rate", "Completion rate (completed / all bookings in the window)", "percent"),
        ("cancellation_rate", "Cancellation rate (cancelled / all bookings in the window)", "percent"),
        ("no_show_rate", "No-show rate (no-shows / all bookings in the window)", "percent"),
        ("revenue_per_booking", per_booking, currency),
        (
            "repeat_rate",
            "Repeat rate (people with 2+ bookings in the window / people who booked in it)",
            "percent",
        ),
    )
    return [make_fact(f"conversion.{key}", label, unit, cur[key], prev[key]) for key, label, unit in spec]
