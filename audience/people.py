"""Identity resolution: the interactions frame -> one row per person (normalised email).

Rows whose email cannot be resolved (missing or invalid) are left out of the
people frame; :func:`count_unresolvable` tells how many, so a flow can report it.
All aggregation is done in one pass over integer person codes (numpy), never per
person in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from audience import _arrays as ar
from audience.identity import normalise_emails
from audience.schema import SOURCES

#: Booking statuses that do not count as a booking that happened / will happen.
VOID_BOOKING_STATUSES: Final[tuple[str, ...]] = ("cancelled", "no_show", "deleted")
#: Ticket statuses that void a ticket.
VOID_TICKET_STATUSES: Final[tuple[str, ...]] = ("refunded", "cancelled", "deleted")
#: ``services_used`` never grows past this many characters (whole names only).
MAX_SERVICES_CHARS: Final[int] = 255

#: Columns of the people frame, in order, with their dtypes.
PEOPLE_DTYPES: Final[dict[str, str]] = {
    "email": "string",
    "first_name": "string",
    "last_name": "string",
    "phone": "string",
    "first_seen": "datetime64[us, UTC]",
    "last_seen": "datetime64[us, UTC]",
    "n_interactions": "int64",
    "counted_bookings": "int64",
    "upcoming_bookings": "int64",
    "last_counted_at": "datetime64[us, UTC]",
    "next_counted_at": "datetime64[us, UTC]",
    "cancelled": "int64",
    "no_shows": "int64",
    **{f"n_{source}": "int64" for source in SOURCES},
    "sources": "string",
    "services_used": "string",
    "events_attended": "int64",
    "webinars_attended": "int64",
    "last_event_date": "datetime64[us, UTC]",
    "next_event_date": "datetime64[us, UTC]",
    "tickets": "int64",
    "tickets_active": "int64",
    "all_tickets_void": "bool",
}
PEOPLE_COLUMNS: Final[list[str]] = list(PEOPLE_DTYPES)


def person_keys(interactions: pd.DataFrame) -> pd.Series:
    """The identity key of every interaction row (``string``, ``<NA>`` = unresolvable).

    ``email`` is trusted as already normalised (the interactions contract); only rows
    where it is missing fall back to :func:`~audience.identity.normalise_emails` of
    ``email_raw``, so the three spellings of one address still meet.
    """
    if "email" in interactions:
        email = interactions["email"].astype("string")
    else:
        email = pd.Series(pd.NA, index=interactions.index, dtype="string")
    missing = email.isna()
    if "email_raw" in interactions and bool(missing.any()):
        email = email.copy()
        email[missing] = normalise_emails(interactions.loc[missing, "email_raw"])
    return email


def count_unresolvable(interactions: pd.DataFrame) -> int:
    """Number of interaction rows :func:`resolve_people` leaves out (no usable email)."""
    return int(person_keys(interactions).isna().sum())


def empty_people() -> pd.DataFrame:
    """A people frame with no rows and the right dtypes."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in PEOPLE_DTYPES.items()})


class _Rows:
    """Columns of the resolvable interaction rows as numpy arrays (the frame is never copied)."""

    def __init__(self, interactions: pd.DataFrame, keep: ar.BoolArray) -> None:
        self._frame = interactions
        self._keep = keep
        self._all = bool(keep.all())
        self.size = int(keep.sum())

    def _subset(self, values: npt.NDArray[Any]) -> npt.NDArray[Any]:
        return values if self._all else values[self._keep]

    def codes(self, name: str, *, sort: bool = False) -> tuple[ar.Int64Array, list[Any]]:
        if name not in self._frame:
            return np.full(self.size, -1, dtype=np.int64), []
        codes, uniques = ar.factorize(self._frame[name], sort=sort)
        return self._subset(codes), uniques

    def times(self, name: str) -> ar.Int64Array:
        if name not in self._frame:
            return np.full(self.size, ar.NAT, dtype=np.int64)
        return self._subset(ar.to_us(self._frame[name]))

    def text(self, name: str) -> ar.ObjectArray:
        """Values with missing as ``""``."""
        if name not in self._frame:
            return np.full(self.size, "", dtype=object)
        values = self._frame[name].astype("string").to_numpy(dtype=object, na_value="")
        return np.asarray(self._subset(values), dtype=object)


def _latest_text(values: ar.ObjectArray, codes: ar.Int64Array, recency: ar.Int64Array, n: int) -> pd.Series:
    """Per person, the most recent (by ``recency``, then row position) non-blank value, stripped.

    Fast path: only empty strings are excluded up front; whitespace-only values are
    rare, so they are looked for among the chosen values and, if any is found, the
    choice is redone with every blank value excluded.
    """
    usable = values != ""
    groups, rows = ar.last_by_key(codes, recency, usable, n)
    chosen = [str(v).strip() for v in values[rows]]
    if not all(chosen):
        usable &= np.array([bool(str(v).strip()) for v in values], dtype=np.bool_)
        groups, rows = ar.last_by_key(codes, recency, usable, n)
        chosen = [str(v).strip() for v in values[rows]]
    out = np.full(n, None, dtype=object)
    out[groups] = np.asarray(chosen, dtype=object)
    return ar.strings(out)


def _sources_text(per_source: ar.Int64Array, src_uniques: list[str]) -> pd.Series:
    """Per person, the sorted comma-joined list of sources they appear in."""
    order = sorted(range(len(src_uniques)), key=lambda i: src_uniques[i])
    names = [src_uniques[i] for i in order]
    bits = np.zeros(per_source.shape[0], dtype=np.int64)
    for bit, column in enumerate(order):
        bits |= (per_source[:, column] > 0).astype(np.int64) << bit

    def render(mask: int) -> str | None:
        return ",".join(name for bit, name in enumerate(names) if mask >> bit & 1) or None

    return ar.strings(ar.format_unique([bits], render))


def resolve_people(interactions: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """One row per normalised email across all sources and all history given.

    ``interactions`` follows :data:`audience.schema.INTERACTION_DTYPES` (missing
    columns are treated as all-NA). Booking statuses must already be mapped
    (:func:`audience.status.map_booking_status`). ``as_of`` (naive = UTC) splits past
    from upcoming. Rows without a usable email are excluded; count them with
    :func:`count_unresolvable`. Result: columns :data:`PEOPLE_COLUMNS`, one row per
    email in order of first appearance (sort it yourself if you need to; sorting a
    million emails costs ~0.5 s), default index.

    Definitions:

    * first_name / last_name / phone: the most recent non-blank value, recency being
      ``created_at`` (or ``occurred_at`` when ``created_at`` is NaT); on a tie the later row wins.
    * first_seen / last_seen: earliest / latest ``created_at`` or ``occurred_at`` at or
      before ``as_of`` (future appointments are not "seen" yet).
    * counted booking: kind ``booking`` whose status is not in
      :data:`VOID_BOOKING_STATUSES` (past or upcoming). upcoming: ``occurred_at > as_of``.
      last_counted_at: latest counted ``occurred_at <= as_of``; next_counted_at: earliest upcoming.
    * cancelled / no_shows: bookings with status ``cancelled`` / ``no_show``.
    * n_<source>: interactions per source in :data:`audience.schema.SOURCES`;
      sources: every source seen, sorted, comma-joined.
    * services_used: distinct ``service`` of counted bookings, sorted, comma-joined,
      at most :data:`MAX_SERVICES_CHARS` characters (whole names).
    * tickets: kind ``ticket``; active when status is not in :data:`VOID_TICKET_STATUSES`.
      events_attended: distinct (source, ``event_id`` or else ``service``) of active tickets.
      all_tickets_void: has tickets and none is active.
    * webinars_attended: distinct (``event_id`` or else ``service``) of Zoom interactions
      of kind ``attendance`` or status ``attended``.
    * last_event_date / next_event_date: latest ``occurred_at <= as_of`` / earliest
      ``> as_of`` among active tickets and webinar attendances.
    """
    keys = person_keys(interactions)
    codes_all, emails = ar.factorize(keys)
    if not emails:
        return empty_people()
    ctx = _Context.of(interactions, codes_all, len(emails), ar.timestamp_us(as_of))
    out: _Columns = {"email": ar.strings(np.asarray(emails, dtype=object))}
    for step in (_names, _seen, _bookings, _sources, _services, _events):
        out.update(step(ctx))
    return pd.DataFrame(out).astype(PEOPLE_DTYPES)[PEOPLE_COLUMNS]


_Columns = dict[str, pd.Series | ar.Int64Array | ar.BoolArray | ar.ObjectArray]


@dataclass(frozen=True, slots=True)
class _Context:
    """What every step of :func:`resolve_people` reads: per resolvable row, its person code and columns."""

    rows: _Rows
    codes: ar.Int64Array
    n: int
    now: int
    occurred: ar.Int64Array
    created: ar.Int64Array
    kind: ar.Vocabulary
    status: ar.Vocabulary
    source: ar.Vocabulary
    svc_codes: ar.Int64Array
    svc_uniques: list[Any]
    #: Bookings that happened or will happen (not void).
    counted: ar.BoolArray

    @classmethod
    def of(cls, interactions: pd.DataFrame, codes_all: ar.Int64Array, n: int, now: int) -> _Context:
        keep = codes_all >= 0
        rows = _Rows(interactions, keep)
        svc_codes, svc_uniques = rows.codes("service", sort=True)
        kind, status = ar.Vocabulary(*rows.codes("kind")), ar.Vocabulary(*rows.codes("status"))
        return cls(
            rows=rows,
            codes=codes_all[keep],
            n=n,
            now=now,
            occurred=rows.times("occurred_at"),
            created=rows.times("created_at"),
            kind=kind,
            status=status,
            source=ar.Vocabulary(*rows.codes("source")),
            svc_codes=svc_codes,
            svc_uniques=svc_uniques,
            counted=kind.isin("booking") & ~status.isin(*VOID_BOOKING_STATUSES),
        )


def _names(ctx: _Context) -> _Columns:
    """first_name, last_name, phone: the latest non-blank value (``created_at``, else ``occurred_at``)."""
    recency = np.where(ctx.created != ar.NAT, ctx.created, ctx.occurred)
    return {
        field: _latest_text(ctx.rows.text(field), ctx.codes, recency, ctx.n)
        for field in ("first_name", "last_name", "phone")
    }


def _seen(ctx: _Context) -> _Columns:
    """first_seen, last_seen (at or before ``as_of``) and n_interactions."""
    seen = np.concatenate([ctx.created, ctx.occurred])
    seen_codes = np.concatenate([ctx.codes, ctx.codes])
    seen_mask = (seen != ar.NAT) & (seen <= ctx.now)
    return {
        "first_seen": ar.from_us(ar.group_min(seen_codes, seen, seen_mask, ctx.n)),
        "last_seen": ar.from_us(ar.group_max(seen_codes, seen, seen_mask, ctx.n)),
        "n_interactions": np.bincount(ctx.codes, minlength=ctx.n).astype(np.int64),
    }


def _bookings(ctx: _Context) -> _Columns:
    """Counted and upcoming bookings, the last and next counted dates, cancellations and no-shows."""
    codes, n, occurred = ctx.codes, ctx.n, ctx.occurred
    booking = ctx.kind.isin("booking")
    counted = ctx.counted
    upcoming = counted & (occurred > ctx.now)
    past = counted & (occurred != ar.NAT) & (occurred <= ctx.now)
    return {
        "counted_bookings": ar.count(codes, counted, n),
        "upcoming_bookings": ar.count(codes, upcoming, n),
        "last_counted_at": ar.from_us(ar.group_max(codes, occurred, past, n)),
        "next_counted_at": ar.from_us(ar.group_min(codes, occurred, upcoming, n)),
        "cancelled": ar.count(codes, booking & ctx.status.isin("cancelled"), n),
        "no_shows": ar.count(codes, booking & ctx.status.isin("no_show"), n),
    }


def _sources(ctx: _Context) -> _Columns:
    """n_<source> for every known source, and the sorted list of sources seen."""
    source = ctx.source
    per_source = ar.count_by(ctx.codes, source.codes, ctx.n, len(source.uniques))
    out: _Columns = {
        f"n_{name}": (
            per_source[:, source.index(name)] if source.index(name) >= 0 else np.zeros(ctx.n, np.int64)
        )
        for name in SOURCES
    }
    out["sources"] = _sources_text(per_source, [str(s) for s in source.uniques])
    return out


def _services(ctx: _Context) -> _Columns:
    """services_used: distinct services of counted bookings, sorted, joined, capped in length."""
    width = len(ctx.svc_uniques) + 1
    svc_mask = ctx.counted & (ctx.svc_codes >= 0)
    pairs = np.sort(pd.unique(ctx.codes[svc_mask] * width + ctx.svc_codes[svc_mask]))
    joined = ar.join_sorted_items(
        pairs // width,
        np.asarray(ctx.svc_uniques, dtype=object)[pairs % width],
        ctx.n,
        max_chars=MAX_SERVICES_CHARS,
    )
    return {"services_used": ar.strings(joined)}


def _events(ctx: _Context) -> _Columns:
    """Tickets, events and webinars attended, the last and next event dates."""
    codes, n, occurred, status = ctx.codes, ctx.n, ctx.occurred, ctx.status
    # An event is its id or, when the source gave none, its name; always within its source.
    ev_codes, ev_uniques = ctx.rows.codes("event_id")
    svc = ctx.svc_codes
    ref = np.where(ev_codes >= 0, ev_codes, np.where(svc >= 0, len(ev_uniques) + svc, -1))
    event_key = np.where(ref >= 0, ref * (len(ctx.source.uniques) + 1) + ctx.source.codes + 1, -1)
    ticket = ctx.kind.isin("ticket")
    active = ticket & ~status.isin(*VOID_TICKET_STATUSES)
    webinar = ctx.source.isin("zoom") & (ctx.kind.isin("attendance") | status.isin("attended"))
    attended = (active | webinar) & (occurred != ar.NAT)
    tickets = ar.count(codes, ticket, n)
    tickets_active = ar.count(codes, active, n)
    return {
        "events_attended": ar.distinct_count(codes, event_key, active, n),
        "webinars_attended": ar.distinct_count(codes, event_key, webinar, n),
        "last_event_date": ar.from_us(ar.group_max(codes, occurred, attended & (occurred <= ctx.now), n)),
        "next_event_date": ar.from_us(ar.group_min(codes, occurred, attended & (occurred > ctx.now), n)),
        "tickets": tickets,
        "tickets_active": tickets_active,
        "all_tickets_void": (tickets > 0) & (tickets_active == 0),
    }
