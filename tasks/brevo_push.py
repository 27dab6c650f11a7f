"""Pushing a sync plan to Brevo: consent filter, byte-sized import chunks, removals, progress artifact."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from prefect import get_run_logger
from prefect.artifacts import acreate_progress_artifact, aupdate_progress_artifact
from prefect.runtime import flow_run

from audience.sync_plan import import_rows
from connectors.brevo import BrevoSettings, chunk_rows
from store.brevo_sync import finish_run, start_run, unfinished_batches
from store.db import session_scope
from tasks.brevo import BrevoTarget, import_brevo_chunk, record_opted_out, remove_brevo_list_members
from tasks.brevo_recovery import finish_unfinished_push

SENDS = ("create", "update", "remove")


@dataclass
class BrevoPushResult:
    """Counts of one push (a dry run fills them as if it had pushed)."""

    list_id: int | None = None
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped_consent: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)
    api_calls: int = 0


def needs_push(plan: pd.DataFrame, list_id: int | None) -> bool:
    """True when the plan sends anything or a run (interrupted, or maybe alive) left chunks unconfirmed."""
    if plan["action"].isin(SENDS).any():
        return True
    if list_id is None:
        return False
    with session_scope() as session:
        return bool(unfinished_batches(session, list_id) or unfinished_batches(session, list_id, live=True))


def count_plan(plan: pd.DataFrame, target: BrevoTarget | None) -> BrevoPushResult:
    """What the plan would do, after taking out the people who opted out."""
    excluded = target.excluded if target else frozenset()
    opted_out = plan["email"].isin(excluded) & plan["action"].isin(["create", "update"])
    counts = plan.loc[~opted_out, "action"].value_counts()
    return BrevoPushResult(
        list_id=target.list_id if target else None,
        created=int(counts.get("create", 0)),
        updated=int(counts.get("update", 0)),
        unchanged=int(counts.get("unchanged", 0)),
        removed=int(counts.get("remove", 0)),
        skipped_consent=int(opted_out.sum()),
        api_calls=target.api_calls if target else 0,
    )


def _import_chunks(sending: pd.DataFrame) -> list[tuple[bool, list[dict[str, Any]]]]:
    """Byte-sized import chunks, each with whether its empty values erase (rows clearing a lapsed value)."""
    max_bytes = BrevoSettings().import_chunk_max_bytes
    return [
        (clearing, chunk)
        for clearing in (False, True)
        for chunk in chunk_rows(list(import_rows(sending, clearing=clearing)), max_bytes=max_bytes)
    ]


def _still_to_send(plan: pd.DataFrame, target: BrevoTarget, confirmed: list[tuple[str, str]]) -> pd.DataFrame:
    """The plan's creates and updates, minus people who opted out and what an interrupted run got in."""
    sending = plan[plan["action"].isin(["create", "update"]) & ~plan["email"].isin(target.excluded)]
    if confirmed:
        # What the interrupted run already got into Brevo is not sent again.
        done = pd.Series([f"{e}\n{h}" for e, h in confirmed])
        keys = sending["email"].astype(str) + "\n" + sending["payload_hash"].astype(str)
        sending = sending[~keys.isin(done)]
    return sending


async def _import(sending: pd.DataFrame, target: BrevoTarget, run_id: int, result: BrevoPushResult) -> None:
    """Import ``sending`` in byte-sized chunks, with a progress artifact; counts go into ``result``."""
    assert target.list_id is not None
    hashes = dict(zip(sending["email"].astype(str), sending["payload_hash"].astype(str), strict=True))
    chunks = _import_chunks(sending)
    progress = await acreate_progress_artifact(
        progress=0.0,
        key="brevo-push-progress",
        description=f"Brevo import: {len(sending)} contacts in {len(chunks)} chunk(s)",
    )
    for number, (erase, chunk) in enumerate(chunks, start=1):
        rows = [{**row, "payload_hash": hashes[str(row["email"])]} for row in chunk]
        part = await import_brevo_chunk(rows, target.list_id, run_id, target.states, erase_empty=erase)
        result.api_calls += part.api_calls
        result.rejected.extend(part.rejected)
        await aupdate_progress_artifact(artifact_id=progress, progress=100.0 * number / len(chunks))
        get_run_logger().info(
            "chunk %d/%d: %d accepted, %d rejected", number, len(chunks), part.accepted, len(part.rejected)
        )


def _finish(run_id: int, result: BrevoPushResult, error: str | None) -> None:
    """Record the push's counts (and its error) on its sync run."""
    counts = {
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "removed": result.removed,
        "rejected": len(result.rejected),
        "skipped_consent": result.skipped_consent,
        "api_calls": result.api_calls,
    }
    with session_scope() as session:
        finish_run(session, run_id, counts=counts, error=error)


async def push_changes(
    plan: pd.DataFrame, target: BrevoTarget, *, flow_name: str = "audience-sync"
) -> BrevoPushResult:
    """Send the plan's creates and updates (never for people who opted out) and its removals to ``target``.

    An interrupted earlier push is finished first (:func:`tasks.brevo_recovery.finish_unfinished`).
    """
    assert target.list_id is not None
    list_id = target.list_id
    result = count_plan(plan, target)
    with session_scope() as session:
        run_id = start_run(
            session, flow=flow_name, list_id=list_id, dry_run=False, flow_run_id=str(flow_run.get_id() or "")
        )
    error: str | None = None
    try:
        resumed = await finish_unfinished_push(list_id, run_id)
        result.api_calls += resumed.api_calls
        result.rejected.extend(resumed.rejected)
        await _import(_still_to_send(plan, target, resumed.confirmed), target, run_id, result)
        opted_out = plan[plan["action"].isin(["create", "update"]) & plan["email"].isin(target.excluded)]
        record_opted_out(opted_out, list_id, run_id)
        removals = plan.loc[plan["action"] == "remove", "email"].astype(str).tolist()
        result.removed, calls = await remove_brevo_list_members(removals, list_id, run_id)
        result.api_calls += calls
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        _finish(run_id, result, error)
    return result
