"""Booking facts per analysis type, computed with pandas from an interactions frame.

Input: bookings in the interactions-frame shape (``audience.schema.INTERACTION_DTYPES``). Rows with
``status == "deleted"`` are ignored. A booking belongs to a window by its appointment start
(``occurred_at``); it is *completed* when its status is ``booked`` and it starts before ``as_of``;
revenue is the service price of completed bookings. Every fact is compared with the previous
window of equal length. Only aggregates come out: no emails, names, phones or notes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import numpy as np
import pandas as pd

from insights._common import Slices, categorical
from insights._conversion import conversion_facts
from insights._demographics import demographics_facts
from insights._overview import overview_facts
from insights._patterns import daily_table, patterns_facts
from insights.history import history_facts
from insights.models import ANALYSIS_TYPES, AnalysisType, Fact, FactSheet, FactTable, History, Window

_COLUMNS = (
    "email",
    "status",
    "occurred_at",
    "created_at",
    "service",
    "provider",
    "amount",
    "currency",
    "timezone",
    "language",
)


def parse_analysis_types(value: str | Sequence[str]) -> list[AnalysisType]:
    """``"all"`` or one/several analysis type names -> a list in canonical order.

    Raises ``ValueError`` on an unknown name.
    """
    names = [value] if isinstance(value, str) else list(value)
    if "all" in names:
        return list(ANALYSIS_TYPES)
    unknown = sorted(set(names) - set(ANALYSIS_TYPES))
    if unknown:
        raise ValueError(f"unknown analysis type(s) {unknown}; expected 'all' or some of {ANALYSIS_TYPES}")
    return [t for t in ANALYSIS_TYPES if t in names]


def _prepare(frame: pd.DataFrame) -> pd.DataFrame:
    """Only what facts use, deleted rows dropped, datetimes UTC, strings as categoricals.

    ``person`` is an integer code per normalised email (-1 when missing) and ``domain`` the email's
    domain, so nothing downstream handles an email address.
    """
    missing = [c for c in _COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"bookings frame lacks columns {missing}")
    email = frame["email"]
    codes, emails = pd.factorize(
        email.astype(object).to_numpy() if email.dtype != object else email.to_numpy()
    )
    domains = np.array([str(e).rpartition("@")[2] for e in emails], dtype=object)
    dom_codes, dom_names = pd.factorize(domains)
    row_dom = np.where(codes >= 0, dom_codes[np.maximum(codes, 0)] if len(dom_codes) else -1, -1)
    out = pd.DataFrame(
        {
            "person": codes.astype("int64"),
            "domain": pd.Categorical.from_codes(row_dom, categories=pd.Index([str(d) for d in dom_names])),
            "status": categorical(frame["status"], fill="unknown").array,
            "occurred_at": _utc(frame["occurred_at"]).array,
            "created_at": _utc(frame["created_at"]).array,
            "service": categorical(frame["service"], fill="unknown").array,
            "provider": categorical(frame["provider"], fill="unknown").array,
            "amount": frame["amount"].astype("Float64").fillna(0.0).astype("float64").to_numpy(),
            "currency": categorical(frame["currency"]).array,
            "timezone": categorical(frame["timezone"], fill="unknown").array,
            "language": categorical(frame["language"], fill="unknown").array,
        }
    )
    return out[(out["status"] != "deleted").to_numpy()].reset_index(drop=True)


def _utc(series: pd.Series) -> pd.Series:
    out: pd.Series = (
        series.dt.tz_convert("UTC")
        if isinstance(series.dtype, pd.DatetimeTZDtype)
        else pd.to_datetime(series, utc=True)
    )
    return out


def slice_windows(
    bookings: pd.DataFrame,
    *,
    window: Window,
    as_of: datetime,
    history: pd.DataFrame | None = None,
    tz: str = "UTC",
    coverage: History | None = None,
) -> Slices:
    """Split bookings into the window and the previous window; ``history`` only informs first visits.

    ``bookings`` must cover the window and the previous window. ``history`` (optional, may overlap
    ``bookings``) adds earlier bookings so people can be told apart as new or returning.
    """
    frames = [bookings.loc[:, list(_COLUMNS)]]
    if history is not None and not history.empty:
        frames.append(history.loc[:, list(_COLUMNS)])
    # one frame so person codes agree between the window and the history
    combined = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    everything = _prepare(combined)
    prepared = everything
    if len(frames) > 1:
        is_main = np.zeros(len(combined), dtype=bool)
        is_main[: len(bookings)] = True
        kept = (combined["status"] != "deleted").fillna(True).to_numpy()
        prepared = everything[is_main[kept]]
    prev_window = window.previous()
    occ = prepared["occurred_at"]
    cur = prepared[(occ >= window.start) & (occ < window.end)]
    prev = prepared[(occ >= prev_window.start) & (occ < prev_window.end)]
    stamp = pd.Timestamp(as_of)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return Slices(
        current=cur,
        previous=prev,
        all_bookings=everything,
        window=window,
        previous_window=prev_window,
        as_of=stamp,
        tz=tz,
        coverage=coverage,
    )


def compute_facts(
    bookings: pd.DataFrame,
    *,
    date_from: date,
    date_to: date,
    analysis_types: Sequence[AnalysisType] = ANALYSIS_TYPES,
    as_of: datetime,
    history: pd.DataFrame | None = None,
    tz: str = "UTC",
    coverage: History | None = None,
) -> FactSheet:
    """Facts (with previous-window comparison) and report tables for the requested analysis types.

    ``date_from``/``date_to`` are inclusive UTC days. ``as_of`` decides which booked appointments
    count as completed. ``history`` holds the earlier bookings of the window's people; ``coverage``
    says how complete it is (``None``: complete as given). With ``coverage``, ``history.*`` facts
    say since when bookings are known, and an incomplete history keeps new / returning customers
    from being compared with the previous window. Raises ``ValueError`` when ``date_to <
    date_from`` or columns are missing.
    """
    if date_to < date_from:
        raise ValueError(f"date_to {date_to} is before date_from {date_from}")
    window = Window(date_from=date_from, date_to=date_to)
    s = slice_windows(bookings, window=window, as_of=as_of, history=history, tz=tz, coverage=coverage)
    types = [t for t in ANALYSIS_TYPES if t in set(analysis_types)]
    facts: list[Fact] = []
    tables: list[FactTable] = [daily_table(s)]
    for kind in types:
        if kind == "overview":
            facts += overview_facts(s)
        elif kind == "demographics":
            more, extra = demographics_facts(s)
            facts += more
            tables += extra
        elif kind == "patterns":
            more, extra = patterns_facts(s)
            facts += more
            tables += extra
        else:
            facts += conversion_facts(s)
    if coverage is not None:
        facts += history_facts(coverage)
    return FactSheet(
        window=window,
        previous_window=s.previous_window,
        as_of=s.as_of.to_pydatetime(),
        analysis_types=types,
        facts=facts,
        tables=tables,
        bookings=len(s.current),
        previous_bookings=len(s.previous),
        history=coverage,
    )
