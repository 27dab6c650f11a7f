"""The number validator: grounded, ungrounded, rounding, percent forms, years, ordinals."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from insights.models import Fact, FactSheet, Insight, Window
from insights.validator import check_insight, extract_numbers, validate_insights


@pytest.fixture
def sheet() -> FactSheet:
    w = Window(date_from=date(2026, 10, 1), date_to=date(2026, 10, 31))
    facts = [
        Fact(
            id="overview.bookings",
            label="Bookings",
            value=1234,
            unit="count",
            previous=1000,
            change=234.0,
            change_pct=23.4,
        ),
        Fact(
            id="overview.revenue",
            label="Revenue",
            value=12345.5,
            unit="EUR",
            previous=10000.0,
            change=2345.5,
            change_pct=23.5,
        ),
        Fact(
            id="conversion.no_show_rate",
            label="No-show rate",
            value=12.5,
            unit="percent",
            previous=10.0,
            change=2.5,
            change_pct=25.0,
        ),
        Fact(
            id="patterns.service.lesson",
            label="Bookings of service Lesson",
            value=300,
            unit="count",
            previous=100,
            change=200.0,
            change_pct=200.0,
            share=24.3,
        ),
        Fact(
            id="patterns.lead_time.1_3_days",
            label="Bookings made 1-3 days ahead",
            value=40,
            unit="count",
            previous=40,
            change=0.0,
            change_pct=0.0,
            share=3.2,
        ),
        Fact(
            id="patterns.hour.09",
            label="Bookings starting 09:00-09:59 (UTC)",
            value=77,
            unit="count",
            previous=70,
            change=7.0,
            change_pct=10.0,
        ),
        Fact(
            id="overview.busiest_weekday",
            label="Busiest weekday",
            value="Tuesday",
            unit="text",
            previous="Monday",
        ),
        Fact(id="x.ratio", label="Share as ratio", value=0.125, unit="ratio"),
    ]
    return FactSheet(
        window=w,
        previous_window=w.previous(),
        as_of=datetime(2026, 11, 1, tzinfo=UTC),
        analysis_types=["overview"],
        facts=facts,
    )


def _check(sheet: FactSheet, text: str, ids: list[str], title: str = "Title", action: str = "") -> list[str]:
    return check_insight(Insight(title=title, text=text, fact_ids=ids, suggested_action=action), sheet)


def test_extracts_number_forms() -> None:
    tokens = extract_numbers("€1,234.50, 12.5%, 12.5 percent, 3.2 pp, 0.125, 3x, 2.5×, 1.2k, 3 million, -7")
    assert [(t.value, t.kind) for t in tokens] == [
        (1234.5, "plain"),
        (12.5, "percent"),
        (12.5, "percent"),
        (3.2, "percent"),
        (0.125, "plain"),
        (3.0, "multiplier"),
        (2.5, "multiplier"),
        (1200.0, "plain"),
        (3_000_000.0, "plain"),
        (7.0, "plain"),
    ]
    # ids, dates, times and ordinals are not free numbers
    assert extract_numbers("patterns.hour.09 on 2026-10-01 at 09:00, 2nd") == []


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("Bookings rose to 1,234 from 1,000 (+234, +23.4%).", ["overview.bookings"]),
        ("Bookings rose 23%.", ["overview.bookings"]),  # rounded percent of change_pct
        ("Revenue reached €12,345.50, up EUR 2,345.5.", ["overview.revenue"]),
        ("Revenue reached about €12,300.", ["overview.revenue"]),  # rounded to hundreds, within 5%
        ("Revenue reached 12.3k euros.", ["overview.revenue"]),
        ("No-shows were 12.5% (from 10%), up 2.5 pp or 25 percent.", ["conversion.no_show_rate"]),
        ("The no-show rate was 0.125.", ["conversion.no_show_rate"]),  # ratio form of a percent
        ("That is 12.5% of the total.", ["x.ratio"]),  # percent form of a ratio
        ("Lessons tripled: 3x the previous window, 24.3% of bookings.", ["patterns.service.lesson"]),
        ("Bookings made 1-3 days ahead stayed at 40.", ["patterns.lead_time.1_3_days"]),
        ("The 09:00 hour had 77 bookings.", ["patterns.hour.09"]),
        ("Tuesday overtook Monday in October 2026.", ["overview.busiest_weekday"]),
    ],
)
def test_grounded(sheet: FactSheet, text: str, ids: list[str]) -> None:
    assert _check(sheet, text, ids) == []


@pytest.mark.parametrize(
    ("text", "ids", "bad"),
    [
        ("Bookings rose to 1,300.", ["overview.bookings"], "1,300"),
        ("Bookings rose 24.4%.", ["overview.bookings"], "24.4%"),
        ("Revenue reached €13,000.", ["overview.revenue"], "13,000"),  # not 12,345.5 rounded to 1,000s
        ("No-shows were 12.5 in every window.", ["overview.bookings"], "12.5"),  # not in the cited fact
        ("Bookings were 1,234, which is 4x last year.", ["overview.bookings"], "4x"),
        ("No-shows were 40%.", ["patterns.lead_time.1_3_days"], "40%"),  # a count is not a percent
        ("About 987,654 more than planned.", ["overview.bookings"], "987,654"),
        ("Bookings in 2019 were lower.", ["overview.bookings"], "2019"),  # a year outside the windows
        ("Lessons took 20% of bookings.", ["patterns.service.lesson"], "20%"),  # 24.3 is not 20 in percent
    ],
)
def test_ungrounded(sheet: FactSheet, text: str, ids: list[str], bad: str) -> None:
    reasons = _check(sheet, text, ids)
    assert len(reasons) == 1 and repr(bad) in reasons[0], reasons


def test_citations_are_required_and_must_exist(sheet: FactSheet) -> None:
    assert "cites no fact ids" in _check(sheet, "Steady.", [])
    assert any("unknown fact ids" in r for r in _check(sheet, "Steady.", ["nope"]))
    # a number grounded only in a fact the insight did not cite is still ungrounded
    assert _check(sheet, "Revenue 12,345.5", ["overview.bookings"])


def test_titles_ordinals_and_actions(sheet: FactSheet) -> None:
    assert _check(sheet, "Lessons were 300.", ["patterns.service.lesson"], title="Top 3 services") == []
    assert _check(sheet, "The 2nd busiest service had 300.", ["patterns.service.lesson"]) == []
    assert _check(sheet, "Lessons were 300.", ["patterns.service.lesson"], title="Lessons hit 350")
    assert (
        _check(sheet, "Lessons were 300.", ["patterns.service.lesson"], action="Remind 24 hours before.")
        == []
    )
    assert _check(sheet, "Lessons were 300.", ["patterns.service.lesson"], action="Aim for 450 lessons.")
    assert _check(sheet, "Compare 2026-10-01 with now.", ["overview.bookings"]) == []
    assert _check(sheet, "Since 2026-06-01 bookings grew.", ["overview.bookings"])


def test_validate_insights_splits_in_order(sheet: FactSheet) -> None:
    good = Insight(title="a", text="Bookings 1,234.", fact_ids=["overview.bookings"])
    bad = Insight(title="b", text="Bookings 5,000.", fact_ids=["overview.bookings"])
    ok, rejected = validate_insights([bad, good, good], sheet)
    assert ok == [good, good]
    assert rejected[0][0] == bad and "5,000" in rejected[0][1][0]


def test_number_words_and_multiples_are_checked(sheet: FactSheet) -> None:
    # +200% is three times the previous window; +23.4% is not a doubling
    assert _check(sheet, "Lessons tripled, three times as many as before.", ["patterns.service.lesson"]) == []
    reasons = _check(sheet, "Bookings doubled on the previous window.", ["overview.bookings"])
    assert len(reasons) == 1 and "'doubled (x2)'" in reasons[0], reasons
    assert _check(sheet, "Bookings were twice the previous window.", ["overview.bookings"])
    assert _check(sheet, "Bookings rose 4-fold.", ["overview.bookings"])
    # "by half" is a +50% change; 25% is a quarter
    assert _check(sheet, "The no-show rate rose by a quarter.", ["conversion.no_show_rate"]) == []
    assert _check(sheet, "The no-show rate rose by half.", ["conversion.no_show_rate"])
    # cardinals in words are numbers like digits ("one" is left alone: mostly not a count)
    assert _check(sheet, "Forty bookings were made 1-3 days ahead.", ["patterns.lead_time.1_3_days"]) == []
    assert _check(sheet, "Fifty bookings were made 1-3 days ahead.", ["patterns.lead_time.1_3_days"])
    assert _check(sheet, "One service led with 300.", ["patterns.service.lesson"]) == []


def test_doubled_for_a_forty_percent_rise_is_dropped_with_the_reason() -> None:
    """Done-means of issue 16: "doubled" where the fact changed +40% is dropped by the validator."""
    w = Window(date_from=date(2026, 10, 1), date_to=date(2026, 10, 31))
    fact = Fact(
        id="overview.bookings",
        label="Bookings",
        value=140,
        unit="count",
        previous=100,
        change=40.0,
        change_pct=40.0,
    )
    sheet = FactSheet(
        window=w,
        previous_window=w.previous(),
        as_of=datetime(2026, 11, 1, tzinfo=UTC),
        analysis_types=["overview"],
        facts=[fact],
    )
    doubled = Insight(title="Bookings doubled", text="Bookings rose to 140.", fact_ids=["overview.bookings"])
    honest = Insight(
        title="Bookings up 40%", text="Bookings rose to 140 from 100.", fact_ids=["overview.bookings"]
    )
    good, bad = validate_insights([doubled, honest], sheet)
    assert good == [honest]
    assert bad == [
        (doubled, ["title: 'doubled (x2)' is not among the numbers of cited facts [overview.bookings]"])
    ]


def test_dates_of_cited_facts_are_grounded(sheet: FactSheet) -> None:
    first = Fact(id="history.first_booking", label="First booking on record", value="2025-03-04", unit="text")
    with_history = sheet.model_copy(update={"facts": [*sheet.facts, first]})
    assert _check(with_history, "The first booking starts on 2025-03-04.", ["history.first_booking"]) == []
    assert _check(with_history, "The first booking starts on 2025-03-05.", ["history.first_booking"])
