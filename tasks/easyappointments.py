"""Prefect task: one EasyAppointments window → interactions (customers fetched once, joined).

The async orchestration lives in :func:`extract_appointments` (plain, testable); the task
only runs it. The API has no modified-since filter, so scheduled runs re-read a start-date
window (:func:`incremental_window`) and the caller marks what vanished from it as deleted
(``audience.from_easyappointments.mark_vanished``) when the extract is ``complete``.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

import httpx
from prefect import task
from prefect.logging import get_run_logger

from audience.from_easyappointments import DROPPED_ATTR, SOURCE, appointments_to_interactions
from audience.schema import empty_interactions
from connectors._http import AuthenticationError, ConnectorError
from connectors.easyappointments import Appointment, EasyAppointmentsClient, EasyAppointmentsSettings
from tasks.extraction import SourceExtract

DEFAULT_LOOKBACK_DAYS = 7
DEFAULT_HORIZON_DAYS = 90


def incremental_window(
    last_checkpoint: date | None,
    *,
    today: date,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    first_run_days: int = 365,
) -> tuple[date, date]:
    """The start-date window an incremental run re-reads: ``[checkpoint - lookback, today + horizon]``.

    Upcoming bookings (up to ``horizon_days`` ahead) are re-read every run, so status
    changes and deletions of future appointments are seen; the look-back catches late
    edits of recent ones. Without a checkpoint, the last ``first_run_days`` are read.
    """
    start = (last_checkpoint or today - timedelta(days=first_run_days)) - timedelta(days=lookback_days)
    return start, today + timedelta(days=horizon_days)


async def extract_appointments(
    date_from: date,
    date_to: date,
    settings: EasyAppointmentsSettings | None = None,
    *,
    client: httpx.AsyncClient | None = None,
    logger: logging.Logger | logging.LoggerAdapter[logging.Logger] | None = None,
) -> SourceExtract:
    """Read customers, services and providers once, then every appointment starting in the window.

    Returns the interactions frame (drafts dropped and counted in ``notes``). If the
    server fails part-way (rate limit or errors beyond the retry budget) the rows read so
    far are returned with ``complete=False``; bad credentials raise.
    """
    log = logger or logging.getLogger(__name__)
    settings = settings or EasyAppointmentsSettings()
    notes: list[str] = []
    complete = True
    appointments: list[Appointment] = []
    async with EasyAppointmentsClient(settings, client=client) as ea:
        try:
            services = await ea.list_services()
            providers = await ea.list_providers()
            customers = await ea.list_customers()
            async for page in ea.iter_appointment_pages(date_from, date_to):
                appointments.extend(page)
        except AuthenticationError:
            raise
        except ConnectorError as exc:
            if not appointments:
                raise
            complete = False
            notes.append(f"stopped after {len(appointments)} appointments: {exc}")
            log.warning("EasyAppointments extraction incomplete: %s", exc)
        calls = ea.stats.requests
    if appointments:
        frame = appointments_to_interactions(appointments, customers, services, providers, tz=ea.zone)
        dropped = int(frame.attrs.get(DROPPED_ATTR, 0))
        known = {c.id for c in customers}
        unknown = sum(1 for a in appointments if a.customerId not in known)
        if dropped:
            notes.append(f"{dropped} draft appointments skipped (not bookings)")
        if unknown:
            notes.append(f"{unknown} appointments whose customer no longer exists (no email)")
    else:
        frame = empty_interactions()
    log.info(
        "EasyAppointments %s..%s: %d bookings from %d appointments in %d API calls",
        date_from,
        date_to,
        len(frame),
        len(appointments),
        calls,
    )
    return SourceExtract(
        source=SOURCE,
        date_from=date_from,
        date_to=date_to,
        frame=frame,
        api_calls=calls,
        complete=complete,
        notes=notes,
    )


@task(name="extract-easyappointments", retries=1, retry_delay_seconds=120)
async def extract_easyappointments(
    date_from: date, date_to: date, settings: EasyAppointmentsSettings | None = None
) -> SourceExtract:
    """Extract the EasyAppointments bookings starting in ``[date_from, date_to]`` (local days).

    One retry after a full rate-limit window (120 s); the HTTP layer already retries
    each request.
    """
    return await extract_appointments(date_from, date_to, settings, logger=get_run_logger())
