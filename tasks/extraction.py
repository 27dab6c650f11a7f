"""What every extraction task returns: one source's interactions for one window."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from logging import Logger, LoggerAdapter
from typing import Any

import pandas as pd

from audience.schema import empty_interactions


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


def unread_window(
    source: str,
    date_from: date,
    date_to: date,
    *,
    api_calls: int,
    reason: str,
    cause: Exception,
    logger: Logger | LoggerAdapter[Any],
) -> SourceExtract:
    """The extract of a window a provider's rate limit kept from being read: empty and incomplete.

    ``reason`` (an admin's words) becomes the extract's note and the run's warning; as the
    extract is incomplete the window's checkpoint does not advance, so the next run reads it.
    """
    logger.warning(
        "%s rate limit reached; the window %s..%s stays unread: %s", source, date_from, date_to, cause
    )
    return SourceExtract(source, date_from, date_to, empty_interactions(), api_calls, False, [reason])
