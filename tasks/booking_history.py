"""Prefect tasks: bring the stored EasyAppointments history up to what a booking report needs.

The plan is pure (:mod:`insights.history`); here it is carried out: one read of the missing days
with large pages (``EASYAPPOINTMENTS_HISTORY_PAGE_LENGTH``), stored like any extraction (what
vanished from a complete read is marked deleted), then the ``source_history`` marker moves on.
Without EasyAppointments settings, or when the read fails and no refresh was asked for, the
report goes on with what is stored and its facts say from when that history runs.
"""

from __future__ import annotations

import os
from datetime import date, datetime

from prefect import task
from prefect.cache_policies import NO_CACHE

from connectors.easyappointments import EasyAppointmentsSettings
from connectors.http import AuthenticationError, ConnectorError
from insights.history import covered_after_read, history_state, joins_marker, plan_read
from insights.models import History, Window
from store.db import session_scope
from store.history import history_complete_to, record_history, stored_booking_span
from tasks.audience import store_interactions
from tasks.easyappointments import extract_appointments, extract_easyappointments
from tasks.extraction import SourceExtract
from tasks.insights import SOURCE
from tasks.preflight import require_settings
from tasks.run_logger import run_logger


def history_settings() -> EasyAppointmentsSettings | None:
    """EasyAppointments settings with the large history pages, or ``None`` when it is not configured."""
    if not os.environ.get("EASYAPPOINTMENTS_URL"):
        return None
    settings = EasyAppointmentsSettings()
    return settings.model_copy(update={"page_length": settings.history_page_length})


@task(name="read-booking-history", cache_policy=NO_CACHE)
async def read_booking_history(
    date_from: date, date_to: date, settings: EasyAppointmentsSettings
) -> SourceExtract:
    """Read EasyAppointments bookings starting in ``[date_from, date_to]`` with large pages."""
    return await extract_appointments(date_from, date_to, settings, logger=run_logger(__name__))


async def _read(
    read: tuple[date, date], settings: EasyAppointmentsSettings, *, refresh: bool
) -> SourceExtract | None:
    """Read and store ``read``; ``None`` when a history-only read failed (refreshes raise)."""
    log = run_logger(__name__)
    try:
        extract = await read_booking_history(read[0], read[1], settings)
    except (AuthenticationError, ConnectorError) as exc:
        if refresh:
            raise
        log.warning("could not read the EasyAppointments history, using stored bookings: %s", exc)
        return None
    written = store_interactions(extract, checkpoint=False)
    log.info(
        "read EasyAppointments %s..%s: %d bookings in %d calls (complete=%s)",
        read[0],
        read[1],
        written,
        extract.api_calls,
        extract.complete,
    )
    return extract


async def prepare_history(window: Window, *, refresh: bool, now: datetime) -> History:
    """Read what a report on ``window`` lacks (see :func:`insights.history.plan_read`) and say how
    complete the stored history then is. ``refresh`` failures raise; a failed read of history
    alone is logged and the report goes on with an incomplete history."""
    today = now.date()
    with session_scope() as session:
        complete_to = history_complete_to(session, SOURCE)
    read = plan_read(complete_to, window=window, today=today, refresh=refresh)
    read_through: date | None = None
    settings = history_settings() if read is not None else None
    if read is not None and settings is None:
        if refresh:
            raise ValueError("refresh needs EasyAppointments: set EASYAPPOINTMENTS_URL and its token")
        run_logger(__name__).warning(
            "EasyAppointments is not configured: the report uses the stored bookings only"
        )
    if read is not None and settings is not None:
        extract = await _read(read, settings, refresh=refresh)
        if extract is not None and extract.complete and joins_marker(complete_to, read):
            read_through = read[1]
            covered = covered_after_read(complete_to, read, today=today)
            if covered is not None and covered != complete_to:
                with session_scope() as session:
                    record_history(
                        session,
                        source=SOURCE,
                        complete_to=covered,
                        read_at=now,
                        rows=len(extract.frame),
                        api_calls=extract.api_calls,
                    )
                complete_to = covered
    with session_scope() as session:
        first, count = stored_booking_span(session, SOURCE)
    return history_state(
        complete_to=complete_to, window=window, first_booking=first, bookings=count, read_through=read_through
    )


async def refresh_bookings(date_from: date, date_to: date) -> None:
    """Re-read ``[date_from, date_to]`` from EasyAppointments into the interactions table."""
    require_settings("easyappointments")
    extract = await extract_easyappointments(date_from, date_to)
    written = store_interactions(extract, checkpoint=False)
    run_logger(__name__).info(
        "refreshed %d EasyAppointments bookings (complete=%s)", written, extract.complete
    )
