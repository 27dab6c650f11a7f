"""The interactions frame: the one shape every source is turned into.

One row per interaction a person had with En Garde on some platform (a booking,
a ticket, a webinar registration, an attendance). Pure data definitions only.
"""

from __future__ import annotations

from typing import Any, Final

import pandas as pd
from pandas.api.types import pandas_dtype

#: Column name -> pandas dtype. Datetimes are UTC (tz-aware).
INTERACTION_DTYPES: Final[dict[str, Any]] = {
    "source": "string",  # easyappointments | eventbrite | zoom | poshvip | platform
    "source_id": "string",  # unique within source (appointment id, attendee id, ...)
    "email_raw": "string",  # as the source gave it
    "email": "string",  # normalised: trimmed + lower-cased; <NA> when invalid/missing
    "first_name": "string",
    "last_name": "string",
    "phone": "string",
    "kind": "string",  # booking | ticket | registration | attendance
    "status": "string",  # booked | cancelled | no_show | refunded | attended | registered | deleted
    "occurred_at": "datetime64[us, UTC]",  # when it happens (appointment start, event start, join time)
    "created_at": "datetime64[us, UTC]",  # when it was made (booking time, order time); may be NaT
    "service": "string",  # service / event / webinar name
    "event_id": "string",  # event / webinar / service id on the source
    "provider": "string",  # EasyAppointments provider name; NA elsewhere
    "amount": "Float64",  # price paid / service price, major units
    "currency": "string",
    "timezone": "string",  # person's timezone when the source knows it
    "language": "string",
}

INTERACTION_COLUMNS: Final[list[str]] = list(INTERACTION_DTYPES)

SOURCES: Final[tuple[str, ...]] = ("easyappointments", "eventbrite", "zoom", "poshvip", "platform")
KINDS: Final[tuple[str, ...]] = ("booking", "ticket", "registration", "attendance")
STATUSES: Final[tuple[str, ...]] = (
    "booked",
    "cancelled",
    "no_show",
    "refunded",
    "attended",
    "registered",
    "deleted",
)


def empty_interactions() -> pd.DataFrame:
    """An interactions frame with no rows and the right dtypes."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in INTERACTION_DTYPES.items()})


def coerce_interactions(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with exactly the interaction columns, in order, with their dtypes.

    Missing columns are added as all-NA; extra columns are dropped.
    """
    out = pd.DataFrame(index=frame.index)
    for col, dtype_name in INTERACTION_DTYPES.items():
        dtype = pandas_dtype(dtype_name)
        is_datetime = dtype_name.startswith("datetime64")
        if col in frame.columns:
            series = frame[col]
            if is_datetime:
                out[col] = pd.to_datetime(series, utc=True).astype(dtype)
            else:
                out[col] = series.astype(dtype)
        else:
            out[col] = pd.Series(pd.NaT if is_datetime else pd.NA, index=frame.index, dtype=dtype)
    return out.reset_index(drop=True)
