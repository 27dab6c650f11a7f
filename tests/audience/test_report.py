"""audience-sync's summary and trend as markdown (pure)."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from typing import Any

from audience.report import summary_markdown, trend_markdown, trend_rows, trend_svg

SUMMARY: dict[str, Any] = {
    "dry_run": False,
    "as_of": "2026-03-01T06:00:00Z",
    "sources": {
        "easyappointments": {
            "date_from": "2026-01-01",
            "date_to": "2026-05-30",
            "rows": 812,
            "api_calls": 14,
            "complete": True,
            "notes": ["3 draft appointments skipped (not bookings)"],
        },
        "zoom": {
            "date_from": "2026-01-01",
            "date_to": "2026-05-30",
            "rows": 40,
            "api_calls": 9,
            "complete": False,
            "notes": ["stopped after 40 participants: zoom | daily limit"],
        },
    },
    "people": 301,
    "unresolvable_interactions": 2,
    "segments": {"new": 120, "returning": 150, "loyal": 31, "recent": 90, "inactive": 60},
    "brevo": {
        "list_id": 7,
        "created": 12,
        "updated": 5,
        "unchanged": 280,
        "removed": 1,
        "rejected": 2,
        "skipped_consent": 3,
        "api_calls": 6,
        "event_lists": {"added": 4, "removed": 1, "lists": 2},
    },
    "api_calls": {"easyappointments": 14, "zoom": 9, "brevo": 6},
}


def test_summary_is_tables_with_notes_as_a_list() -> None:
    md = summary_markdown(SUMMARY)
    assert "```" not in md and "As of 2026-03-01 06:00 UTC." in md
    assert "| easyappointments | 2026-01-01 → 2026-05-30 | 812 | 14 | complete |" in md
    # Incomplete says why; a pipe in a note does not break the table.
    assert (
        "| zoom | 2026-01-01 → 2026-05-30 | 40 | 9 | incomplete: stopped after 40 participants: zoom \\| daily limit |"
        in md
    )
    assert "- **easyappointments**: 3 draft appointments skipped (not bookings)" in md
    assert "| loyal | 31 |" in md and "| returning | 150 |" in md
    assert "| created | updated | unchanged | removed | rejected | consent-skipped | calls |" in md
    assert "| 12 | 5 | 280 | 1 | 2 | 3 | 6 |" in md
    assert "Event lists: 4 added, 1 removed over 2 list(s)." in md
    # Every table row has as many cells as its header.
    for block in re.split(r"\n\n", md):
        lines = [line for line in block.splitlines() if line.startswith("|")]
        if lines:
            widths = {len(re.split(r"(?<!\\)\|", line)) for line in lines}
            assert len(widths) == 1, block


def test_dry_run_and_no_sources_say_so() -> None:
    md = summary_markdown({**SUMMARY, "dry_run": True, "sources": {}})
    assert "dry run: nothing sent" in md and "No source was read" in md


def test_trend_has_a_column_per_segment_seen_in_any_run() -> None:
    rows = trend_rows(
        [
            (datetime(2026, 3, 1, 6, tzinfo=UTC), 10, {"new": 10}),
            (datetime(2026, 3, 2, 6, tzinfo=UTC), 14, {"new": 9, "returning": 5}),
        ]
    )
    assert rows == [
        {"as of": "2026-03-01 06:00", "people": 10, "new": 10, "returning": 0},
        {"as of": "2026-03-02 06:00", "people": 14, "new": 9, "returning": 5},
    ]
    svg = trend_svg(rows)
    assert svg.startswith("<svg") and 'fill="#fff"' in svg
    assert svg.count("<polyline") == 2 and ">returning<" in svg
    md = trend_markdown(rows)
    image = re.search(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", md)
    assert image is not None and base64.b64decode(image.group(1)).decode() == svg
    assert "| 2026-03-02 06:00 | 14 | 9 | 5 |" in md


def test_an_empty_trend_says_nothing_was_recorded() -> None:
    assert "No audience-sync run" in trend_markdown([])
