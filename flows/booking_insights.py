"""Flow ``booking-insights``: facts from stored EasyAppointments bookings, narrated by Claude
(aggregates only, every number checked) or deterministically, published as a markdown artifact,
a self-contained HTML file and a stored report."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_markdown_artifact

from insights.facts import parse_analysis_types
from insights.generate import Narration
from insights.history import history_notes
from insights.models import FactSheet, History, Window
from insights.report import Report, build_report, render_markdown, write_html
from tasks.booking_history import prepare_history
from tasks.failures import explains_failures
from tasks.insights import (
    compute_booking_facts,
    load_bookings,
    narrate_booking_facts,
    save_insight_report,
)
from tasks.secrets import resolve_secret_blocks

AnalysisParam = Literal["overview", "demographics", "patterns", "conversion", "all"]


def report_window(date_from: date | None, date_to: date | None, *, today: date, days: int = 30) -> Window:
    """A report's window: ``date_to`` defaults to yesterday (the last whole day), ``date_from`` to
    ``days`` days ending at ``date_to``."""
    end = date_to or today - timedelta(days=1)
    start = date_from or end - timedelta(days=days - 1)
    if end < start:
        raise ValueError(f"date_to {end} is before date_from {start}")
    return Window(date_from=start, date_to=end)


def _write_report(
    sheet: FactSheet, narration: Narration, coverage: History, *, now: datetime, reports_dir: Path
) -> tuple[Report, Path]:
    """The report of ``sheet`` with its narration and history notes, written as a self-contained HTML file."""
    report = build_report(
        sheet,
        narration.insights,
        model=narration.model,
        generated_at=now,
        dropped=narration.dropped,
        input_tokens=narration.input_tokens or None,
        output_tokens=narration.output_tokens or None,
        notes=[*history_notes(coverage), *narration.notes],
    )
    path = write_html(report, reports_dir)
    return report.model_copy(update={"html_path": str(path)}), path


@flow(name="booking-insights")
@explains_failures
async def booking_insights(
    date_from: date | None = None,
    date_to: date | None = None,
    analysis_type: AnalysisParam = "all",
    timezone: str = "UTC",
    refresh: bool = False,
    reports_dir: str = "reports",
) -> dict[str, Any]:
    """Insights on EasyAppointments bookings between ``date_from`` and ``date_to`` (inclusive, UTC),
    compared with the previous window of equal length. Weekdays and hours are read in ``timezone``
    (an IANA name such as ``Europe/Lisbon``). EasyAppointments' whole booking history is read into
    the store once (then only the days after the last read), so new and returning customers count
    every earlier booking; with ``refresh`` the window and the previous one are re-read too.
    Returns the report as JSON (with its id)."""
    resolve_secret_blocks()
    logger = get_run_logger()
    now = datetime.now(UTC)
    window = report_window(date_from, date_to, today=now.date())
    types = parse_analysis_types(analysis_type)
    ZoneInfo(timezone)  # fail before any I/O on an unknown timezone
    previous = window.previous()
    coverage = await prepare_history(window, refresh=refresh, now=now)
    bookings, history = load_bookings(previous.date_from, window.date_to)
    sheet = compute_booking_facts(
        bookings,
        window.date_from,
        window.date_to,
        types,
        as_of=min(now, window.end.to_pydatetime()),
        history=history,
        tz=timezone,
        coverage=coverage,
    )
    narration = await narrate_booking_facts(sheet)
    report, path = _write_report(sheet, narration, coverage, now=now, reports_dir=Path(reports_dir))
    report_id = save_insight_report(report, analysis_type)
    await acreate_markdown_artifact(
        markdown=render_markdown(report),
        key="booking-insights",
        description=f"Booking insights {window.date_from} to {window.date_to} ({report.model})",
    )
    logger.info(
        "report %d: %d insights, %d dropped, HTML at %s",
        report_id,
        len(report.insights),
        len(report.dropped),
        path,
    )
    return {"report_id": report_id, **report.model_dump(mode="json")}
