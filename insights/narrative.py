"""A deterministic narrative built from facts alone: the report's text when Claude is not configured.

Every sentence is a template over fact values, so the validator grounds it by construction (a test
keeps it that way). Reports built from it carry ``model = "deterministic"``.
"""

from __future__ import annotations

from typing import Final

from insights.models import Fact, FactSheet, Insight

DETERMINISTIC_MODEL: Final = "deterministic"
#: A window with fewer bookings gets a short plain report: rates and changes of so few mean nothing.
FEW_BOOKINGS: Final = 5


def format_value(value: float | int | str | None, unit: str) -> str:
    """A fact value as prose: ``1,234`` / ``EUR 1,234.50`` / ``12.5%`` / ``3.2 days``."""
    if value is None:
        return "n/a"
    if isinstance(value, str):
        return value
    if unit == "percent":
        return f"{value:,.1f}%"
    if unit == "days":
        return f"{value:,.1f} days"
    if unit in {"count", "people"}:
        return f"{value:,.0f}"
    return f"{unit} {value:,.2f}"


def describe_change(fact: Fact) -> str:
    """``"up 32 (+10.7%) from 298"``, ``"down 1.6 pp from 14.8%"``, ``"unchanged"``, ``"new"``."""
    if isinstance(fact.value, str) or isinstance(fact.previous, str):
        if fact.previous is None:
            return "with no comparison for the previous window"
        return f"previous window: {format_value(fact.previous, fact.unit)}"
    if fact.previous is None or fact.change is None:
        return "with no comparison for the previous window"
    prev = format_value(fact.previous, fact.unit)
    if fact.change == 0:
        return f"unchanged from {prev}"
    direction = "up" if fact.change > 0 else "down"
    size = abs(fact.change)
    amount = f"{size:,.1f} pp" if fact.unit == "percent" else format_value(size, fact.unit)
    rel = f" ({fact.change_pct:+.1f}%)" if fact.change_pct is not None else ""
    return f"{direction} {amount}{rel} from {prev}"


def _trend(fact: Fact) -> str:
    if not fact.change:
        return "steady"
    return "up" if fact.change > 0 else "down"


def short_label(label: str) -> str:
    """A fact's label without its parenthesised definition (the facts table keeps the whole label)."""
    return label.split(" (", 1)[0]


def _sentence(fact: Fact) -> str:
    return f"{short_label(fact.label)}: {format_value(fact.value, fact.unit)}, {describe_change(fact)}."


def _top(facts: list[Fact], prefix: str) -> Fact | None:
    """The largest fact of a distribution (by value), ignoring its ``other`` bucket."""
    group = [
        f
        for f in facts
        if f.id.startswith(prefix) and not f.id.endswith(".other") and isinstance(f.value, int | float)
    ]
    return max(group, key=lambda f: float(f.value or 0), default=None)


def is_sparse(sheet: FactSheet) -> bool:
    """Fewer than :data:`FEW_BOOKINGS` bookings in the window: too few for rates and comparisons."""
    return sheet.bookings < FEW_BOOKINGS


def _history_insight(sheet: FactSheet) -> Insight | None:
    """Whether the source has bookings at all, and from when (``history.*`` facts)."""
    by_id = sheet.by_id()
    first, total = by_id.get("history.first_booking"), by_id.get("history.bookings")
    if first is None or total is None:
        return None
    complete = sheet.history is not None and sheet.history.complete
    ids = [first.id, total.id]
    if not isinstance(first.value, str):
        text = "EasyAppointments has no bookings on record at all." if complete else "No bookings are stored."
        return Insight(title="No bookings on record", text=text, fact_ids=[total.id], suggested_action="")
    n = format_value(total.value, "count")
    if complete:
        title = (
            "Before the first booking"
            if first.value > sheet.window.date_to.isoformat()
            else "Bookings on record"
        )
        text = f"The first booking on record starts on {first.value}; {n} bookings are on record in all."
    else:
        title = "Stored bookings only"
        text = f"The earliest stored booking starts on {first.value} (older history was not read); {n} are stored."
    return Insight(title=title, text=text, fact_ids=ids, suggested_action="")


def sparse_insights(sheet: FactSheet) -> list[Insight]:
    """A short, plain report for an empty or near-empty window: how many bookings, and the history."""
    by_id = sheet.by_id()
    w, p = sheet.window, sheet.previous_window
    bookings = by_id.get("overview.bookings")
    ids = [bookings.id] if bookings is not None else []
    if sheet.bookings == 0:
        title = f"No bookings between {w.date_from} and {w.date_to}"
        text = f"No bookings start between {w.date_from} and {w.date_to}."
        if bookings is not None:
            text += f" The previous window ({p.date_from} to {p.date_to}) had {format_value(bookings.previous, 'count')}."
    else:
        n = sheet.bookings
        title = f"Only {n} booking{'s' if n > 1 else ''} between {w.date_from} and {w.date_to}"
        parts = [_sentence(bookings)] if bookings is not None else []
        for fid in ("overview.completed", "overview.cancelled", "overview.no_shows"):
            fact = by_id.get(fid)
            if fact is not None and fact.value:
                parts.append(f"{short_label(fact.label)}: {format_value(fact.value, fact.unit)}.")
                ids.append(fid)
        text = " ".join([*parts, "Too few bookings for rates or comparisons to mean anything."])
    out = [Insight(title=title, text=text, fact_ids=ids, suggested_action="")] if ids else []
    context = _history_insight(sheet)
    if context is not None:
        out.append(context)
    return out


def deterministic_insights(sheet: FactSheet) -> list[Insight]:
    """Insights from templates over the sheet's facts (only for facts that exist in the sheet).

    An empty or near-empty window (:func:`is_sparse`) gets :func:`sparse_insights` instead.
    """
    if is_sparse(sheet):
        sparse = sparse_insights(sheet)
        if sparse:
            return sparse
    out = _Insights(sheet)
    for section in (_overview_insights, _demographic_insights, _pattern_insights, _conversion_insights):
        section(out)
    return out.insights


class _Insights:
    """The insights written so far, and :meth:`add` to write one over the facts the sheet has."""

    def __init__(self, sheet: FactSheet) -> None:
        self.sheet = sheet
        self.by_id = sheet.by_id()
        self.insights: list[Insight] = []

    def add(self, title: str, ids: list[str], action: str, extra: str = "") -> None:
        """One insight over the facts of ``ids`` the sheet holds (none held: nothing is written)."""
        facts = [self.by_id[i] for i in ids if i in self.by_id]
        if not facts:
            return
        text = " ".join(_sentence(f) for f in facts) + (f" {extra}" if extra else "")
        self.insights.append(
            Insight(title=title, text=text, fact_ids=[f.id for f in facts], suggested_action=action)
        )


def _overview_insights(out: _Insights) -> None:
    """Bookings trend, cancellations and no-shows, the busiest day."""
    f = out.by_id.get("overview.bookings")
    if f is None:
        return
    out.add(
        f"Bookings {_trend(f)} on the previous window",
        ["overview.bookings", "overview.completed", "overview.revenue"],
        "Compare the busiest services with last period's promotions.",
    )
    out.add(
        "Cancellations and no-shows",
        ["overview.cancelled", "overview.no_shows"],
        "Send a reminder email the day before each appointment.",
    )
    day = out.by_id.get("overview.busiest_weekday")
    if day is not None and isinstance(day.value, str):
        out.add(
            f"{day.value} is the busiest day",
            ["overview.busiest_weekday", "overview.busiest_weekday_bookings", "overview.avg_lead_time_days"],
            f"Staff {day.value} fully and promote quieter days.",
        )


def _demographic_insights(out: _Insights) -> None:
    """New and returning customers, the most common email domain."""
    if "demographics.people" not in out.by_id:
        return
    out.add(
        "New and returning customers",
        ["demographics.people", "demographics.new_customers", "demographics.returning_customers"],
        "Welcome new customers with a follow-up offer for a second booking.",
    )
    top = _top(out.sheet.facts, "demographics.domain.")
    if top is not None:
        out.add(
            "Most common email domain",
            [top.id],
            "Check deliverability to this provider before the next campaign.",
            f"That is {format_value(top.share, 'percent')} of people who booked."
            if top.share is not None
            else "",
        )


#: (fact id prefix, title, suggested action) of the "top of a distribution" pattern insights.
_TOP_PATTERNS: tuple[tuple[str, str, str], ...] = (
    ("patterns.service.", "Most popular service", "Feature the most popular service in the newsletter."),
    ("patterns.lead_time.", "Most common lead time", "Time reminder emails to the usual booking lead time."),
    ("patterns.provider.", "Busiest provider", "Balance new bookings across providers."),
)


def _pattern_insights(out: _Insights) -> None:
    """The peak slot, then the top service, lead time and provider."""
    if "patterns.peak_slot" not in out.by_id:
        return
    out.add(
        "Peak booking slot",
        ["patterns.peak_slot", "patterns.peak_slot_bookings", "patterns.median_lead_time_days"],
        "Open extra capacity around the peak slot.",
    )
    for prefix, title, action in _TOP_PATTERNS:
        top = _top(out.sheet.facts, prefix)
        if top is not None:
            extra = f"Share: {format_value(top.share, 'percent')}." if top.share is not None else ""
            out.add(title, [top.id], action, extra)


def _conversion_insights(out: _Insights) -> None:
    """Completion, cancellation and no-show rates; revenue per booking and repeat rate."""
    if "conversion.completion_rate" not in out.by_id:
        return
    out.add(
        "Completion, cancellation and no-show rates",
        ["conversion.completion_rate", "conversion.cancellation_rate", "conversion.no_show_rate"],
        "Follow up on no-shows with a rebooking link.",
    )
    out.add(
        "Revenue per booking and repeat rate",
        ["conversion.revenue_per_booking", "conversion.repeat_rate"],
        "Offer a bundle to encourage repeat bookings.",
    )
