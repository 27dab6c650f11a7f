"""Which days of a source's bookings a report must read, and how far the stored history then reaches.

New and returning customers need every booking a person made before the previous window, back to
the source's first one. EasyAppointments serves all of them in one large page; its rate limit is
what costs. So the whole history is read once (from :data:`BEGINNING`), a marker keeps the last
day it reaches (``complete_to``), and later reports read only the days after it, plus their own
two windows when asked to refresh. A day counts as complete only once it is over: bookings can
still be made for today and later.

The ``history.*`` facts give a report its context (is the instance empty, does the window fall
before its first booking?) and, when the history is incomplete, say from when it runs.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from insights.models import Fact, History, Window

#: Earlier than any booking a source can hold: a read from here is a read of the whole history.
BEGINNING = date(1970, 1, 1)

_DAY = timedelta(days=1)


def history_needed_to(window: Window) -> date:
    """The last day of history a report on ``window`` needs: the day before its previous window."""
    return window.previous().date_from - _DAY


def plan_read(
    complete_to: date | None, *, window: Window, today: date, refresh: bool
) -> tuple[date, date] | None:
    """The one range of days to read from the source before a report on ``window`` (or ``None``).

    With history missing (``complete_to`` before the day the report needs), read from the day
    after ``complete_to`` (or :data:`BEGINNING`) up to yesterday or the window's end, whichever is
    later: one read covers the history, both windows and the days up to now, so the next report
    reads nothing old again. With the history stored, ``refresh`` re-reads just the two windows.
    """
    previous = window.previous()
    start = BEGINNING if complete_to is None else complete_to + _DAY
    if start <= history_needed_to(window):
        return start, max(window.date_to, today - _DAY)
    if refresh:
        return previous.date_from, window.date_to
    return None


def joins_marker(complete_to: date | None, read: tuple[date, date]) -> bool:
    """Whether ``read`` starts no later than the first day the marker lacks (so it extends it)."""
    return read[0] <= (BEGINNING if complete_to is None else complete_to + _DAY)


def covered_after_read(complete_to: date | None, read: tuple[date, date], *, today: date) -> date | None:
    """The marker after a *complete* read of ``read``: extended when the read joins it, else unchanged.

    Days from today on are not over, so the marker stops at yesterday at the latest.
    """
    if not joins_marker(complete_to, read):
        return complete_to
    reached = min(read[1], today - _DAY)
    if complete_to is not None and complete_to >= reached:
        return complete_to
    return reached if reached >= read[0] else complete_to


def history_state(
    *,
    complete_to: date | None,
    window: Window,
    first_booking: datetime | None,
    bookings: int,
    read_through: date | None = None,
) -> History:
    """What the facts may rely on: complete when the marker (or a complete read from the marker on,
    ``read_through``) reaches the day before the previous window."""
    needed = history_needed_to(window)
    reach = max(d for d in (complete_to, read_through, BEGINNING - _DAY) if d is not None)
    return History(
        complete=complete_to is not None and reach >= needed,
        first_booking=None if first_booking is None else first_booking.date(),
        bookings=bookings,
        complete_to=complete_to,
    )


def history_facts(coverage: History) -> list[Fact]:
    """``history.first_booking`` (a UTC date, or none) and ``history.bookings`` (all dates)."""
    first = None if coverage.first_booking is None else coverage.first_booking.isoformat()
    if coverage.complete:
        first_label = "First booking on record (start date, UTC)"
        count_label = "Bookings on record, all dates (every status)"
    else:
        first_label = "Earliest stored booking (start date, UTC; older history was not read)"
        count_label = "Stored bookings, all dates (every status; older history was not read)"
    return [
        Fact(id="history.first_booking", label=first_label, unit="text", value=first),
        Fact(id="history.bookings", label=count_label, unit="count", value=coverage.bookings),
    ]


def _known_since(coverage: History | None) -> str | None:
    """From when an incomplete history runs (``None`` when it is complete or not given)."""
    if coverage is None or coverage.complete:
        return None
    return coverage.first_booking.isoformat() if coverage.first_booking else "this window"


def history_note(coverage: History | None) -> str:
    """The label suffix of facts that depend on each person's earlier bookings ("" when complete)."""
    since = _known_since(coverage)
    return "" if since is None else f"; bookings known from {since} only, not compared"


def history_notes(coverage: History | None) -> list[str]:
    """The report's note when the history is incomplete (empty when it is complete)."""
    since = _known_since(coverage)
    if since is None:
        return []
    return [
        f"Bookings before {since} could not be read from EasyAppointments: new and returning customers "
        "count only the bookings known since then and are not compared with the previous window."
    ]
