"""What a ``poshvip-events`` run did: its summary, its artifacts (markdown and tables) and its digest text.

The summary and the texts are built from the run's mapping result and revenue figures alone (no
I/O); :func:`publish_run_artifacts` is the one place they reach Prefect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd
from prefect.artifacts import acreate_markdown_artifact, acreate_table_artifact
from pydantic import BaseModel, Field

from insights.revenue import RevenueReport
from tasks.poshvip import MappingResult, UnmappedItem

UNMAPPED_COLUMNS = ["id", "received_at", "event_type", "status", "reason"]
#: Unmapped events listed one by one in the digest (the rest are counted).
DIGEST_UNMAPPED = 20


class RevenueRow(BaseModel):
    """Revenue in one currency."""

    currency: str
    gross: float
    refunds: float
    net: float
    tickets: int
    buyers: int


class PoshvipEventsSummary(BaseModel):
    """What one run did (printed as JSON by the CLI)."""

    selected: int = 0
    processed: int = 0
    unmapped: int = 0
    orders: int = 0
    interactions: int = 0
    affected_people: int = 0
    new_purchases: int = 0
    refunds: int = 0
    transfers: int = 0
    check_ins: int = 0
    revenue: list[RevenueRow] = Field(default_factory=list)
    unmapped_events: list[dict[str, Any]] = Field(default_factory=list)
    audience_synced: bool = False
    admins_emailed: bool = False
    replay: bool = False
    dry_run: bool = False


@dataclass(frozen=True)
class RunFigures:
    """The counts a run's summary is made of, besides its mapping result."""

    selected: int
    orders: int
    interactions: int
    affected_people: int
    replay: bool
    dry_run: bool


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts: missing values as None, dates and times as ISO strings."""
    out: list[dict[str, Any]] = frame.astype(object).where(frame.notna(), None).to_dict("records")  # type: ignore[assignment]
    for row in out:
        for key, value in row.items():
            if isinstance(value, date | datetime):
                row[key] = value.isoformat()
    return out


def summarize(result: MappingResult, figures: RunFigures, run_report: RevenueReport) -> PoshvipEventsSummary:
    """The run's summary: counts per event type, revenue per currency, every unmapped event."""
    kinds = [m.event.event_type for m in result.mapped]
    return PoshvipEventsSummary(
        selected=figures.selected,
        processed=len(result.mapped),
        unmapped=len(result.unmapped),
        orders=figures.orders,
        interactions=figures.interactions,
        affected_people=figures.affected_people,
        new_purchases=kinds.count("purchase.created"),
        refunds=kinds.count("purchase.refunded"),
        transfers=kinds.count("ticket.transferred"),
        check_ins=kinds.count("ticket.checked_in"),
        revenue=[
            RevenueRow(**{k: row[k] for k in ("currency", "gross", "refunds", "net", "tickets", "buyers")})
            for row in records(run_report.totals)
        ],
        unmapped_events=[
            {
                "id": u.id,
                "received_at": u.received_at.isoformat(),
                "event_type": u.event_type,
                "status": u.status,
                "reason": u.reason,
            }
            for u in result.unmapped
        ],
        replay=figures.replay,
        dry_run=figures.dry_run,
    )


def table_markdown(frame: pd.DataFrame) -> str:
    """A markdown table of ``frame`` (``_none_`` when empty)."""
    if frame.empty:
        return "_none_\n"
    cols = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in records(frame):
        lines.append("| " + " | ".join("" if row[c] is None else str(row[c]) for c in cols) + " |")
    return "\n".join(lines) + "\n"


def revenue_markdown(title: str, report: RevenueReport) -> str:
    """Totals, per event and per day of ``report`` under ``title``."""
    return (
        f"### {title}\n\n**Totals**\n\n{table_markdown(report.totals)}\n**Per event**\n\n"
        f"{table_markdown(report.per_event)}\n**Per day**\n\n{table_markdown(report.per_day)}\n"
    )


def run_markdown(
    summary: PoshvipEventsSummary, run_report: RevenueReport, window: tuple[str, RevenueReport] | None
) -> str:
    """The run's artifact: counts, unmapped events, this run's revenue and (with a window) the window's."""
    markdown = [
        f"## Posh.VIP events{' (dry run)' if summary.dry_run else ''}{' (replay)' if summary.replay else ''}\n",
        f"Selected {summary.selected}, processed {summary.processed}, unmapped {summary.unmapped}; "
        f"{summary.orders} orders, {summary.interactions} interactions, {summary.affected_people} people.\n",
        "### Unmapped events\n",
        table_markdown(pd.DataFrame(summary.unmapped_events, columns=UNMAPPED_COLUMNS)),
        revenue_markdown("Revenue from this run's events", run_report),
    ]
    if window is not None:
        markdown.append(revenue_markdown(*window))
    return "\n".join(markdown)


def digest_text(summary: PoshvipEventsSummary, unmapped: list[UnmappedItem]) -> str:
    """The admin digest: new purchases, refunds, unmapped events, net revenue (no personal data)."""
    lines = [
        f"Posh.VIP events processed: {summary.processed} (unmapped: {summary.unmapped})",
        f"New purchases: {summary.new_purchases}; refunds: {summary.refunds}; "
        f"transfers: {summary.transfers}; check-ins: {summary.check_ins}",
    ]
    lines += [
        f"Revenue {r.currency}: gross {r.gross:.2f}, refunds {r.refunds:.2f}, net {r.net:.2f}, "
        f"{r.tickets} tickets, {r.buyers} buyers"
        for r in summary.revenue
    ]
    for item in unmapped[:DIGEST_UNMAPPED]:
        label = "Failed" if item.status == "failed" else "Unmapped"
        lines.append(f"{label} event #{item.id} ({item.event_type or 'unknown type'}): {item.reason}")
    if len(unmapped) > DIGEST_UNMAPPED:
        lines.append(
            f"... and {len(unmapped) - DIGEST_UNMAPPED} more unmapped events (see the run's artifact)"
        )
    return "\n".join(lines)


async def publish_run_artifacts(
    summary: PoshvipEventsSummary, run_report: RevenueReport, window: tuple[str, RevenueReport] | None
) -> None:
    """The run's markdown artifact, and tables of its unmapped events and revenue per event."""
    await acreate_markdown_artifact(
        run_markdown(summary, run_report, window), key="poshvip-events", description="Posh.VIP events run"
    )
    if summary.unmapped_events:
        await acreate_table_artifact(
            summary.unmapped_events, key="poshvip-unmapped", description="Unmapped Posh.VIP events"
        )
    if not run_report.per_event.empty:
        await acreate_table_artifact(
            records(run_report.per_event), key="poshvip-revenue", description="Revenue per event"
        )
