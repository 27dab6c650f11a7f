"""EasyAppointments booking status: free text in, one of our statuses out.

EasyAppointments lets each instance invent its own status labels ("Booked",
"Confirmed", "Rescheduled", "Cancelled", "No-show", "Draft", ...). We map them by
case-insensitive substring patterns held in a small, configurable model so an
instance with different words can be handled by configuration, not code.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, field_validator

if TYPE_CHECKING:  # pandas is imported by the functions that need it: `engarde appointments` must start fast
    import pandas as pd


class StatusMapping(BaseModel):
    """Substring patterns (case-insensitive) per mapped status.

    Rules are checked in this order, first match wins: ``cancelled``, ``no_show``,
    ``dropped``; anything else (including empty / missing) becomes ``default``.
    ``dropped`` means "not a booking at all" (e.g. a draft): the mapped value is
    ``<NA>`` and the caller drops and counts the row.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    cancelled: tuple[str, ...] = Field(default=("cancel",), description="patterns meaning cancelled")
    no_show: tuple[str, ...] = Field(
        default=("no show", "noshow", "no-show", "no_show"), description="patterns meaning no-show"
    )
    dropped: tuple[str, ...] = Field(default=("draft",), description="patterns meaning 'not a booking'")
    default: str = Field(default="booked", description="status for everything else")

    @field_validator("cancelled", "no_show", "dropped")
    @classmethod
    def _lower_and_non_empty(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(p.strip().lower() for p in patterns)
        if any(p == "" for p in cleaned):
            raise ValueError("an empty pattern would match every status")
        return cleaned


def _matcher(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(re.escape(p) for p in patterns))


def _map_one(
    text: str,
    rules: list[tuple[re.Pattern[str] | None, str | None]],
    default: str,
) -> str | None:
    lowered = " ".join(text.lower().split())
    for matcher, status in rules:
        if matcher is not None and matcher.search(lowered) is not None:
            return status
    return default


def _rules(mapping: StatusMapping) -> list[tuple[re.Pattern[str] | None, str | None]]:
    return [
        (_matcher(mapping.cancelled), "cancelled"),
        (_matcher(mapping.no_show), "no_show"),
        (_matcher(mapping.dropped), None),
    ]


def status_mapper(mapping: StatusMapping | None = None) -> Callable[[str | None], str | None]:
    """A function mapping one raw status text as :func:`map_booking_status` does (None: not a
    booking); the patterns are compiled once."""
    mapping = mapping or StatusMapping()
    rules, default = _rules(mapping), mapping.default

    def map_one(raw: str | None) -> str | None:
        return default if raw is None or not raw.strip() else _map_one(raw, rules, default)

    return map_one


def map_booking_status(statuses: pd.Series, mapping: StatusMapping | None = None) -> pd.Series:
    """Map raw EasyAppointments status text to ``cancelled`` / ``no_show`` / ``booked``.

    Returns a ``string`` Series with the same index. ``<NA>`` in the result means the
    row is not a booking (a ``dropped`` pattern matched, by default "draft"); missing
    or empty input maps to ``mapping.default`` ("booked"). Inner whitespace is
    collapsed before matching, so "No  show" matches "no show". Work is done once per
    distinct raw value.
    """
    import numpy as np
    import pandas as pd

    mapping = mapping or StatusMapping()
    rules = _rules(mapping)
    codes, uniques = pd.factorize(statuses, use_na_sentinel=True)
    mapped = [_map_one(str(u), rules, mapping.default) for u in np.asarray(uniques, dtype=object)]
    lookup = np.array([*mapped, mapping.default], dtype=object)
    values = lookup[np.where(codes < 0, len(lookup) - 1, codes)]
    return pd.Series(pd.array(values, dtype="string"), index=statuses.index, name=statuses.name)


def count_dropped(mapped: pd.Series) -> int:
    """Number of rows :func:`map_booking_status` marked as not-a-booking (``<NA>``)."""
    return int(mapped.isna().sum())
