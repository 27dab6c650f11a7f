"""Value types shared by the insights package: facts, tables, insights, windows."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

AnalysisType = Literal["overview", "demographics", "patterns", "conversion"]
ANALYSIS_TYPES: tuple[AnalysisType, ...] = ("overview", "demographics", "patterns", "conversion")

#: A fact's value: a number, a short label (e.g. a weekday name) or missing.
FactValue = int | float | str | None


class Fact(BaseModel):
    """One computed number (or label) that an insight may cite by ``id``.

    ``change`` is ``value - previous`` (percentage points when ``unit`` is ``percent``);
    ``change_pct`` is the relative change in percent (``None`` when ``previous`` is 0 or missing);
    ``share`` is this value as a percent of its group's total (distributions only).
    """

    model_config = ConfigDict(frozen=True)

    id: str
    label: str
    value: FactValue
    unit: str
    previous: FactValue = None
    change: float | None = None
    change_pct: float | None = None
    share: float | None = None

    def numbers(self) -> list[float]:
        """Every number this fact states (value, previous, change, relative change, share)."""
        out: list[float] = []
        for item in (self.value, self.previous, self.change, self.change_pct, self.share):
            if isinstance(item, int | float) and not isinstance(item, bool):
                out.append(float(item))
        return out


class FactTable(BaseModel):
    """A small table for reports (heatmap, distributions). Never sent to Claude."""

    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    columns: list[str]
    rows: list[list[int | float | str | None]]


class Window(BaseModel):
    """A reporting window of whole UTC days, ``date_from`` and ``date_to`` both inclusive."""

    model_config = ConfigDict(frozen=True)

    date_from: date
    date_to: date

    @property
    def start(self) -> pd.Timestamp:
        """First instant of the window (UTC)."""
        return pd.Timestamp(self.date_from, tz="UTC")

    @property
    def end(self) -> pd.Timestamp:
        """First instant after the window (UTC, exclusive)."""
        return pd.Timestamp(self.date_to + timedelta(days=1), tz="UTC")

    @property
    def days(self) -> int:
        """Length of the window in days."""
        return (self.date_to - self.date_from).days + 1

    def previous(self) -> Window:
        """The window of equal length that ends just before this one."""
        return Window(
            date_from=self.date_from - timedelta(days=self.days),
            date_to=self.date_from - timedelta(days=1),
        )


class History(BaseModel):
    """How much of the source's booking history the facts could use.

    ``complete``: every booking before the previous window was read from the source (so new and
    returning customers are exact); otherwise only bookings stored since ``first_booking`` count.
    ``first_booking`` is the earliest known booking's start day (UTC; ``None``: none known) and
    ``bookings`` how many bookings are known in all (any date, cancelled included).
    """

    model_config = ConfigDict(frozen=True)

    complete: bool
    first_booking: date | None = None
    bookings: int = 0
    complete_to: date | None = None


class FactSheet(BaseModel):
    """All facts and report tables computed for one window and set of analysis types."""

    window: Window
    previous_window: Window
    as_of: datetime
    analysis_types: list[AnalysisType]
    facts: list[Fact]
    tables: list[FactTable] = Field(default_factory=list)
    bookings: int = 0
    previous_bookings: int = 0
    history: History | None = None

    def by_id(self) -> dict[str, Fact]:
        """Facts keyed by id."""
        return {f.id: f for f in self.facts}

    def table(self, table_id: str) -> FactTable | None:
        """The table with ``table_id``, if computed."""
        return next((t for t in self.tables if t.id == table_id), None)


class Insight(BaseModel):
    """One narrated finding; every number in ``title``/``text`` must come from ``fact_ids``."""

    title: str
    text: str
    fact_ids: list[str]
    suggested_action: str = ""


class DroppedInsight(BaseModel):
    """An insight that stayed ungrounded after one re-ask, with the validator's reasons."""

    insight: Insight
    reasons: list[str]
