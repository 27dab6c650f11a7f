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

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from connectors.brevo.models import ProcessReport

#: Clock difference tolerated between this machine and Brevo.
DEFAULT_SKEW = timedelta(minutes=2)
#: How long after a chunk was recorded its POST can have reached Brevo (retries on 429 included).
DEFAULT_WINDOW = timedelta(minutes=15)


def match_processes(
    unknown: Sequence[tuple[int, datetime]],
    processes: Iterable[ProcessReport],
    claimed: Iterable[int],
    *,
    skew: timedelta = DEFAULT_SKEW,
    window: timedelta = DEFAULT_WINDOW,
) -> dict[int, int | None]:
    """Pair each ``(chunk id, recorded at)`` with the earliest free import process of its window.

    Chunks are taken oldest first and each process goes to one chunk at most; ``claimed``
    process ids (owned by our other chunks) are never candidates. A process without
    ``created_at`` qualifies only if its id is above every claimed id (ids only grow).
    """
    taken = set(claimed)
    floor = max(taken, default=0)
    free = sorted((p for p in processes if p.id not in taken), key=lambda p: p.id)
    out: dict[int, int | None] = {}
    for chunk_id, recorded in sorted(unknown, key=lambda c: (c[1], c[0])):
        pick = next((p for p in free if _fits(p, recorded, floor, skew, window)), None)
        out[chunk_id] = pick.id if pick else None
        if pick is not None:
            free.remove(pick)
    return out


def _fits(process: ProcessReport, recorded: datetime, floor: int, skew: timedelta, window: timedelta) -> bool:
    if process.created_at is None:
        return process.id > floor
    return recorded - skew <= process.created_at <= recorded + window + skew


def touched_after(
    modified_at: str | None, created_at: datetime | None, *, skew: timedelta = DEFAULT_SKEW
) -> bool:
    """True if a contact's ``modifiedAt`` is at or after a process's creation (so it may be its effect)."""
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
    return modified >= created_at - skew
