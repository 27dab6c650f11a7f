"""Prefect tasks for booking insights: compute facts, narrate them (Claude or deterministic)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from connectors.claude import ClaudeClient, ClaudeError, ClaudeSettings
from insights.facts import compute_facts
from insights.generate import Ask, InvalidReplyError, Narration, NarratorReply, narrate, parse_tool_input
from insights.models import AnalysisType, FactSheet, History
from insights.narrative import DETERMINISTIC_MODEL, deterministic_insights, is_sparse
from insights.prompt import INSIGHTS_TOOL, SYSTEM_INSTRUCTIONS
from insights.report import Report
from store.db import session_scope
from store.interactions import load_interactions
from store.models import InsightReport

SOURCE = "easyappointments"

log = logging.getLogger(__name__)


def claude_ask(client: ClaudeClient) -> Ask:
    """Bind the insights prompt and tool to ``client`` as an :data:`~insights.generate.Ask`."""

    async def ask(user: str) -> NarratorReply:
        call = await client.call_tool(system=SYSTEM_INSTRUCTIONS, user=user, tool=INSIGHTS_TOOL)
        return parse_tool_input(
            call.input,
            model=call.model,
            input_tokens=call.input_tokens + call.cache_creation_input_tokens + call.cache_read_input_tokens,
            output_tokens=call.output_tokens,
        )

    return ask


def deterministic_narration(sheet: FactSheet, notes: list[str] | None = None) -> Narration:
    """The narration used without Claude: template insights, ``model="deterministic"``."""
    return Narration(
        insights=deterministic_insights(sheet),
        dropped=[],
        model=DETERMINISTIC_MODEL,
        requests=0,
        input_tokens=0,
        output_tokens=0,
        notes=notes or [],
    )


async def narrate_sheet(sheet: FactSheet, settings: ClaudeSettings | None = None) -> Narration:
    """Claude's grounded narration when ``ANTHROPIC_API_KEY`` is set, else the deterministic one.

    A Claude failure that survived the bounded retries (spend cap, outage) or an answer that does
    not match the insights schema falls back to the
    deterministic narrative and says so in ``notes``, so the report still gets written.
    """
    if is_sparse(sheet):
        n = "No bookings" if sheet.bookings == 0 else f"Only {sheet.bookings} booking(s)"
        return deterministic_narration(sheet, notes=[f"{n} in the window: a plain summary, not narrated."])
    settings = settings or ClaudeSettings()
    if not settings.configured:
        return deterministic_narration(sheet)
    try:
        async with ClaudeClient(settings) as client:
            return await narrate(sheet, claude_ask(client))
    except (ClaudeError, InvalidReplyError) as exc:
        log.error("Claude narration failed, using the deterministic narrative: %s", exc)
        return deterministic_narration(sheet, notes=[f"Claude unavailable ({type(exc).__name__}): {exc}"])


@task(name="load-bookings", cache_policy=NO_CACHE)
def load_bookings(date_from: date, date_to: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stored EasyAppointments bookings from ``date_from`` to ``date_to`` (inclusive), and the
    earlier bookings of the same people (so new and returning customers can be told apart)."""
    with session_scope() as session:
        bookings = load_interactions(session, sources=[SOURCE], occurred_from=date_from, occurred_to=date_to)
        bookings = bookings[bookings["kind"] == "booking"].reset_index(drop=True)
        emails = [str(e) for e in bookings["email"].dropna().unique()]
        history = load_interactions(
            session, sources=[SOURCE], emails=emails, occurred_to=date_from - timedelta(days=1)
        )
    history = history[history["kind"] == "booking"].reset_index(drop=True)
    log.info("loaded %d bookings and %d earlier bookings", len(bookings), len(history))
    return bookings, history


@task(name="save-insight-report", cache_policy=NO_CACHE)
def save_insight_report(report: Report, analysis_type: str) -> int:
    """Store ``report`` in ``insight_reports``; returns its id."""
    with session_scope() as session:
        row = InsightReport(
            created_at=report.generated_at,
            date_from=report.window.date_from,
            date_to=report.window.date_to,
            analysis_type=analysis_type,
            model=report.model,
            report=report.model_dump(mode="json"),
            html_path=report.html_path,
        )
        session.add(row)
        session.flush()
        return int(row.id)


@task(name="compute-booking-facts", cache_policy=NO_CACHE)
def compute_booking_facts(
    bookings: pd.DataFrame,
    date_from: date,
    date_to: date,
    analysis_types: Sequence[AnalysisType],
    as_of: datetime,
    history: pd.DataFrame | None = None,
    tz: str = "UTC",
    coverage: History | None = None,
) -> FactSheet:
    """Facts for the window (pure pandas; see :func:`insights.facts.compute_facts`)."""
    sheet = compute_facts(
        bookings,
        date_from=date_from,
        date_to=date_to,
        analysis_types=analysis_types,
        as_of=as_of,
        history=history,
        tz=tz,
        coverage=coverage,
    )
    log.info("computed %d facts from %d bookings", len(sheet.facts), len(bookings))
    return sheet


@task(name="narrate-booking-facts", cache_policy=NO_CACHE)
async def narrate_booking_facts(sheet: FactSheet) -> Narration:
    """Narrate the facts (Claude or deterministic); Claude errors are handled inside."""
    narration = await narrate_sheet(sheet)
    log.info(
        "narration by %s: %d insights, %d dropped, %d requests",
        narration.model,
        len(narration.insights),
        len(narration.dropped),
        narration.requests,
    )
    return narration
