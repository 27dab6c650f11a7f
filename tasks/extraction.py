"""What every extraction task returns: one source's interactions for one window."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd


@dataclass
class SourceExtract:
    """Interactions of one source for the window ``[date_from, date_to]`` (inclusive days).

    ``frame`` follows :data:`audience.schema.INTERACTION_DTYPES`. ``complete`` is False when
    some part of the window could not be read (then checkpoints must not advance);
    ``notes`` explain, in words an admin understands, anything skipped or odd; ``counts``
    are named figures a source wants in the run summary (e.g. Zoom's participant matching).
    """

    source: str
    date_from: date
    date_to: date
    frame: pd.DataFrame
    api_calls: int = 0
    complete: bool = True
    notes: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
