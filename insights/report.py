"""The insights report: one model, rendered to markdown (Prefect artifact) and self-contained HTML."""

from __future__ import annotations

import base64
from datetime import datetime
from html import escape
from pathlib import Path

from pydantic import BaseModel, Field

from insights.charts import bar_svg, heatmap_svg, line_svg
from insights.models import (
    AnalysisType,
    DroppedInsight,
    Fact,
    FactSheet,
    FactTable,
    Insight,
    Window,
)
from insights.narrative import format_value


class Report(BaseModel):
    """A finished report: facts, grounded insights, dropped insights and who narrated them."""

    window: Window
    previous_window: Window
    as_of: datetime
    analysis_types: list[AnalysisType]
    facts: list[Fact]
    tables: list[FactTable] = Field(default_factory=list)
    insights: list[Insight]
    dropped: list[DroppedInsight] = Field(default_factory=list)
    model: str
    generated_at: datetime
    html_path: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    notes: list[str] = Field(default_factory=list)

    def table(self, table_id: str) -> FactTable | None:
        """The table with ``table_id``, if present."""
        return next((t for t in self.tables if t.id == table_id), None)


def build_report(
    sheet: FactSheet,
    insights: list[Insight],
    *,
    model: str,
    generated_at: datetime,
    dropped: list[DroppedInsight] | None = None,
    input_tokens: int | None = None,
    output_tokens: int | None = None,
    notes: list[str] | None = None,
) -> Report:
    """Assemble a :class:`Report` from a fact sheet and its (validated) insights."""
    return Report(
        window=sheet.window,
        previous_window=sheet.previous_window,
        as_of=sheet.as_of,
        analysis_types=sheet.analysis_types,
        facts=sheet.facts,
        tables=sheet.tables,
        insights=insights,
        dropped=dropped or [],
        model=model,
        generated_at=generated_at,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        notes=notes or [],
    )


def _drawn(report: Report, table_id: str) -> FactTable | None:
    """The table behind a chart, or ``None`` when it is absent or all zeros (a chart of nothing
    would only show made-up axis values)."""
    table = report.table(table_id)
    if table is None or not any(isinstance(v, int | float) and v for row in table.rows for v in row[1:]):
        return None
    return table


def _charts(report: Report) -> list[tuple[str, str]]:
    """(title, svg) for every chart whose table is present and not empty."""
    out: list[tuple[str, str]] = []
    for table_id, draw in (
        ("patterns.daily", line_svg),
        ("patterns.weekday_hour", heatmap_svg),
        ("patterns.lead_time", bar_svg),
    ):
        table = _drawn(report, table_id)
        if table is not None:
            out.append((table.title, draw(table)))
    return out


_SPARK = "▁▂▃▄▅▆▇█"
_SHADE = " ░▒▓█"


def _scale(values: list[float], glyphs: str) -> str:
    peak = max(values, default=0.0)
    if peak <= 0:
        return glyphs[0] * len(values)
    return "".join(glyphs[min(len(glyphs) - 1, round(v / peak * (len(glyphs) - 1)))] for v in values)


def _text_charts(report: Report) -> list[str]:
    """Bookings per day as a sparkline and the weekday x hour heatmap as shaded characters."""
    lines: list[str] = []
    daily = _drawn(report, "patterns.daily")
    if daily is not None:
        values = [float(r[1]) if isinstance(r[1], int | float) else 0.0 for r in daily.rows]
        lines += [f"bookings per day {daily.rows[0][0]}..{daily.rows[-1][0]}", _scale(values, _SPARK), ""]
    grid = _drawn(report, "patterns.weekday_hour")
    if grid is not None:
        cells = [[float(v) if isinstance(v, int | float) else 0.0 for v in r[1:]] for r in grid.rows]
        peak = max((v for row in cells for v in row), default=0.0)
        lines.append("weekday x hour    " + "".join(str(h % 10) for h in range(24)))
        for row, values in zip(grid.rows, cells, strict=True):
            shaded = _scale([*values, peak], _SHADE)[:-1]
            lines.append(f"{row[0]!s:<17} {shaded}")
    return lines


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if not value.is_integer() else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _fact_row(f: Fact) -> list[str]:
    change = "" if f.change is None else _cell(f.change)
    rel = "" if f.change_pct is None else f"{f.change_pct:+.1f}%"
    share = "" if f.share is None else f"{f.share:.1f}%"
    return [
        f.id,
        f.label,
        format_value(f.value, f.unit),
        format_value(f.previous, f.unit) if f.previous is not None else "",
        change,
        rel,
        share,
    ]


_FACT_HEADER = ["id", "fact", "value", "previous", "change", "change %", "share"]


def _fact_families(report: Report) -> list[str]:
    """The analysis types, then ``history`` when the report has history facts."""
    kinds: list[str] = list(report.analysis_types)
    return kinds + (["history"] if any(f.id.startswith("history.") for f in report.facts) else [])


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    def clean(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(clean(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _window_line(report: Report) -> str:
    w, p = report.window, report.previous_window
    return (
        f"Window **{w.date_from} to {w.date_to}** compared with {p.date_from} to {p.date_to}; "
        f"analysis: {', '.join(report.analysis_types)}; narrated by **{report.model}**."
    )


def render_markdown(report: Report, *, charts: bool = True) -> str:
    """Markdown for a Prefect artifact: narrative, dropped insights, fact tables, charts.

    Charts are inline SVG embedded as ``data:`` image URIs (no external assets).
    """
    out = ["# Booking insights", "", _window_line(report), ""]
    out += [f"> {note}" for note in report.notes] + ([""] if report.notes else [])
    out += ["## Insights", ""]
    for ins in report.insights:
        out += [f"### {ins.title}", "", ins.text, ""]
        if ins.suggested_action:
            out += [f"**Suggested action:** {ins.suggested_action}", ""]
        out += [f"_Facts: {', '.join(ins.fact_ids)}_", ""]
    if report.dropped:
        out += ["## Dropped insights (numbers not grounded in facts)", ""]
        for d in report.dropped:
            out += [f"- **{d.insight.title}**: {'; '.join(d.reasons)}"]
        out.append("")
    drawn = _charts(report) if charts else []
    if drawn:
        out += ["## Charts", ""]
        for title, svg in drawn:
            data = base64.b64encode(svg.encode()).decode()
            out += [f"**{title}**", "", f"![{title}](data:image/svg+xml;base64,{data})", ""]
        # plain-text twins of the charts, for viewers that do not show data: images
        out += ["```text", *_text_charts(report), "```", ""]
    out += ["## Facts", ""]
    for kind in _fact_families(report):
        rows = [_fact_row(f) for f in report.facts if f.id.startswith(f"{kind}.")]
        out += [f"### {kind.capitalize()}", "", _md_table(_FACT_HEADER, rows), ""]
    for table in report.tables:
        if table.id in {"patterns.weekday_hour", "patterns.daily"}:
            continue
        out += [
            f"### {table.title}",
            "",
            _md_table(table.columns, [[_cell(v) for v in r] for r in table.rows]),
            "",
        ]
    return "\n".join(out)


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_CSS = """
body{font-family:system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#111}
table{border-collapse:collapse;margin:.5rem 0 1.5rem;font-size:.85rem}
th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left}
th{background:#f3f4f6}.insight{border-left:4px solid #2563eb;padding:.25rem 1rem;margin:1rem 0}
.ids{color:#555;font-size:.8rem}.dropped{color:#9a3412}figure{margin:1rem 0}
"""


def render_html(report: Report) -> str:
    """A self-contained HTML page (inline CSS and SVG, no scripts or external assets)."""
    w = report.window
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Booking insights {w.date_from} to {w.date_to}</title><style>{_CSS}</style></head><body>",
        "<h1>Booking insights</h1>",
        f"<p>{escape(_window_line(report)).replace('**', '')}</p>",
        *(f"<p class='dropped'>{escape(note)}</p>" for note in report.notes),
        "<h2>Insights</h2>",
    ]
    for ins in report.insights:
        action = (
            f"<p><strong>Suggested action:</strong> {escape(ins.suggested_action)}</p>"
            if ins.suggested_action
            else ""
        )
        parts.append(
            f"<div class='insight'><h3>{escape(ins.title)}</h3><p>{escape(ins.text)}</p>{action}"
            f"<p class='ids'>Facts: {escape(', '.join(ins.fact_ids))}</p></div>"
        )
    if report.dropped:
        parts.append("<h2>Dropped insights</h2><ul class='dropped'>")
        parts += [
            f"<li><strong>{escape(d.insight.title)}</strong>: {escape('; '.join(d.reasons))}</li>"
            for d in report.dropped
        ]
        parts.append("</ul>")
    drawn = _charts(report)
    parts += ["<h2>Charts</h2>"] if drawn else []
    parts += [f"<figure><figcaption>{escape(t)}</figcaption>{svg}</figure>" for t, svg in drawn]
    parts.append("<h2>Facts</h2>")
    for kind in _fact_families(report):
        rows = [_fact_row(f) for f in report.facts if f.id.startswith(f"{kind}.")]
        parts += [f"<h3>{escape(kind.capitalize())}</h3>", _html_table(_FACT_HEADER, rows)]
    for table in report.tables:
        if table.id == "patterns.daily":
            continue
        rows = [[_cell(v) for v in r] for r in table.rows]
        parts += [f"<h3>{escape(table.title)}</h3>", _html_table(table.columns, rows)]
    parts.append("</body></html>")
    return "".join(parts)


def write_html(report: Report, directory: Path) -> Path:
    """Write the HTML report under ``directory`` (created if needed) and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    w = report.window
    stamp = report.generated_at.strftime("%Y%m%dT%H%M%S")
    path = directory / f"booking-insights_{w.date_from}_{w.date_to}_{stamp}.html"
    path.write_text(render_html(report), encoding="utf-8")
    return path
