"""Identity resolution: the interactions frame -> one row per person (normalised email).

Rows whose email cannot be resolved (missing or invalid) are left out of the
people frame; :func:`count_unresolvable` tells how many, so a flow can report it.
All aggregation is done in one pass over integer person codes (numpy), never per
person in Python.
"""

from __future__ import annotations

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
    n = len(emails)
    if n == 0:
        return empty_people()
    keep = codes_all >= 0
    rows = _Rows(interactions, keep)
    codes = codes_all[keep]
    now = ar.timestamp_us(as_of)

    occurred = rows.times("occurred_at")
    created = rows.times("created_at")
    src_codes, src_uniques = rows.codes("source")
    kind_codes, kind_uniques = rows.codes("kind")
    status_codes, status_uniques = rows.codes("status")
    kind = ar.Vocabulary(kind_codes, kind_uniques)
    status = ar.Vocabulary(status_codes, status_uniques)
    source = ar.Vocabulary(src_codes, src_uniques)

    recency = np.where(created != ar.NAT, created, occurred)

    out: dict[str, pd.Series | ar.Int64Array | ar.BoolArray | ar.ObjectArray] = {
        "email": ar.strings(np.asarray(emails, dtype=object))
    }
    for field in ("first_name", "last_name", "phone"):
        out[field] = _latest_text(rows.text(field), codes, recency, n)

    seen = np.concatenate([created, occurred])
    seen_codes = np.concatenate([codes, codes])
    seen_mask = (seen != ar.NAT) & (seen <= now)
    out["first_seen"] = ar.from_us(ar.group_min(seen_codes, seen, seen_mask, n))
    out["last_seen"] = ar.from_us(ar.group_max(seen_codes, seen, seen_mask, n))
    out["n_interactions"] = np.bincount(codes, minlength=n).astype(np.int64)

    booking = kind.isin("booking")
    counted = booking & ~status.isin(*VOID_BOOKING_STATUSES)
    upcoming = counted & (occurred > now)
    past = counted & (occurred != ar.NAT) & (occurred <= now)
    out["counted_bookings"] = ar.count(codes, counted, n)
    out["upcoming_bookings"] = ar.count(codes, upcoming, n)
    out["last_counted_at"] = ar.from_us(ar.group_max(codes, occurred, past, n))
    out["next_counted_at"] = ar.from_us(ar.group_min(codes, occurred, upcoming, n))
    out["cancelled"] = ar.count(codes, booking & status.isin("cancelled"), n)
    out["no_shows"] = ar.count(codes, booking & status.isin("no_show"), n)
    per_source = ar.count_by(codes, src_codes, n, len(src_uniques))
    for name in SOURCES:
        out[f"n_{name}"] = (
            per_source[:, source.index(name)] if source.index(name) >= 0 else np.zeros(n, np.int64)
        )
    out["sources"] = _sources_text(per_source, [str(s) for s in src_uniques])

    svc_codes, svc_uniques = rows.codes("service", sort=True)
    width = len(svc_uniques) + 1
    svc_mask = counted & (svc_codes >= 0)
    pairs = np.sort(pd.unique(codes[svc_mask] * width + svc_codes[svc_mask]))
    out["services_used"] = ar.strings(
        ar.join_sorted_items(
            pairs // width,
            np.asarray(svc_uniques, dtype=object)[pairs % width],
            n,
            max_chars=MAX_SERVICES_CHARS,
        )
    )

    # An event is its id or, when the source gave none, its name; always within its source.
    ev_codes, ev_uniques = rows.codes("event_id")
    ref = np.where(ev_codes >= 0, ev_codes, np.where(svc_codes >= 0, len(ev_uniques) + svc_codes, -1))
    event_key = np.where(ref >= 0, ref * (len(src_uniques) + 1) + src_codes + 1, -1)
    ticket = kind.isin("ticket")
    active = ticket & ~status.isin(*VOID_TICKET_STATUSES)
    webinar = source.isin("zoom") & (kind.isin("attendance") | status.isin("attended"))
    out["events_attended"] = ar.distinct_count(codes, event_key, active, n)
    out["webinars_attended"] = ar.distinct_count(codes, event_key, webinar, n)
    attended = (active | webinar) & (occurred != ar.NAT)
    out["last_event_date"] = ar.from_us(ar.group_max(codes, occurred, attended & (occurred <= now), n))
    out["next_event_date"] = ar.from_us(ar.group_min(codes, occurred, attended & (occurred > now), n))
    tickets = ar.count(codes, ticket, n)
    tickets_active = ar.count(codes, active, n)
    out["tickets"] = tickets
    out["tickets_active"] = tickets_active
    out["all_tickets_void"] = (tickets > 0) & (tickets_active == 0)
    return pd.DataFrame(out).astype(PEOPLE_DTYPES)[PEOPLE_COLUMNS]
