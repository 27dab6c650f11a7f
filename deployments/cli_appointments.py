"""``engarde appointments``: list EasyAppointments bookings straight from the API.

A typer sub-app; the main CLI registers it (``app.add_typer(cli_appointments.app)`` or
its command). Reads the ``EASYAPPOINTMENTS_*`` settings; paging respects the instance's
rate limit through the connector's shared budget.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sys
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:  # imported when the command runs: the CLI must start fast
    from connectors.easyappointments import (
        Appointment,
        Customer,
        EasyAppointmentsSettings,
        Provider,
        Service,
    )

app = typer.Typer(help="EasyAppointments bookings.", no_args_is_help=False, add_completion=False)

COLUMNS = ("id", "start", "end", "status", "status_raw", "service", "provider", "customer", "email")
STATUS, STATUS_RAW = COLUMNS.index("status"), COLUMNS.index("status_raw")

#: One listing row: the id, then every other column as text (in COLUMNS' order).
Row = tuple[Any, ...]


class OutputFormat(StrEnum):
    """How the listing is printed."""

    table = "table"
    json = "json"
    csv = "csv"


class _Lookups:
    """What a row shows of its customer, service, provider and status, each worked out once
    (20,000 rows share a few thousand customers and a handful of statuses)."""

    def __init__(
        self, customers: dict[int, Customer], services: dict[int, Service], providers: dict[int, Provider]
    ) -> None:
        from audience.status import status_mapper

        self.customers = {
            i: (" ".join(p for p in (c.firstName, c.lastName) if p), (c.email or "").strip())
            for i, c in customers.items()
        }
        self.services = {i: s.name or "" for i, s in services.items()}
        self.providers = {i: p.full_name for i, p in providers.items()}
        self._map_status = status_mapper()
        self._statuses: dict[str | None, tuple[str, str]] = {}

    def status(self, raw: str | None) -> tuple[str, str]:
        """``(mapped status, raw label)``; ``draft`` for what is not a booking."""
        if raw not in self._statuses:
            mapped = self._map_status(raw)
            self._statuses[raw] = ("draft" if mapped is None else mapped, raw or "")
        return self._statuses[raw]

    def row(
        self, ids: tuple[int, int | None, int | None, int | None], start: str, end: str, raw: str | None
    ) -> Row:
        """One listing row (a tuple: 20,000 of them are built, measured and printed)."""
        appointment_id, customer_id, service_id, provider_id = ids
        return (
            appointment_id,
            start,
            end,
            *self.status(raw),
            self.services.get(service_id or -1, ""),
            self.providers.get(provider_id or -1, ""),
            *self.customers.get(customer_id or -1, ("", "")),
        )


def _rows(appointments: list[Appointment], lookups: _Lookups, zone: tzinfo) -> list[Row]:
    """Rows of typed appointments (one page), their times shown in the instance's zone."""

    def local(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""

    return [
        lookups.row((a.id, a.customerId, a.serviceId, a.providerId), local(a.start), local(a.end), a.status)
        for a in appointments
    ]


def _rows_from_json(appointments: list[dict[str, Any]], lookups: _Lookups) -> list[Row]:
    """Rows of the server's JSON objects (a whole listing): its naive ``Y-m-d H:i:s`` texts are
    already the instance's local time, shown as they are (no per-record model, no zone round trip)."""
    return [
        lookups.row(
            (a["id"], a.get("customerId"), a.get("serviceId"), a.get("providerId")),
            a["start"][:16],
            (a.get("end") or "")[:16],
            a.get("status"),
        )
        for a in appointments
    ]


def _status_matches(row: Row, wanted: str) -> bool:
    wanted = wanted.strip().lower()
    return row[STATUS] == wanted.replace("-", "_").replace(" ", "_") or wanted in str(row[STATUS_RAW]).lower()


async def _fetch(
    settings: EasyAppointmentsSettings,
    date_from: date,
    date_till: date,
    service: int | None,
    provider: int | None,
    page: int | None,
    page_size: int,
) -> tuple[list[Row], int]:
    from connectors.easyappointments import EasyAppointmentsClient

    async with EasyAppointmentsClient(settings) as ea:
        services = {s.id: s for s in await ea.list_services()}
        providers = {p.id: p for p in await ea.list_providers()}
        listed: list[dict[str, Any]] = []
        typed: list[Appointment] = []
        if page is None:
            async for batch in ea.iter_appointment_dicts(
                date_from, date_till, service_id=service, provider_id=provider
            ):
                listed.extend(batch)
        else:
            typed = await ea.list_appointments(
                page,
                page_size,
                date_from=date_from,
                date_till=date_till,
                service_id=service,
                provider_id=provider,
            )
        # Customers once per run, joined locally (never one request per appointment).
        customers = {c.id: c async for c in ea.iter_customers()} if (listed or typed) else {}
        lookups = _Lookups(customers, services, providers)
        rows = _rows_from_json(listed, lookups) if page is None else _rows(typed, lookups, settings.zone)
        return rows, ea.stats.requests


def _render(rows: list[Row], fmt: OutputFormat) -> str:
    if fmt is OutputFormat.json:
        return json.dumps([dict(zip(COLUMNS, r, strict=True)) for r in rows], ensure_ascii=False, indent=2)
    if fmt is OutputFormat.csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)
        return buffer.getvalue().rstrip("\n")
    if not rows:
        return "No appointments."
    texts = [(str(r[0]), *r[1:]) for r in rows]
    widths = [
        max(len(c), *map(len, column)) for c, column in zip(COLUMNS, zip(*texts, strict=True), strict=True)
    ]
    line = "  ".join(f"{{:<{w}}}" for w in widths)  # one format string for every row
    header = line.format(*(c.upper() for c in COLUMNS))
    return "\n".join([header, *(line.format(*t).rstrip() for t in texts)])


@app.command("appointments")
def appointments(
    date_from: Annotated[
        datetime | None,
        typer.Option(
            "--from",
            formats=["%Y-%m-%d"],
            metavar="YYYY-MM-DD",
            help="first start date (instance local; default today - 30 days)",
        ),
    ] = None,
    date_till: Annotated[
        datetime | None,
        typer.Option(
            "--till",
            formats=["%Y-%m-%d"],
            metavar="YYYY-MM-DD",
            help="last start date, inclusive (default today + 30 days)",
        ),
    ] = None,
    service: Annotated[int | None, typer.Option("--service", help="service id")] = None,
    provider: Annotated[int | None, typer.Option("--provider", help="provider id")] = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            help="booked | cancelled | no_show | draft, or any text of the instance's own status labels",
        ),
    ] = None,
    page: Annotated[
        int | None,
        typer.Option("--page", min=1, help="one page (1-based) of --page-size; without it, list everything"),
    ] = None,
    page_size: Annotated[
        int, typer.Option("--page-size", min=1, help="appointments per page with --page")
    ] = 20,
    output: Annotated[OutputFormat, typer.Option("--format", help="table, json or csv")] = OutputFormat.table,
) -> None:
    """List the appointments starting between --from and --till (inclusive, instance local dates).

    Without --page every appointment in the range is listed (the API is paged for you,
    within its rate limit). --status filters on the mapped status or the raw label; with
    --page it filters within that page. Times are shown in the instance's time zone.
    """
    today = date.today()
    first = date_from.date() if date_from else today - timedelta(days=30)
    last = date_till.date() if date_till else today + timedelta(days=30)
    if first > last:
        raise typer.BadParameter("--from is after --till")
    import gc

    from connectors.easyappointments import EasyAppointmentsSettings
    from tasks.preflight import require_settings

    gc.freeze()  # what the imports built lives as long as the process: collections need not rescan it

    require_settings("easyappointments")  # a missing or invalid setting: the admin's sentence (cli_errors)
    settings = EasyAppointmentsSettings()
    rows, calls = asyncio.run(_fetch(settings, first, last, service, provider, page, page_size))
    if status:
        rows = [r for r in rows if _status_matches(r, status)]
    typer.echo(_render(rows, output))
    if output is OutputFormat.table:
        print(f"{len(rows)} appointments, {calls} API calls", file=sys.stderr)
