"""An independent, plain-pandas computation of the booking facts (strings, no codes), for tests."""

from __future__ import annotations

import math

import pandas as pd

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
KEYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def r(x: float | None, places: int) -> float | None:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return round(x) if places == 0 else round(float(x), places)


def share(part: float, whole: float) -> float | None:
    return None if not whole else round(100.0 * part / whole, 1)


def slug(text: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def reference_facts(
    df: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, as_of: pd.Timestamp
) -> dict[str, tuple[object, object, float | None]]:
    """fact id -> (value, previous, share), computed the obvious way."""
    d = df[df["status"] != "deleted"].copy()
    d["occurred_at"] = pd.to_datetime(d["occurred_at"], utc=True)
    d["created_at"] = pd.to_datetime(d["created_at"], utc=True)
    pstart = start - (end - start)
    cur = d[(d["occurred_at"] >= start) & (d["occurred_at"] < end)]
    prev = d[(d["occurred_at"] >= pstart) & (d["occurred_at"] < start)]
    out: dict[str, tuple[object, object, float | None]] = {}

    def pair(fid: str, fn, places: int, with_share=None) -> None:  # type: ignore[no-untyped-def]
        a, b = fn(cur), fn(prev)
        out[fid] = (r(a, places), r(b, places), with_share)

    def completed(x: pd.DataFrame) -> pd.Series:
        return (x["status"] == "booked") & (x["occurred_at"] < as_of)

    # overview
    pair("overview.bookings", len, 0)
    pair("overview.completed", lambda x: int(completed(x).sum()), 0)
    pair("overview.cancelled", lambda x: int((x["status"] == "cancelled").sum()), 0)
    pair("overview.no_shows", lambda x: int((x["status"] == "no_show").sum()), 0)
    pair("overview.revenue", lambda x: float(x.loc[completed(x), "amount"].astype(float).sum()), 2)
    pair(
        "overview.avg_lead_time_days",
        lambda x: (x["occurred_at"] - x["created_at"]).dt.total_seconds().mean() / 86400 if len(x) else None,
        1,
    )

    def busiest(x: pd.DataFrame) -> tuple[str | None, int]:
        if x.empty:
            return None, 0
        c = x["occurred_at"].dt.dayofweek.value_counts().reindex(range(7), fill_value=0)
        return WEEKDAYS[int(c.idxmax())], int(c.max())

    out["overview.busiest_weekday"] = (busiest(cur)[0], busiest(prev)[0], None)
    out["overview.busiest_weekday_bookings"] = (busiest(cur)[1], busiest(prev)[1], None)

    # demographics
    first_seen = d.dropna(subset=["email"]).groupby("email")["occurred_at"].min()

    def people(x: pd.DataFrame) -> pd.DataFrame:
        x = x.dropna(subset=["email"]).sort_values("occurred_at", kind="stable")
        g = x.groupby("email")
        last = g.nth(-1).set_index("email")
        return pd.DataFrame({"n": g.size(), "tz": last["timezone"], "lang": last["language"]}).fillna(
            {"tz": "unknown", "lang": "unknown"}
        )

    pc, pp = people(cur), people(prev)
    out["demographics.people"] = (len(pc), len(pp), None)
    ret_c = int((first_seen.reindex(pc.index) < start).sum())
    ret_p = int((first_seen.reindex(pp.index) < pstart).sum())
    out["demographics.new_customers"] = (len(pc) - ret_c, len(pp) - ret_p, share(len(pc) - ret_c, len(pc)))
    out["demographics.returning_customers"] = (ret_c, ret_p, share(ret_c, len(pc)))
    for key, lo, hi in (("1", 1, 1), ("2", 2, 2), ("3_4", 3, 4), ("5_or_more", 5, 10**9)):
        a = int(pc["n"].between(lo, hi).sum())
        out[f"demographics.frequency.{key}"] = (a, int(pp["n"].between(lo, hi).sum()), share(a, len(pc)))
    for col, name in (("tz", "timezone"), ("lang", "language")):
        vc, vp = pc[col].value_counts(), pp[col].value_counts()
        keys = sorted(vc.index, key=lambda k: (-vc[k], k))[:10]
        for k in keys:
            out[f"demographics.{name}.{slug(k)}"] = (int(vc[k]), int(vp.get(k, 0)), share(vc[k], vc.sum()))
        rest = int(vc.sum() - vc[keys].sum())
        rest_p = int(vp.sum() - vp.reindex(keys).fillna(0).sum())
        if rest or rest_p:
            out[f"demographics.{name}.other"] = (rest, rest_p, share(rest, vc.sum()))
    dc = pd.Series([e.split("@")[-1] for e in pc.index]).value_counts()
    dp = pd.Series([e.split("@")[-1] for e in pp.index], dtype=object).value_counts()
    named = [k for k in sorted(dc.index, key=lambda k: (-dc[k], k))[:10] if dc[k] >= 5]
    for k in named:
        out[f"demographics.domain.{slug(k)}"] = (int(dc[k]), int(dp.get(k, 0)), share(dc[k], dc.sum()))
    rest, rest_p = int(dc.sum() - dc[named].sum()), int(dp.sum() - dp.reindex(named).fillna(0).sum())
    if rest or rest_p:
        out["demographics.domain.other"] = (rest, rest_p, share(rest, dc.sum()))

    # patterns
    for i, k in enumerate(KEYS):
        a = int((cur["occurred_at"].dt.dayofweek == i).sum())
        out[f"patterns.weekday.{k}"] = (
            a,
            int((prev["occurred_at"].dt.dayofweek == i).sum()),
            share(a, len(cur)),
        )
    for h in range(24):
        a, b = int((cur["occurred_at"].dt.hour == h).sum()), int((prev["occurred_at"].dt.hour == h).sum())
        if a or b:
            out[f"patterns.hour.{h:02d}"] = (a, b, share(a, len(cur)))
    edges = [0, 1, 4, 8, 15, 31, math.inf]
    names = ["same_day", "1_3_days", "4_7_days", "8_14_days", "15_30_days", "31_plus_days"]

    def buckets(x: pd.DataFrame) -> pd.Series:
        days = ((x["occurred_at"] - x["created_at"]).dt.total_seconds() / 86400).dropna().clip(lower=0)
        return pd.cut(days, edges, right=False, labels=names).value_counts().reindex(names, fill_value=0)

    bc, bp = buckets(cur), buckets(prev)
    for k in names:
        out[f"patterns.lead_time.{k}"] = (int(bc[k]), int(bp[k]), share(bc[k], bc.sum()))
    pair(
        "patterns.median_lead_time_days",
        lambda x: (
            (x["occurred_at"] - x["created_at"]).dt.total_seconds().median() / 86400 if len(x) else None
        ),
        1,
    )
    for col, prefix, alias in (
        ("service", "patterns.service", False),
        ("provider", "patterns.provider", True),
    ):
        vc = cur[col].fillna("unknown").value_counts()
        vp = prev[col].fillna("unknown").value_counts()
        keys = sorted(vc.index, key=lambda k: (-vc[k], k))[:10]
        for i, k in enumerate(keys, start=1):
            fid = f"{prefix}.p{i}" if alias else f"{prefix}.{slug(k)}"
            out[fid] = (int(vc[k]), int(vp.get(k, 0)), share(vc[k], vc.sum()))
        rest, rest_p = int(vc.sum() - vc[keys].sum()), int(vp.sum() - vp.reindex(keys).fillna(0).sum())
        if rest or rest_p:
            out[f"{prefix}.other"] = (rest, rest_p, share(rest, vc.sum()))

    # conversion
    def rate(x: pd.DataFrame, mask: pd.Series) -> float | None:
        return None if not len(x) else round(100 * mask.sum() / len(x), 1)

    out["conversion.completion_rate"] = (rate(cur, completed(cur)), rate(prev, completed(prev)), None)
    out["conversion.cancellation_rate"] = (
        rate(cur, cur["status"] == "cancelled"),
        rate(prev, prev["status"] == "cancelled"),
        None,
    )
    out["conversion.no_show_rate"] = (
        rate(cur, cur["status"] == "no_show"),
        rate(prev, prev["status"] == "no_show"),
        None,
    )
    pair(
        "conversion.revenue_per_booking",
        lambda x: float(x.loc[completed(x), "amount"].astype(float).sum()) / len(x) if len(x) else None,
        2,
    )

    def repeat(x: pd.DataFrame) -> float | None:
        n = x.dropna(subset=["email"]).groupby("email").size()
        return None if not len(n) else round(100 * (n >= 2).sum() / len(n), 1)

    out["conversion.repeat_rate"] = (repeat(cur), repeat(prev), None)
    return out
