"""Revenue analytics over the Posh.VIP money ledger (pure pandas, no I/O).

The ledger itself (one ``sale`` / ``refund`` row per event that moved money) is written by
the Posh.VIP fold, :func:`audience.from_poshvip.poshvip_ledger`, because one pass over an
order's events yields both its ticket holders and its money. Summing it is analytics, so it
lives here with the other insights.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import pandas as pd

#: Columns of every summary frame after its grouping keys.
_MEASURES = ["gross", "refunds", "net", "tickets", "buyers", "orders"]


@dataclass(frozen=True, slots=True)
class RevenueReport:
    """Revenue analytics: totals per currency, and per event and per day."""

    totals: pd.DataFrame
    per_event: pd.DataFrame
    per_day: pd.DataFrame


def _select(
    ledger: pd.DataFrame, date_from: date | None, date_to: date | None, webhook_ids: Iterable[int] | None
) -> pd.DataFrame:
    """The ledger rows on days in ``[date_from, date_to]`` caused by ``webhook_ids`` (None: no bound)."""
    frame = ledger
    if date_from is not None:
        frame = frame[frame["day"] >= date_from]
    if date_to is not None:
        frame = frame[frame["day"] <= date_to]
    if webhook_ids is not None:
        frame = frame[frame["webhook_id"].isin(list(webhook_ids))]
    return frame


def _with_measures(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing currency and event names labelled; ``gross`` and ``refunds`` split out of ``amount``."""
    return frame.assign(
        currency=frame["currency"].fillna("?"),
        event_name=frame["event_name"].fillna("(unknown event)"),
        gross=frame["amount"].where(frame["kind"] == "sale", 0.0),
        refunds=frame["amount"].where(frame["kind"] == "refund", 0.0),
    )


def _summarise(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Gross, refunds, net (rounded to cents), tickets, distinct buyers and orders per ``keys``."""
    columns = [*keys, *_MEASURES]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    grouped = frame.groupby(keys, dropna=False, sort=True)
    out = grouped.agg(
        gross=("gross", "sum"),
        refunds=("refunds", "sum"),
        tickets=("tickets", "sum"),
        buyers=("buyer", "nunique"),
        orders=("order_id", "nunique"),
    ).reset_index()
    out["net"] = out["gross"] - out["refunds"]
    for col in ("gross", "refunds", "net"):
        out[col] = out[col].round(2)
    return out[columns]


def revenue_summary(
    ledger: pd.DataFrame,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    webhook_ids: Iterable[int] | None = None,
) -> RevenueReport:
    """Gross, refunds, net, tickets and buyers per currency, per event and per day.

    Restrict to movements on days in ``[date_from, date_to]`` and/or caused by ``webhook_ids``
    (e.g. the events one run processed).
    """
    frame = _with_measures(_select(ledger, date_from, date_to, webhook_ids))
    return RevenueReport(
        totals=_summarise(frame, ["currency"]),
        per_event=_summarise(frame, ["event_name", "currency"]),
        per_day=_summarise(frame, ["day", "currency"]),
    )
