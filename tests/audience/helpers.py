"""Small literal frames for the audience tests."""

from __future__ import annotations

from typing import Any

import pandas as pd

from audience.people import PEOPLE_DTYPES
from audience.schema import coerce_interactions

AS_OF = pd.Timestamp("2026-11-26T12:00:00Z")


def interactions(*rows: dict[str, Any]) -> pd.DataFrame:
    """An interactions frame from dicts (missing columns NA), with schema dtypes."""
    return coerce_interactions(pd.DataFrame(list(rows)))


def days_ago(days: float) -> pd.Timestamp:
    return AS_OF - pd.Timedelta(days=days)


def people(*rows: dict[str, Any]) -> pd.DataFrame:
    """A people frame: every column of resolve_people, zero / NA unless given."""
    defaults: dict[str, Any] = {}
    for column, dtype in PEOPLE_DTYPES.items():
        if dtype == "int64":
            defaults[column] = 0
        elif dtype == "bool":
            defaults[column] = False
        elif dtype.startswith("datetime64"):
            defaults[column] = pd.NaT
        else:
            defaults[column] = None
    frame = pd.DataFrame([{**defaults, **row} for row in rows], columns=list(PEOPLE_DTYPES))
    for column, dtype in PEOPLE_DTYPES.items():
        if dtype.startswith("datetime64"):
            frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame.astype(PEOPLE_DTYPES)
