"""Thin tasks between the store and the pure audience functions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from audience.brevo_payload import build_brevo_payloads
from audience.people import resolve_people
from audience.segments import SegmentThresholds, segment_people
from audience.sync_plan import plan_brevo_sync
from store.brevo_sync import load_sync_state, open_rejections
from store.checkpoints import finish_checkpoint, start_checkpoint
from store.db import session_scope
from store.interactions import load_interactions, mark_vanished, upsert_interactions
from store.signups import signup_statuses
from tasks.extraction import SourceExtract
from tasks.run_logger import run_logger

#: Sources whose API returns every record of a window, so a record missing from a full re-read is gone.
FULL_REREAD_SOURCES = frozenset({"easyappointments"})


@dataclass
class Audience:
    """Everyone resolved from the stored interactions, segmented, with their Brevo payloads."""

    people: pd.DataFrame
    payloads: pd.DataFrame
    unresolvable: int
    segments: dict[str, int] = field(default_factory=dict)


# A write: never served from a cache.
@task(name="store-interactions", cache_policy=NO_CACHE)
def store_interactions(
    extract: SourceExtract,
    flow_run_id: str | None = None,
    *,
    checkpoint: bool = True,
) -> int:
    """Upsert one source's extracted interactions; mark vanished rows of a complete full re-read.

    With ``checkpoint`` the source window's checkpoint is opened (``running``) for the flow to close;
    without, the interactions are only stored (a report's re-read of its bookings).
    """
    logger = run_logger(__name__)
    with session_scope() as session:
        if checkpoint:
            start_checkpoint(
                session,
                source=extract.source,
                window_start=extract.date_from,
                window_end=extract.date_to,
                flow_run_id=flow_run_id,
            )
        written = upsert_interactions(session, extract.frame)
        vanished = 0
        if extract.complete and extract.source in FULL_REREAD_SOURCES:
            vanished = mark_vanished(
                session,
                source=extract.source,
                date_from=extract.date_from,
                date_to=extract.date_to,
                seen_ids=extract.frame["source_id"].dropna().tolist(),
            )
    logger.info("%s: stored %d interactions, %d vanished marked deleted", extract.source, written, vanished)
    return written


@task(name="close-checkpoints")
def close_checkpoints(extracts: list[SourceExtract], *, succeeded: bool, error: str | None) -> None:
    """Mark each source window complete only if its extraction was complete and the push succeeded."""
    with session_scope() as session:
        for extract in extracts:
            ok = succeeded and extract.complete
            reason = (
                error
                if not succeeded
                else None
                if extract.complete
                else "; ".join(extract.notes) or "incomplete"
            )
            finish_checkpoint(
                session,
                source=extract.source,
                window_start=extract.date_from,
                window_end=extract.date_to,
                complete=ok,
                rows=len(extract.frame),
                api_calls=extract.api_calls,
                error=reason,
            )


@task(name="build-audience")
def build_audience(
    as_of: datetime,
    thresholds: SegmentThresholds,
    emails: list[str] | None = None,
) -> Audience:
    """Resolve and segment people from every stored interaction (or only ``emails``' ones), with their sign-up status."""
    with session_scope() as session:
        interactions = load_interactions(session, emails=emails)
        signups = signup_statuses(session)
    as_of_ts = pd.Timestamp(as_of)
    people = resolve_people(interactions, as_of_ts)
    segmented = segment_people(people, as_of_ts, thresholds).merge(signups, on="email", how="left")
    payloads = build_brevo_payloads(segmented)
    counts: dict[str, int] = {}
    for column in ("frequency_segment", "recency_segment"):
        counts.update({str(k): int(v) for k, v in segmented[column].value_counts().items()})
    unresolvable = int(interactions["email"].isna().sum())
    get_run_logger().info(
        "resolved %d people (%d interactions without a usable email)", len(people), unresolvable
    )
    return Audience(people=segmented, payloads=payloads, unresolvable=unresolvable, segments=counts)


@task(name="plan-brevo-sync")
def plan_sync(audience: Audience, list_id: int) -> pd.DataFrame:
    """Compare desired payloads with what Brevo last accepted: create / update / unchanged / remove."""
    with session_scope() as session:
        state = load_sync_state(session, list_id or 0)
        retry = open_rejections(session)
    if retry:
        # Rows Brevo refused last time are re-sent: forget their hash.
        state = state[~state["email"].isin(retry)]
    return plan_brevo_sync(audience.payloads, state)
