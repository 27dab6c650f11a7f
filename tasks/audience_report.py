"""audience-sync's artifacts: the run's summary as tables, and the audience trend (stored history).

The trend is read from the project database (``segment_snapshots``), so it survives a reset of
Prefect's own database; both artifacts have stable keys, so the UI's Artifacts page shows their
latest version and its history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect.artifacts import acreate_markdown_artifact, acreate_table_artifact

from audience.report import summary_markdown, trend_markdown, trend_rows
from store.db import session_scope
from store.segment_history import recent_segments, record_segments

SUMMARY_KEY = "audience-sync-summary"
TREND_KEY = "audience-trend"
TREND_CHART_KEY = "audience-trend-chart"


async def publish_audience_report(
    summary: dict[str, Any],
    *,
    record: bool,
    flow_run_id: str | None = None,
    runs: int = 30,
) -> list[dict[str, Any]]:
    """Publish the summary (``AudienceSyncSummary`` as JSON) and, after recording this run's segment
    counts when ``record``, the trend over the last ``runs`` runs. Returns the trend's rows."""
    await acreate_markdown_artifact(
        key=SUMMARY_KEY,
        markdown=summary_markdown(summary),
        description="audience-sync: counts per source, segment and Brevo action",
    )
    with session_scope() as session:
        if record:
            record_segments(
                session,
                as_of=datetime.fromisoformat(str(summary["as_of"])),
                flow_run_id=flow_run_id,
                people=int(summary["people"]),
                segments={str(k): int(v) for k, v in summary["segments"].items()},
            )
        rows = trend_rows([(s.as_of, s.people, s.segments) for s in recent_segments(session, limit=runs)])
    if rows:
        await acreate_table_artifact(
            key=TREND_KEY, table=rows, description="People per segment over the last audience-sync runs"
        )
        await acreate_markdown_artifact(
            key=TREND_CHART_KEY,
            markdown=trend_markdown(rows),
            description="How the audience changed: people per segment over the last runs",
        )
    return rows
