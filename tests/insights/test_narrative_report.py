"""Deterministic narrative (always grounded) and report rendering (markdown, self-contained HTML)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from insights.models import DroppedInsight, FactSheet, Insight
from insights.narrative import DETERMINISTIC_MODEL, deterministic_insights
from insights.report import build_report, render_html, render_markdown, write_html
from insights.validator import validate_insights


def test_deterministic_narrative_is_grounded(literal_sheet: FactSheet, generated_sheet: FactSheet) -> None:
    for sheet in (literal_sheet, generated_sheet):
        insights = deterministic_insights(sheet)
        assert len(insights) >= 8
        good, bad = validate_insights(insights, sheet)
        assert bad == []
        assert len(good) == len(insights)
    text = " ".join(i.text for i in deterministic_insights(literal_sheet))
    assert "Bookings: 6, up 4 (+200.0%) from 2." in text
    assert "EUR 150.00" in text


def _report(sheet: FactSheet) -> object:
    dropped = [
        DroppedInsight(
            insight=Insight(title="Bad", text="About 987,654.", fact_ids=["overview.bookings"]),
            reasons=["text: '987,654' is not among the numbers of cited facts [overview.bookings]"],
        )
    ]
    return build_report(
        sheet,
        deterministic_insights(sheet),
        model=DETERMINISTIC_MODEL,
        generated_at=datetime(2026, 10, 16, 8, tzinfo=UTC),
        dropped=dropped,
    )


def test_markdown_has_narrative_tables_and_charts(generated_sheet: FactSheet) -> None:
    md = render_markdown(_report(generated_sheet))  # type: ignore[arg-type]
    assert md.startswith("# Booking insights")
    assert "narrated by **deterministic**" in md
    assert "## Dropped insights" in md and "987,654" in md
    for heading in ("### Overview", "### Demographics", "### Patterns", "### Conversion"):
        assert heading in md
    assert md.count("data:image/svg+xml;base64,") == 3
    assert "| overview.bookings | Bookings (every status: booked, cancelled, no-show) |" in md
    # the provider table (with real staff names) is local to the report
    assert "Coach " in md


def test_html_is_self_contained(generated_sheet: FactSheet, tmp_path: Path) -> None:
    report = _report(generated_sheet)
    html = render_html(report)  # type: ignore[arg-type]
    assert html.count("<svg") == 3
    assert "<script" not in html.lower()
    # the only URL is the SVG namespace: no CDN, no external stylesheet or image
    urls = set(re.findall(r"https?://[^\s\"'<>]+", html))
    assert urls == {"http://www.w3.org/2000/svg"}
    path = write_html(report, tmp_path / "reports")  # type: ignore[arg-type]
    assert path.parent == tmp_path / "reports" and path.read_text(encoding="utf-8") == html
    assert path.name == "booking-insights_2026-09-16_2026-10-15_20261016T080000.html"
