"""A deterministic narrative built from facts alone: the report's text when Claude is not configured.

Every sentence is a template over fact values, so the validator grounds it by construction (a test
keeps it that way). Reports built from it carry ``model = "deterministic"``.
"""

from __future__ import annotations

from typing import Final

from insights.models import Fact, FactSheet, Insight

DETERMINISTIC_MODEL: Final = "deterministic"


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


def deterministic_insights(sheet: FactSheet) -> list[Insight]:
    """Insights from templates over the sheet's facts (only for facts that exist in the sheet)."""
    by_id = sheet.by_id()
    out: list[Insight] = []

    def add(title: str, ids: list[str], action: str, extra: str = "") -> None:
        facts = [by_id[i] for i in ids if i in by_id]
        if not facts:
            return
        text = " ".join(_sentence(f) for f in facts) + (f" {extra}" if extra else "")
        out.append(Insight(title=title, text=text, fact_ids=[f.id for f in facts], suggested_action=action))

    if "overview.bookings" in by_id:
        f = by_id["overview.bookings"]
        add(
            f"Bookings {_trend(f)} on the previous window",
            ["overview.bookings", "overview.completed", "overview.revenue"],
            "Compare the busiest services with last period's promotions.",
        )
        add(
            "Cancellations and no-shows",
            ["overview.cancelled", "overview.no_shows"],
            "Send a reminder email the day before each appointment.",
        )
        day = by_id.get("overview.busiest_weekday")
        if day is not None and isinstance(day.value, str):
            add(
                f"{day.value} is the busiest day",
                [
                    "overview.busiest_weekday",
                    "overview.busiest_weekday_bookings",
                    "overview.avg_lead_time_days",
                ],
                f"Staff {day.value} fully and promote quieter days.",
            )
    if "demographics.people" in by_id:
        add(
            "New and returning customers",
            ["demographics.people", "demographics.new_customers", "demographics.returning_customers"],
            "Welcome new customers with a follow-up offer for a second booking.",
        )
        top = _top(sheet.facts, "demographics.domain.")
        if top is not None:
            add(
                "Most common email domain",
                [top.id],
                "Check deliverability to this provider before the next campaign.",
                f"That is {format_value(top.share, 'percent')} of people who booked."
                if top.share is not None
                else "",
            )
    if "patterns.peak_slot" in by_id:
        add(
            "Peak booking slot",
            ["patterns.peak_slot", "patterns.peak_slot_bookings", "patterns.median_lead_time_days"],
            "Open extra capacity around the peak slot.",
        )
        for prefix, title, action in (
            (
                "patterns.service.",
                "Most popular service",
                "Feature the most popular service in the newsletter.",
            ),
            (
                "patterns.lead_time.",
                "Most common lead time",
                "Time reminder emails to the usual booking lead time.",
            ),
            ("patterns.provider.", "Busiest provider", "Balance new bookings across providers."),
        ):
            top = _top(sheet.facts, prefix)
            if top is not None:
                extra = f"Share: {format_value(top.share, 'percent')}." if top.share is not None else ""
                add(title, [top.id], action, extra)
    if "conversion.completion_rate" in by_id:
        add(
            "Completion, cancellation and no-show rates",
            ["conversion.completion_rate", "conversion.cancellation_rate", "conversion.no_show_rate"],
            "Follow up on no-shows with a rebooking link.",
        )
        add(
            "Revenue per booking and repeat rate",
            ["conversion.revenue_per_booking", "conversion.repeat_rate"],
            "Offer a bundle to encourage repeat bookings.",
        )
    return out
