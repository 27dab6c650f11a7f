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
from datetime import date, timedelta
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


class OutputFormat(StrEnum):
    """How the listing is printed."""

    table = "table"
    json = "json"
    csv = "csv"


def _rows(
    appointments: list[Appointment],
    customers: dict[int, Customer],
    services: dict[int, Service],
    providers: dict[int, Provider],
    settings: EasyAppointmentsSettings,
) -> list[dict[str, Any]]:
    from audience.status import status_mapper

    map_status = status_mapper()
    zone = settings.zone
    rows = []
    for appointment in appointments:
        status = map_status(appointment.status)
        customer = customers.get(appointment.customerId or -1)
        service = services.get(appointment.serviceId or -1)
        provider = providers.get(appointment.providerId or -1)
        rows.append(
            {
                "id": appointment.id,
                "start": appointment.start.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                "end": appointment.end.astimezone(zone).strftime("%Y-%m-%d %H:%M") if appointment.end else "",
                "status": "draft" if status is None else status,
                "status_raw": appointment.status or "",
                "service": service.name if service and service.name else "",
                "provider": provider.full_name if provider else "",
                "customer": " ".join(p for p in (customer.firstName, customer.lastName) if p)
                if customer
                else "",
                "email": (customer.email or "").strip() if customer else "",
            }
        )
    return rows


def _status_matches(row: dict[str, Any], wanted: str) -> bool:
    wanted = wanted.strip().lower()
    return (
        row["status"] == wanted.replace("-", "_").replace(" ", "_")
        or wanted in str(row["status_raw"]).lower()
    )


async def _fetch(
    settings: EasyAppointmentsSettings,
    date_from: date,
    date_till: date,
    service: int | None,
    provider: int | None,
    page: int | None,
    page_size: int,
) -> tuple[list[dict[str, Any]], int]:
    from connectors.easyappointments import EasyAppointmentsClient

    async with EasyAppointmentsClient(settings) as ea:
        services = {s.id: s for s in await ea.list_services()}
        providers = {p.id: p for p in await ea.list_providers()}
        if page is None:
            appointments = [
                a
                async for a in ea.iter_appointments(
                    date_from, date_till, service_id=service, provider_id=provider
                )
            ]
        else:
            appointments = await ea.list_appointments(
                page,
                page_size,
                date_from=date_from,
                date_till=date_till,
                service_id=service,
                provider_id=provider,
            )
        # Customers once per run, joined locally (never one request per appointment).
        customers = {c.id: c async for c in ea.iter_customers()} if appointments else {}
        return _rows(appointments, customers, services, providers, settings), ea.stats.requests


def _render(rows: list[dict[str, Any]], fmt: OutputFormat) -> str:
    if fmt is OutputFormat.json:
        return json.dumps(rows, ensure_ascii=False, indent=2)
    if fmt is OutputFormat.csv:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(COLUMNS), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue().rstrip("\n")
    if not rows:
        return "No appointments."
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in COLUMNS}
    lines = ["  ".join(c.upper().ljust(widths[c]) for c in COLUMNS)]
    lines += ["  ".join(str(r[c]).ljust(widths[c]) for c in COLUMNS).rstrip() for r in rows]
    return "\n".join(lines)


@app.command("appointments")
def appointments(
    date_from: Annotated[
        date | None,
        typer.Option(
            "--from", formats=["%Y-%m-%d"], help="first start date (instance local; default today - 30 days)"
        ),
    ] = None,
    date_till: Annotated[
        date | None,
        typer.Option(
            "--till", formats=["%Y-%m-%d"], help="last start date, inclusive (default today + 30 days)"
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
    date_from = date_from or today - timedelta(days=30)
    date_till = date_till or today + timedelta(days=30)
    if date_from > date_till:
        raise typer.BadParameter("--from is after --till")
    from connectors.easyappointments import EasyAppointmentsSettings
    from tasks.preflight import require_settings

    require_settings("easyappointments")  # a missing or invalid setting: the admin's sentence (cli_errors)
    settings = EasyAppointmentsSettings()
    rows, calls = asyncio.run(_fetch(settings, date_from, date_till, service, provider, page, page_size))
    if status:
        rows = [r for r in rows if _status_matches(r, status)]
    typer.echo(_render(rows, output))
    if output is OutputFormat.table:
        print(f"{len(rows)} appointments, {calls} API calls", file=sys.stderr)
