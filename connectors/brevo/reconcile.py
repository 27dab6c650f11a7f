"""Which Brevo import process, if any, belongs to a chunk whose sender died before reading the answer.

Brevo keeps no name or marker of ours on an import: ``GET /processes`` gives each process's
id, name (``IMPORTUSER``), status and ``created_at``, nothing else. A chunk is recorded just
before its ``POST /contacts/import``, so its process, if Brevo ever started one, is an
``IMPORTUSER`` process created within ``window`` after that instant (give or take ``skew``
between our clock and Brevo's) that none of our other chunks owns. The caller confirms a
candidate by its effect (a contact of the chunk modified after the process was created)
before adopting it; a chunk with no candidate was never received and is sent again.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime, timedelta

from connectors.brevo.models import ProcessReport

#: Clock difference tolerated between this machine and Brevo.
DEFAULT_SKEW = timedelta(minutes=2)
#: How long after a chunk was recorded its POST can have reached Brevo (retries on 429 included).
DEFAULT_WINDOW = timedelta(minutes=15)


def candidates(
    recorded: datetime,
    processes: Iterable[ProcessReport],
    taken: Collection[int],
    *,
    skew: timedelta = DEFAULT_SKEW,
    window: timedelta = DEFAULT_WINDOW,
) -> list[ProcessReport]:
    """Import processes that may be the one a chunk recorded at ``recorded`` started, oldest first.

    ``taken`` process ids (owned by our other chunks) are never candidates. A process without
    ``created_at`` qualifies only if its id is above every taken id (ids only grow). The caller
    takes chunks oldest first and adopts the first candidate it confirms.
    """
    floor = max(taken, default=0)
    return sorted(
        (p for p in processes if p.id not in taken and _fits(p, recorded, floor, skew, window)),
        key=lambda p: p.id,
    )


def _fits(process: ProcessReport, recorded: datetime, floor: int, skew: timedelta, window: timedelta) -> bool:
    if process.created_at is None:
        return process.id > floor
    return recorded - skew <= process.created_at <= recorded + window + skew


def touched_after(modified_at: str | None, created_at: datetime | None) -> bool:
    """True if a contact's ``modifiedAt`` is at or after a process's creation (so it may be its effect).

    Both instants are Brevo's, so no clock skew applies.
    """
    if not modified_at:
        return False
    if created_at is None:
        return True
    try:
        modified = datetime.fromisoformat(modified_at.replace("Z", "+00:00"))
    except ValueError:
        return False
    if modified.tzinfo is None:
        modified = modified.replace(tzinfo=created_at.tzinfo)
    return modified >= created_at
