"""Inline SVG charts (no scripts, no external assets): heatmap, line over time, bar histogram."""

from __future__ import annotations

from html import escape

from insights.models import FactTable

_FONT = 'font-family="system-ui, sans-serif" font-size="10"'


def _open(width: float, height: float, title: str) -> str:
    """The ``<svg>`` start tag and an opaque white background: viewers with a dark theme (the
    Prefect UI's default) would otherwise show the dark labels on a dark page."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">'
        f'<rect width="{width}" height="{height}" fill="#fff"/>'
    )


def _num(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def heatmap_svg(table: FactTable) -> str:
    """Weekday x hour heatmap from the ``patterns.weekday_hour`` table."""
    cell, left, top = 18, 70, 20
    hours = table.columns[1:]
    peak = max((_num(v) for row in table.rows for v in row[1:]), default=0.0) or 1.0
    width, height = left + cell * len(hours) + 10, top + cell * len(table.rows) + 10
    parts = [_open(width, height, table.title)]
    for i, hour in enumerate(hours):
        if i % 3 == 0:
            x = left + i * cell + cell / 2
            parts.append(f'<text x="{x}" y="{top - 6}" text-anchor="middle" {_FONT}>{escape(hour)}</text>')
    for r, row in enumerate(table.rows):
        y = top + r * cell
        parts.append(
            f'<text x="{left - 6}" y="{y + 13}" text-anchor="end" {_FONT}>{escape(str(row[0]))}</text>'
        )
        for c, value in enumerate(row[1:]):
            n = _num(value)
            alpha = 0.06 + 0.94 * n / peak if n else 0.03
            parts.append(
                f'<rect x="{left + c * cell}" y="{y}" width="{cell - 2}" height="{cell - 2}" '
                f'fill="rgb(37,99,235)" fill-opacity="{alpha:.2f}"><title>{escape(str(row[0]))} '
                f"{escape(hours[c])}:00 - {n:.0f}</title></rect>"
            )
    parts.append("</svg>")
    return "".join(parts)


def line_svg(table: FactTable, *, width: int = 640, height: int = 180) -> str:
    """A line of the second column over the first (e.g. bookings per day)."""
    values = [_num(row[1]) for row in table.rows]
    left, pad = 40, 20
    peak = max(values, default=0.0) or 1.0
    step = (width - left - pad) / max(len(values) - 1, 1)
    points = " ".join(
        f"{left + i * step:.1f},{height - pad - (v / peak) * (height - 2 * pad):.1f}"
        for i, v in enumerate(values)
    )
    first = escape(str(table.rows[0][0])) if table.rows else ""
    last = escape(str(table.rows[-1][0])) if table.rows else ""
    return (
        _open(width, height, table.title)
        + f'<line x1="{left}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#999"/>'
        f'<line x1="{left}" y1="{pad}" x2="{left}" y2="{height - pad}" stroke="#999"/>'
        f'<text x="{left - 4}" y="{pad + 4}" text-anchor="end" {_FONT}>{peak:.0f}</text>'
        f'<text x="{left - 4}" y="{height - pad}" text-anchor="end" {_FONT}>0</text>'
        f'<polyline fill="none" stroke="rgb(37,99,235)" stroke-width="2" points="{points}"/>'
        f'<text x="{left}" y="{height - 4}" {_FONT}>{first}</text>'
        f'<text x="{width - pad}" y="{height - 4}" text-anchor="end" {_FONT}>{last}</text>'
        "</svg>"
    )


def bar_svg(table: FactTable, *, width: int = 480, bar: int = 22) -> str:
    """Horizontal bars of the second column per first-column label (e.g. lead-time buckets)."""
    left, pad = 120, 50
    peak = max((_num(row[1]) for row in table.rows), default=0.0) or 1.0
    height = bar * len(table.rows) + 10
    parts = [_open(width, height, table.title)]
    for i, row in enumerate(table.rows):
        n = _num(row[1])
        y = 5 + i * bar
        w = (width - left - pad) * n / peak
        parts.append(
            f'<text x="{left - 6}" y="{y + 14}" text-anchor="end" {_FONT}>{escape(str(row[0]))}</text>'
            f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar - 6}" fill="rgb(37,99,235)"/>'
            f'<text x="{left + w + 4:.1f}" y="{y + 14}" {_FONT}>{n:.0f}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
