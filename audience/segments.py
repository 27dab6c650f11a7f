"""Segmentation: people -> frequency / recency segments, tags and a human reason.

Everything is computed column-wise (numpy); text is rendered once per distinct
combination of the numbers it depends on, never once per person.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Self

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from audience import _arrays as ar

NEW: Final = "new_customer"
RETURNING: Final = "returning_customer"
LOYAL: Final = "loyal_customer"
RECENT: Final = "recent_customer"
INACTIVE: Final = "inactive_customer"
_FREQUENCY: Final[tuple[str | None, ...]] = (None, NEW, RETURNING, LOYAL)
_RECENCY: Final[tuple[str | None, ...]] = (None, RECENT, INACTIVE)
_DAY_US: Final[int] = 86_400_000_000

#: Columns :func:`segment_people` adds to the people frame.
SEGMENT_COLUMNS: Final[list[str]] = [
    "frequency_segment",
    "recency_segment",
    "tags",
    "segment_reason",
    "removal_candidate",
]


class SegmentThresholds(BaseModel):
    """Where the segment boundaries are (defaults: 1 / 2-4 / 5+ bookings, 30 / 90 days).

    new: ``1 <= counted < returning_from``; returning: ``returning_from <= counted <
    loyal_from``; loyal: ``counted >= loyal_from``. recent: a counted booking at most
    ``recent_days`` before as_of, or an upcoming one; inactive: none in the
    ``inactive_days`` before as_of and none upcoming.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    returning_from: int = Field(
        default=2, ge=2, description="counted bookings that make a returning customer"
    )
    loyal_from: int = Field(default=5, ge=3, description="counted bookings that make a loyal customer")
    recent_days: int = Field(default=30, ge=0, description="days back that still count as recent")
    inactive_days: int = Field(default=90, ge=1, description="days without a booking that make inactive")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.loyal_from <= self.returning_from:
            raise ValueError("loyal_from must be greater than returning_from")
        if self.inactive_days < self.recent_days:
            raise ValueError("inactive_days must be at least recent_days")
        return self


def _source_tag(source: str) -> str:
    """``source_<name>``; the platform's own users are tagged ``platform_user``."""
    return "platform_user" if source == "platform" else f"source_{source}"


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _render_reason(
    counted: int,
    days_ago: int,
    upcoming: int,
    events: int,
    webinars: int,
    event_day: int,
    void: int,
    cancelled: int,
    no_shows: int,
) -> str:
    parts: list[str] = []
    if counted > 0:
        parts.append(_plural(counted, "counted booking"))
        if days_ago == 0:
            parts.append("last today")
        elif days_ago > 0:
            parts.append(f"last {_plural(days_ago, 'day')} ago")
        if upcoming > 0:
            parts.append(f"{upcoming} upcoming")
    if events > 0:
        parts.append(_plural(events, "event") + " attended")
    if webinars > 0:
        parts.append(_plural(webinars, "webinar") + " attended")
    if counted == 0 and event_day >= 0:
        parts.append("last " + str(np.datetime64(event_day, "D")))
    if not parts:
        if void:
            return "all tickets refunded or cancelled"
        voided = [
            text
            for n, text in (
                (cancelled, _plural(cancelled, "cancelled", "cancelled")),
                (no_shows, _plural(no_shows, "no-show")),
            )
            if n > 0
        ]
        return "no counted bookings" + (f" ({', '.join(voided)})" if voided else "")
    return "; ".join(parts)


def _int(frame: pd.DataFrame, column: str) -> ar.Int64Array:
    return frame[column].to_numpy(dtype=np.int64)


def segment_people(people: pd.DataFrame, as_of: pd.Timestamp, thresholds: SegmentThresholds) -> pd.DataFrame:
    """Return ``people`` (from :func:`audience.people.resolve_people`) plus :data:`SEGMENT_COLUMNS`.

    * frequency_segment: new / returning / loyal customer by counted bookings
      (see :class:`SegmentThresholds`); ``<NA>`` with no counted booking.
    * recency_segment: recent_customer / inactive_customer; ``<NA>`` when neither, and
      always ``<NA>`` without a counted booking. The recent edge is inclusive (exactly
      30 days ago is recent), the inactive edge exclusive (exactly 90 days ago is not
      inactive).
    * tags: comma-joined frequency, recency, then ``source_<name>`` per source in
      ``sources`` (sorted), e.g. ``loyal_customer,recent_customer,source_zoom``; the
      platform's own users get ``platform_user``.
    * segment_reason: short text, e.g. ``5 counted bookings; last 12 days ago; 1 upcoming``
      or, for event-only people, ``2 events attended; last 2026-10-03``.
    * removal_candidate: every ticket is void and there is nothing else keeping the
      person in the audience (no counted booking, no webinar attended).

    The input is not modified; the result has the same index.
    """
    last = _LastBooking.of(people, ar.timestamp_us(as_of))
    frequency, recency = _segments(people, last, thresholds)
    out = people.copy()
    out["frequency_segment"] = pd.array(np.asarray(_FREQUENCY, dtype=object)[frequency], dtype="string")
    out["recency_segment"] = pd.array(np.asarray(_RECENCY, dtype=object)[recency], dtype="string")
    out["tags"] = pd.array(_tags(people, frequency, recency), dtype="string")
    out["segment_reason"] = pd.array(_reasons(people, last), dtype="string")
    counted, webinars = _int(people, "counted_bookings"), _int(people, "webinars_attended")
    void = people["all_tickets_void"].to_numpy(dtype=np.bool_)
    out["removal_candidate"] = void & (counted == 0) & (webinars == 0)
    return out


@dataclass(frozen=True, slots=True)
class _LastBooking:
    """Per person: whether there is a last counted booking, and its age in microseconds (0 without)."""

    has_last: ar.BoolArray
    age_us: ar.Int64Array

    @classmethod
    def of(cls, people: pd.DataFrame, now: int) -> _LastBooking:
        last = ar.to_us(people["last_counted_at"])
        has_last = last != ar.NAT
        return cls(has_last, np.where(has_last, now - np.where(has_last, last, 0), 0))


def _segments(
    people: pd.DataFrame, last: _LastBooking, t: SegmentThresholds
) -> tuple[ar.Int64Array, ar.Int64Array]:
    """Frequency and recency codes (indexes into ``_FREQUENCY`` / ``_RECENCY``; 0 = none)."""
    counted = _int(people, "counted_bookings")
    upcoming = _int(people, "upcoming_bookings")
    frequency = np.select(
        [counted >= t.loyal_from, counted >= t.returning_from, counted >= 1], [3, 2, 1], default=0
    )
    recent = (upcoming > 0) | (last.has_last & (last.age_us <= t.recent_days * _DAY_US))
    inactive = (upcoming == 0) & (~last.has_last | (last.age_us > t.inactive_days * _DAY_US))
    recency = np.where(counted >= 1, np.select([recent, inactive], [1, 2], default=0), 0)
    return frequency, recency


def _tags(people: pd.DataFrame, frequency: ar.Int64Array, recency: ar.Int64Array) -> ar.ObjectArray:
    """Comma-joined frequency, recency and ``source_<name>`` tags, rendered once per distinct combination."""
    source_codes, source_uniques = ar.factorize(people["sources"])
    source_tags = [",".join(_source_tag(s) for s in str(u).split(",")) for u in source_uniques]

    def render_tags(freq: int, rec: int, src: int) -> str | None:
        parts = [p for p in (_FREQUENCY[freq], _RECENCY[rec]) if p]
        if src >= 0:
            parts.append(source_tags[src])
        return ",".join(parts) or None

    return ar.format_unique([frequency, recency, source_codes], render_tags)


def _reasons(people: pd.DataFrame, last: _LastBooking) -> ar.ObjectArray:
    """The segment reason text, rendered once per distinct combination of its inputs."""
    counted = _int(people, "counted_bookings")
    events = _int(people, "events_attended")
    webinars = _int(people, "webinars_attended")
    event_at = ar.to_us(people["last_event_date"])
    event_day = np.where((counted == 0) & (event_at != ar.NAT), event_at // _DAY_US, -1)
    void = people["all_tickets_void"].to_numpy(dtype=np.bool_)
    nothing = (counted == 0) & (events == 0) & (webinars == 0)
    reason_keys = [
        counted,
        np.where(last.has_last, last.age_us // _DAY_US, -1),
        _int(people, "upcoming_bookings"),
        events,
        webinars,
        event_day,
        void.astype(np.int64),
        np.where(nothing, _int(people, "cancelled"), 0),
        np.where(nothing, _int(people, "no_shows"), 0),
    ]
    return ar.format_unique(reason_keys, _render_reason)
