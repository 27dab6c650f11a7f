"""Demographics facts: new vs returning people, booking frequency, email domains, timezones, languages.

People are identified by normalised email; bookings without an email count as bookings but not as people.
"""

from __future__ import annotations

import pandas as pd

from insights._common import Slices, distribution_facts, make_fact, pct, top_keys, value_counts
from insights.history import history_note
from insights.models import Fact, FactTable

#: A domain is named only when at least this many distinct people use it (k-anonymity style).
MIN_PEOPLE_PER_DOMAIN = 5
TOP_N = 10
FREQUENCY_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("1", 1, 1),
    ("2", 2, 2),
    ("3-4", 3, 4),
    ("5 or more", 5, None),
)


def _people(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per person in ``frame``: person code, bookings, domain, latest timezone and language."""
    rows = frame[(frame["person"] >= 0).to_numpy()]
    ordered = rows.sort_values("occurred_at", kind="stable")
    last = ordered.drop_duplicates("person", keep="last").set_index("person")
    counts = rows.groupby("person").size()
    return pd.DataFrame(
        {
            "person": counts.index.to_numpy(),
            "bookings": counts.to_numpy(),
            "domain": last["domain"].reindex(counts.index).to_numpy(),
            "timezone": last["timezone"].reindex(counts.index).to_numpy(),
            "language": last["language"].reindex(counts.index).to_numpy(),
        }
    )


def _new_returning(people: pd.DataFrame, first_seen: pd.Series, start: pd.Timestamp) -> tuple[int, int]:
    seen = first_seen.reindex(people["person"])
    returning = int((seen < start).sum())
    return len(people) - returning, returning


def _frequency(people: pd.DataFrame) -> pd.Series:
    n = people["bookings"]
    counts = {}
    for name, low, high in FREQUENCY_BUCKETS:
        mask = n >= low if high is None else (n >= low) & (n <= high)
        counts[name] = int(mask.sum())
    return pd.Series(counts, dtype="int64")


def _domains(people: pd.DataFrame) -> pd.Series:
    return value_counts(people["domain"])


def _labels(people: pd.DataFrame, column: str) -> pd.Series:
    return value_counts(people[column])


def demographics_facts(s: Slices) -> tuple[list[Fact], list[FactTable]]:
    """People, new vs returning, booking-frequency distribution, email domains, timezones, languages."""
    cur, prev = _people(s.current), _people(s.previous)
    freq_facts, freq_table = _frequency_section(cur, prev)
    domain_facts, domain_table = _domain_section(cur, prev)
    label_facts, label_tables = _label_sections(cur, prev)
    facts = [*_customer_facts(s, cur, prev), *freq_facts, *domain_facts, *label_facts]
    return facts, [*label_tables, freq_table, domain_table]


def _customer_facts(s: Slices, cur: pd.DataFrame, prev: pd.DataFrame) -> list[Fact]:
    """People who booked, and how many of them are new or returning (first booking before the window)."""
    known = s.all_bookings[(s.all_bookings["person"] >= 0).to_numpy()]
    first_seen = known.groupby("person")["occurred_at"].min()
    new_cur, ret_cur = _new_returning(cur, first_seen, s.window.start)
    new_prev, ret_prev = _new_returning(prev, first_seen, s.previous_window.start)
    total = len(cur)
    # Without the whole history the previous window's split is not comparable: state no change.
    note = history_note(s.coverage)
    compare = not note
    return [
        make_fact("demographics.people", "People who booked (distinct emails)", "people", total, len(prev)),
        make_fact(
            "demographics.new_customers",
            f"New customers (first booking ever in this window, any status; share of people who booked{note})",
            "people",
            new_cur,
            new_prev if compare else None,
            share=pct(new_cur, total),
        ),
        make_fact(
            "demographics.returning_customers",
            f"Returning customers (booked before this window, any status; share of people who booked{note})",
            "people",
            ret_cur,
            ret_prev if compare else None,
            share=pct(ret_cur, total),
        ),
    ]


def _frequency_section(cur: pd.DataFrame, prev: pd.DataFrame) -> tuple[list[Fact], FactTable]:
    """People per bookings-in-the-window bucket, and its table."""
    freq_cur, freq_prev = _frequency(cur), _frequency(prev)
    facts = distribution_facts(
        "demographics.frequency",
        "People with {key} bookings in the window",
        "people",
        freq_cur,
        freq_prev,
        keys=[b[0] for b in FREQUENCY_BUCKETS],
        other=False,
    )
    return facts, _table("demographics.frequency", "Bookings per person", freq_cur, list(freq_cur.index))


def _domain_section(cur: pd.DataFrame, prev: pd.DataFrame) -> tuple[list[Fact], FactTable]:
    """People per email domain; a domain is named only with :data:`MIN_PEOPLE_PER_DOMAIN` people or more."""
    dom_cur, dom_prev = _domains(cur), _domains(prev)
    named = [d for d in top_keys(dom_cur, TOP_N) if dom_cur[d] >= MIN_PEOPLE_PER_DOMAIN]
    facts = distribution_facts(
        "demographics.domain",
        "People with an email at {key}",
        "people",
        dom_cur,
        dom_prev,
        keys=named,
        other=True,
    )
    return facts, _table("demographics.domain", "Email domains (5+ people)", dom_cur, named)


def _label_sections(cur: pd.DataFrame, prev: pd.DataFrame) -> tuple[list[Fact], list[FactTable]]:
    """People per timezone and per language (top :data:`TOP_N`, the rest as ``other``), with tables."""
    facts: list[Fact] = []
    tables: list[FactTable] = []
    for column, title in (("timezone", "Timezones"), ("language", "Languages")):
        lab_cur, lab_prev = _labels(cur, column), _labels(prev, column)
        keys = top_keys(lab_cur, TOP_N)
        facts += distribution_facts(
            f"demographics.{column}",
            f"People in {column} {{key}}",
            "people",
            lab_cur,
            lab_prev,
            keys=keys,
            other=True,
        )
        tables.append(_table(f"demographics.{column}", title, lab_cur, keys))
    return facts, tables


def _table(table_id: str, title: str, counts: pd.Series, keys: list[str]) -> FactTable:
    total = float(counts.sum())
    rows: list[list[int | float | str | None]] = [
        [k, int(counts.get(k, 0)), pct(float(counts.get(k, 0)), total)] for k in keys
    ]
    rest = int(total - sum(int(counts.get(k, 0)) for k in keys))
    if rest:
        rows.append(["other", rest, pct(rest, total)])
    return FactTable(id=table_id, title=title, columns=["group", "people", "share %"], rows=rows)
