"""What Claude is told: fixed (cacheable) instructions, the insights tool schema, the facts table.

The system text and the tool definition never change between calls, so they form a stable prompt
prefix that ``cache_control`` can cache; everything that varies (window, facts, feedback) goes in
the user message. Only :class:`~insights.models.Fact` aggregates are serialised here.
"""

from __future__ import annotations

import json
from typing import Any, Final

from insights.models import Fact, FactSheet, Insight

TOOL_NAME: Final = "report_insights"

FACT_COLUMNS: Final[tuple[str, ...]] = (
    "id",
    "label",
    "value",
    "unit",
    "previous",
    "change",
    "change_pct",
    "share",
)

SYSTEM_INSTRUCTIONS: Final = """\
You are the analytics narrator for En Garde, a company that runs fencing events, classes and \
one-to-one appointments. Staff book appointments for customers through EasyAppointments. You \
receive a table of booking facts that were computed in code for one reporting window and for the \
previous window of equal length. Your job is to explain what the numbers say, in plain English, \
to the people who run the business, and to suggest one concrete action per finding.

How to read the facts table
- It arrives inside <facts> tags as JSON: {"columns": [...], "rows": [[...], ...]}.
- Columns: id (stable identifier), label (what the number means), value (this window), unit, \
previous (the previous window), change (value minus previous; percentage points when the unit is \
"percent"), change_pct (relative change in percent; null when previous is zero or missing), share \
(this value as a percent of its group, for distributions such as weekdays, services or domains).
- Units: "count" (bookings), "people" (distinct customers), "percent", "days", "text" (a label such \
as a weekday name) or a currency code such as "EUR" for money.
- Providers appear as aliases P1, P2, ... ordered by load. Email domains appear only when at least \
five people use them; the rest are grouped as "other". You never see individual customers.

Fact families (id prefixes)
- overview.*: bookings, completed bookings (status booked and already started), cancelled, no-shows, revenue (service price of completed bookings), average lead time in days between booking and appointment, busiest weekday and its bookings.
- demographics.*: people who booked, new customers (first booking ever in this window) and returning customers (booked before it), people by number of bookings in the window (demographics.frequency.*), by email domain (demographics.domain.*), by timezone and by language.
- patterns.*: bookings per weekday (patterns.weekday.*) and per starting hour (patterns.hour.*), the busiest weekday-and-hour slot, bookings per lead-time bucket (patterns.lead_time.*), the median lead time, bookings per service (patterns.service.*) and per provider alias (patterns.provider.*). Each distribution also carries an "other" row for what is not listed.
- conversion.*: completion, cancellation and no-show rates (each over all bookings in the window, in percent), revenue per booking (revenue of completed bookings over all bookings in the window), and the repeat rate (percent of people with two or more bookings in the window).
- history.*: the first booking on record (a date) and how many bookings are on record in all. When \
a label says the older history was not read, new and returning customers count only what is known \
and have no previous value: never describe them as rising or falling.
Each label states its denominator; when you give a rate or a per-booking figure, say what it is \
out of. A value of null means "not available" (for example no prices are known): say so, never \
treat it as zero.
Read a share together with its group: a service with a 40.0 share took 40% of the window's bookings; a weekday share is its part of the week. A change in a rate is in percentage points ("up 2.5 pp"); change_pct on a rate is the relative change of the rate itself.

Rules you must follow
1. Every number you write must be copied from the facts you cite in fact_ids: a value, a previous \
value, a change, a change_pct or a share. Do not compute new numbers: no sums, differences, ratios, \
averages or projections of your own, and no numbers from general knowledge.
2. You may round a number to fewer decimals (12.46 -> 12.5 or 12) and you may write percents as \
"12.5%" or "12.5 percent". Write money with its currency (EUR 1,234.50 or €1,234.50). Thousands \
separators are fine. Words are numbers too: "doubled", "twice", "half", "three times" and "twelve" \
are checked like 2x, 0.5, 3x and 12, so use them only when a cited change or share says exactly that.
3. Cite, in fact_ids, the id of every fact whose number or label you use. Use only ids that appear \
in the table. An insight with no fact_ids is rejected.
4. Do not restate the window dates and do not write years, dates or times of day unless they are \
part of a cited fact's label or value.
5. Prefer changes that matter: large relative changes, shifts in the mix (services, weekdays, lead \
times), and rates that affect revenue (cancellations and no-shows). Skip facts that did not move \
unless stability itself is the point.
6. When the previous value is missing or zero, describe the current value without claiming growth.
7. Be specific and brief: a title of at most ten words, a text of one to three sentences, and a \
suggested_action that a small events team could carry out next week (a reminder email, a schedule \
change, a promotion for a quiet weekday, a follow-up for no-shows).
8. Never guess at individual people, and never ask for personal data.

Output
Call the report_insights tool exactly once with between three and eight insights, most important \
first. Each insight has: title, text, fact_ids (list of ids) and suggested_action. Every number is \
checked automatically against the facts you cite; insights with numbers that are not in their \
cited facts are sent back once for correction and then dropped.

Example (illustrative ids and numbers)
Facts row: ["overview.no_shows", "No-shows", 18, "count", 12, 6, 50.0, null]
Good: {"title": "No-shows rose by half", "text": "No-shows went from 12 to 18 (+50.0%).", \
"fact_ids": ["overview.no_shows"], "suggested_action": "Send an SMS reminder the day before."}
Bad: "No-shows cost about EUR 900" (a new number that no cited fact states).

When you are sent <feedback>, it lists insights whose numbers could not be found in their cited \
facts, with the reasons. Return corrected versions of exactly those insights (same topic, numbers \
copied from the cited facts, or cite the fact that states the number) and nothing else.
"""

INSIGHTS_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "properties": {
        "insights": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "title": {"type": "string"},
                    "text": {"type": "string"},
                    "fact_ids": {"type": "array", "items": {"type": "string"}},
                    "suggested_action": {"type": "string"},
                },
                "required": ["title", "text", "fact_ids", "suggested_action"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["insights"],
    "additionalProperties": False,
}

INSIGHTS_TOOL: Final[dict[str, Any]] = {
    "name": TOOL_NAME,
    "description": "Report the insights drawn from the booking facts, most important first.",
    "input_schema": INSIGHTS_SCHEMA,
    "strict": True,
}


def _plain(value: object) -> object:
    """Integral floats as ints so the table reads ``32`` rather than ``32.0``."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def facts_table(facts: list[Fact]) -> str:
    """The compact JSON table of facts (columns + rows) that goes inside ``<facts>``."""
    rows = [[_plain(getattr(f, col)) for col in FACT_COLUMNS] for f in facts]
    return json.dumps(
        {"columns": list(FACT_COLUMNS), "rows": rows}, ensure_ascii=False, separators=(",", ":")
    )


def user_message(sheet: FactSheet) -> str:
    """The per-call user message: window description and the facts table."""
    w, p = sheet.window, sheet.previous_window
    return (
        f"Analysis types: {', '.join(sheet.analysis_types)}.\n"
        f"Window: {w.date_from.isoformat()} to {w.date_to.isoformat()} ({w.days} days), compared with "
        f"{p.date_from.isoformat()} to {p.date_to.isoformat()}.\n"
        f"<facts>\n{facts_table(sheet.facts)}\n</facts>\n"
        f"Call {TOOL_NAME} with your insights."
    )


def feedback_message(sheet: FactSheet, rejected: list[tuple[Insight, list[str]]]) -> str:
    """The re-ask message: the same facts plus the rejected insights and the validator's reasons."""
    items = [{"insight": insight.model_dump(), "reasons": reasons} for insight, reasons in rejected]
    return (
        f"{user_message(sheet)}\n"
        f"<feedback>\n{json.dumps(items, ensure_ascii=False)}\n</feedback>\n"
        f"Return corrected versions of exactly these {len(rejected)} insight(s) with {TOOL_NAME}."
    )
