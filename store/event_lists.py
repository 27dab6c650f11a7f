"""Per-event Brevo lists: their ids (cached in the Brevo connection's config) and who we put on them.

Membership reuses ``brevo_sync_state`` (one row per email and list), written by
:func:`store.brevo_sync.record_pushed` with ``clear_hash``: ``on_list`` says whether this
project last put the person on the list, ``payload_hash`` is NULL, or :data:`SKIPPED` when
we could not add them (opted out, or not a Brevo contact).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from store.connections import get_connection, save_connection
from store.models import BrevoSyncState

#: ``payload_hash`` of an event-list row whose add was skipped (consent or unknown contact).
SKIPPED: Final = "event-list:skipped"
_BATCH = 1_000


def event_list_ids(session: Session) -> dict[str, int]:
    """``event_key -> Brevo list id`` of every event list this project created or found."""
    row = get_connection(session, "brevo")
    cached = (row.config or {}).get("event_lists", {}) if row else {}
    return {str(k): int(v) for k, v in cached.items()}


def remember_event_lists(session: Session, ids: Mapping[str, int]) -> None:
    """Cache ``event_key -> list id`` (merged with what was cached) so later runs ask Brevo nothing."""
    if not ids:
        return
    merged = {**event_list_ids(session), **{k: int(v) for k, v in ids.items()}}
    row = get_connection(session, "brevo")
    save_connection(
        session,
        provider="brevo",
        auth_method=row.auth_method if row else "api_key",
        config={"event_lists": merged},
        status=row.status if row else "connected",
    )


def forget_event_lists(session: Session, existing: frozenset[int] | set[int]) -> list[str]:
    """Forget the cached event lists Brevo no longer has (deleted by hand) and who we had put on them.

    Returns their event keys. The next plan then adds every current ticket holder again, to a
    list found or created by name.
    """
    ids = event_list_ids(session)
    gone = {key: list_id for key, list_id in ids.items() if list_id not in existing}
    if not gone:
        return []
    session.execute(delete(BrevoSyncState).where(BrevoSyncState.list_id.in_(sorted(gone.values()))))
    row = get_connection(session, "brevo")
    if row is not None:
        kept = {k: v for k, v in ids.items() if k not in gone}
        # save_connection merges configs, so the event-list mapping is replaced here as a whole.
        row.config = {**(row.config or {}), "event_lists": kept}
        session.flush()
    return sorted(gone)


def load_event_list_state(session: Session, emails: Sequence[str] | None = None) -> pd.DataFrame:
    """``[event_key, email, on_list, skipped]`` for every person ever planned onto an event list."""
    by_list = {v: k for k, v in event_list_ids(session).items()}
    rows: list[tuple[str, str, bool, bool]] = []
    ids = sorted(by_list)
    for start in range(0, len(ids), _BATCH):
        stmt = select(
            BrevoSyncState.list_id, BrevoSyncState.email, BrevoSyncState.on_list, BrevoSyncState.payload_hash
        ).where(BrevoSyncState.list_id.in_(ids[start : start + _BATCH]))
        for list_id, email, on_list, digest in session.execute(stmt):
            rows.append((by_list[list_id], email, bool(on_list), digest == SKIPPED))
    frame = pd.DataFrame(rows, columns=["event_key", "email", "on_list", "skipped"]).astype(
        {"event_key": "string", "email": "string", "on_list": "bool", "skipped": "bool"}
    )
    if emails is not None:
        frame = frame[frame["email"].isin(list(emails))].reset_index(drop=True)
    return frame
