"""What an audience-sync run did, and how the audience changed, as markdown for Prefect artifacts.

Pure: plain data in (the run's summary as JSON-able dicts, the stored segment snapshots), text
out. Tables instead of a preformatted block, because the Prefect UI clips long lines of a code
block; notes as a list; the trend as an inline SVG (white background, like the insights charts,
readable on the UI's dark theme) and a table.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from datetime import datetime
from html import escape
from typing import Any

#: Colours of the trend's lines, one per segment in order.
PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#4b5563", "#ca8a04")

BREVO_COLUMNS = (
    ("created", "created"),
    ("updated", "updated"),
    ("unchanged", "unchanged"),
    ("removed", "removed"),
    ("rejected", "rejected"),
    ("skipped_consent", "consent-skipped"),
    ("api_calls", "calls"),
)


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub-flavoured markdown table."""
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _source_state(source: Mapping[str, Any]) -> str:
    if source.get("complete"):
        return "complete"
    notes = source.get("notes") or []
    return f"incomplete: {notes[0]}" if notes else "incomplete"


def _instant(value: object) -> str:
    try:
        return f"{datetime.fromisoformat(str(value).replace('Z', '+00:00')):%Y-%m-%d %H:%M} UTC"
    except ValueError:
        return str(value)


def summary_markdown(summary: Mapping[str, Any]) -> str:
    """The run's summary (``AudienceSyncSummary.model_dump(mode="json")``) as headed tables."""
    dry = " (dry run: nothing sent)" if summary.get("dry_run") else ""
    out = [f"# audience-sync{dry}", "", f"As of {_instant(summary.get('as_of'))}.", ""]
    sources = summary.get("sources") or {}
    out += ["## Sources", ""]
    if sources:
        out.append(
            markdown_table(
                ("source", "window", "rows", "calls", "state"),
                [
                    (name, f"{s['date_from']} → {s['date_to']}", s["rows"], s["api_calls"], _source_state(s))
                    for name, s in sources.items()
                ],
            )
        )
    else:
        out.append("No source was read in this run.")
    notes = [f"**{name}**: {note}" for name, s in sources.items() for note in s.get("notes") or []]
    if notes:
        out += ["", "Notes:", "", *(f"- {_cell(n)}" for n in notes)]
    out += [
        "",
        "## People",
        "",
        f"{summary.get('people', 0)} people; {summary.get('unresolvable_interactions', 0)} "
        "interactions without a usable email.",
        "",
        markdown_table(("segment", "people"), sorted((summary.get("segments") or {}).items())),
    ]
    brevo = summary.get("brevo") or {}
    out += [
        "",
        f"## Brevo (list {brevo.get('list_id') or 'not resolved'})",
        "",
        markdown_table(
            [label for _, label in BREVO_COLUMNS], [[brevo.get(key, 0) for key, _ in BREVO_COLUMNS]]
        ),
    ]
    events = brevo.get("event_lists") or {}
    if events.get("lists") or events.get("added") or events.get("removed"):
        out += [
            "",
            f"Event lists: {events.get('added', 0)} added, {events.get('removed', 0)} removed "
            f"over {events.get('lists', 0)} list(s).",
        ]
    return "\n".join(out) + "\n"


def trend_rows(snapshots: Sequence[tuple[datetime, int, Mapping[str, int]]]) -> list[dict[str, Any]]:
    """One row per run (oldest first): ``as of``, ``people`` and a column per segment seen in any run."""
    segments = sorted({name for _, _, counts in snapshots for name in counts})
    return [
        {"as of": f"{as_of:%Y-%m-%d %H:%M}", "people": people, **{s: int(counts.get(s, 0)) for s in segments}}
        for as_of, people, counts in snapshots
    ]


def trend_svg(rows: Sequence[Mapping[str, Any]], *, width: int = 640, height: int = 240) -> str:
    """People per segment over the runs: one line per segment, a legend, a white background."""
    segments = [k for k in (rows[0] if rows else {}) if k not in ("as of", "people")]
    left, right, top, bottom = 44, 130, 16, 28
    peak = max((int(r[s]) for r in rows for s in segments), default=0) or 1
    step = (width - left - right) / max(len(rows) - 1, 1)
    font = 'font-family="system-ui, sans-serif" font-size="10"'

    def y(value: float) -> float:
        return height - bottom - value / peak * (height - top - bottom)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="People per segment over the last runs">',
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="#999"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="#999"/>',
        f'<text x="{left - 4}" y="{top + 4}" text-anchor="end" {font}>{peak}</text>',
        f'<text x="{left - 4}" y="{height - bottom}" text-anchor="end" {font}>0</text>',
    ]
    if rows:
        parts.append(f'<text x="{left}" y="{height - 8}" {font}>{escape(str(rows[0]["as of"]))}</text>')
        parts.append(
            f'<text x="{width - right}" y="{height - 8}" text-anchor="end" {font}>'
            f"{escape(str(rows[-1]['as of']))}</text>"
        )
    for i, segment in enumerate(segments):
        colour = PALETTE[i % len(PALETTE)]
        points = " ".join(f"{left + j * step:.1f},{y(int(r[segment])):.1f}" for j, r in enumerate(rows))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        for j, r in enumerate(rows):
            parts.append(
                f'<circle cx="{left + j * step:.1f}" cy="{y(int(r[segment])):.1f}" r="2.5" fill="{colour}">'
                f"<title>{escape(segment)} {escape(str(r['as of']))}: {int(r[segment])}</title></circle>"
            )
        ly = top + 6 + i * 16
        parts.append(
            f'<rect x="{width - right + 12}" y="{ly - 8}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{width - right + 27}" y="{ly + 1}" {font}>{escape(segment)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def trend_markdown(rows: Sequence[Mapping[str, Any]]) -> str:
    """The trend chart (an inline SVG image) above the same numbers as a table."""
    if not rows:
        return "# Audience trend\n\nNo audience-sync run has been recorded yet.\n"
    data = base64.b64encode(trend_svg(rows).encode()).decode()
    header = list(rows[0])
    return (
        f"# Audience trend\n\nPeople per segment over the last {len(rows)} run(s).\n\n"
        f"![People per segment](data:image/svg+xml;base64,{data})\n\n"
        + markdown_table(header, [[r[h] for h in header] for r in rows])
        + "\n"
    )
