"""Which days each source reads in a run, from the stored checkpoints.

The arithmetic is pure (:mod:`audience.windows`); here it meets the checkpoints: an incremental
run reads from the last complete run's end minus the look-back, and Eventbrite reads only what
changed since then (minus the same look-back). The look-back's default is written once here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from audience.windows import incremental_window
from store.checkpoints import last_complete_end, window_states
from store.db import session_scope

#: Days before the last complete run's end that an incremental run reads again (late changes).
DEFAULT_LOOKBACK_DAYS = 7


def changed_since_with_lookback(
    last_run_started: datetime | None, lookback_days: int = DEFAULT_LOOKBACK_DAYS
) -> datetime | None:
    """``changed_since`` for an incremental run: the previous run's start minus the look-back.

    The look-back re-reads recent changes so late refunds and cancellations are not missed;
    None (no previous run) means a full read of the window.
    """
    if last_run_started is None:
        return None
    if last_run_started.tzinfo is None:
        last_run_started = last_run_started.replace(tzinfo=UTC)
    return last_run_started - timedelta(days=lookback_days)


def source_windows(
    sources: Iterable[str],
    date_from: date | None,
    date_to: date | None,
    today: date,
    *,
    lookback_days: int,
    initial_days: int,
    horizon_days: int,
) -> dict[str, tuple[date, date]]:
    """Each source's window: the given dates, else from its last complete run (see
    :func:`audience.windows.incremental_window`) up to the horizon of upcoming bookings."""
    chosen = list(sources)
    if date_from and date_to:
        return dict.fromkeys(chosen, (date_from, date_to))
    out = {}
    with session_scope() as session:
        for source in chosen:
            start, end = incremental_window(
                last_complete_end(session, source),
                today,
                lookback_days=lookback_days,
                initial_days=initial_days,
                horizon_days=horizon_days,
            )
            out[source] = (date_from or start, date_to or end)
    return out


def changed_since_last_run(source: str, lookback_days: int) -> datetime | None:
    """The moment an incremental read of ``source`` starts from: its last complete run's end minus the
    look-back (None before any complete run: read everything)."""
    with session_scope() as session:
        mark = last_complete_end(session, source)
    if mark is None:
        return None
    return changed_since_with_lookback(datetime.combine(mark, datetime.min.time(), tzinfo=UTC), lookback_days)


def stored_window_states(sources: Iterable[str]) -> list[dict[tuple[date, date], str]]:
    """For each source, the status of every recorded window, keyed by (start, end)."""
    with session_scope() as session:
        return [window_states(session, s) for s in sources]
