"""Prefect task: one EasyAppointments window → interactions (customers fetched once, joined).

The async orchestration lives in :func:`extract_appointments` (plain, testable); the task
only runs it. The API has no modified-since filter, so scheduled runs re-read a window
(``audience.windows.incremental_window``: checkpoint minus look-back up to today plus the
horizon) and, when the extract is ``complete``, the caller marks what vanished from it as
deleted (``store.interactions.mark_vanished(seen_ids=frame.source_id)``).

Window: ``[date_from, date_to]`` are **UTC days** of the appointment start, like every
other source and the store. EasyAppointments filters by local dates of its own zone, so
one local day more is read on each side and the rows are then cut to the UTC days.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
import pandas as pd
from prefect import task

from audience.from_easyappointments import (
    DROPPED_ATTR,
    SOURCE,
    AppointmentMapper,
    appointment_columns,
    in_utc_days,
)
from audience.schema import empty_interactions
from connectors.easyappointments import EasyAppointmentsClient, EasyAppointmentsSettings
from connectors.http import AuthenticationError, ConnectorError, RetryPolicy
from tasks.extraction import SourceExtract
from tasks.retry_conditions import only_rate_limits
from tasks.run_logger import run_logger


@dataclass
class _WindowRead:
    """What one pass over the API gathered: the mapped columns of every appointment read so far."""

    mapper: AppointmentMapper | None = None
    columns: dict[str, list[Any]] = field(default_factory=dict)
    read: int = 0
    unknown: int = 0
    #: The error that stopped the pass after some appointments were read (None: the whole window).
    stopped: ConnectorError | None = None


async def _read_window(ea: EasyAppointmentsClient, date_from: date, date_to: date) -> _WindowRead:
    """Customers, services and providers once, then the appointment pages (one page alive at a time).

    Bad credentials, and any failure before the first appointment, raise; a later failure ends
    the pass with what was read (``stopped``).
    """
    out = _WindowRead()
    try:
        services = await ea.list_services()
        providers = await ea.list_providers()
        customers = await ea.list_customers()
        known = {c.id for c in customers}
        out.mapper = AppointmentMapper(customers, services, providers, tz=ea.zone)
        del customers
        # Keep only the mapped fields of each page, so one page of records is alive at a time.
        # Bulk path: plain JSON objects, validated and localised column-wise by the mapping.
        one_day = timedelta(days=1)
        async for page in ea.iter_appointment_dicts(date_from - one_day, date_to + one_day):
            out.read += len(page)
            out.unknown += sum(1 for a in page if a.get("customerId") not in known)
            for name, values in appointment_columns(page).items():
                out.columns.setdefault(name, []).extend(values)
    except AuthenticationError:
        raise
    except ConnectorError as exc:
        if not out.read:
            raise
        out.stopped = exc
    return out


def _window_frame(window: _WindowRead, date_from: date, date_to: date) -> tuple[pd.DataFrame, list[str]]:
    """The bookings starting in the UTC days ``[date_from, date_to]``, and notes on what was left out."""
    mapper = window.mapper
    frame = (
        mapper.map(pd.DataFrame(window.columns))
        if mapper is not None and window.read
        else empty_interactions()
    )
    frame = frame.loc[in_utc_days(frame, date_from, date_to)].reset_index(drop=True)
    dropped = mapper.dropped if mapper is not None else 0
    frame.attrs[DROPPED_ATTR] = dropped
    notes = [f"stopped after {window.read} appointments: {window.stopped}"] if window.stopped else []
    if dropped:
        notes.append(f"{dropped} draft appointments skipped (not bookings)")
    if window.unknown:
        notes.append(f"{window.unknown} appointments whose customer no longer exists (no email)")
    return frame, notes


async def extract_appointments(
    date_from: date,
    date_to: date,
    settings: EasyAppointmentsSettings | None = None,
    *,
    client: httpx.AsyncClient | None = None,
    retry: RetryPolicy | None = None,
    logger: logging.Logger | logging.LoggerAdapter[Any] | None = None,
) -> SourceExtract:
    """Read customers, services and providers once, then every appointment starting in the window.

    The window is the UTC days ``[date_from, date_to]`` (see the module doc).
    Returns the interactions frame (drafts dropped and counted in ``notes``). If the
    server fails part-way (rate limit or errors beyond the retry budget) the rows read so
    far are returned with ``complete=False``; bad credentials raise.
    """
    log = logger or logging.getLogger(__name__)
    async with EasyAppointmentsClient(
        settings or EasyAppointmentsSettings(), client=client, retry=retry
    ) as ea:
        window = await _read_window(ea, date_from, date_to)
        calls = ea.stats.requests
    if window.stopped is not None:
        log.warning("EasyAppointments extraction incomplete: %s", window.stopped)
    frame, notes = _window_frame(window, date_from, date_to)
    log.info(
        "EasyAppointments %s..%s: %d bookings from %d appointments in %d API calls",
        date_from,
        date_to,
        len(frame),
        window.read,
        calls,
    )
    return SourceExtract(
        source=SOURCE,
        date_from=date_from,
        date_to=date_to,
        frame=frame,
        api_calls=calls,
        complete=window.stopped is None,
        notes=notes,
    )


@task(
    name="extract-easyappointments", retries=1, retry_delay_seconds=120, retry_condition_fn=only_rate_limits
)
async def extract_easyappointments(
    date_from: date, date_to: date, settings: EasyAppointmentsSettings | None = None
) -> SourceExtract:
    """Extract the EasyAppointments bookings starting in ``[date_from, date_to]`` (local days).

    One retry after a full rate-limit window (120 s); the HTTP layer already retries
    each request.
    """
    return await extract_appointments(date_from, date_to, settings, logger=run_logger(__name__))
