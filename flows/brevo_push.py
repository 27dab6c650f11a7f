"""Pushing a sync plan to Brevo: consent filter, byte-sized import chunks, removals, progress artifact."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from audience.sync_plan import chunk_by_bytes
from connectors.brevo import BrevoSettings
from prefect import get_run_logger
from prefect.artifacts import acreate_progress_artifact, aupdate_progress_artifact
from prefect.runtime import flow_run

from store.brevo_sync import finish_run, start_run
from store.db import engine_for, session_scope
from tasks.brevo import BrevoTarget, finish_unfinished, import_chunk, remove_members


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
    plan: pd.DataFrame = field(default_factory=pd.DataFrame)


async def push_changes(
    plan: pd.DataFrame, target: BrevoTarget, *, dry_run: bool, flow_name: str = "audience-sync"
) -> BrevoPushResult:
    """Send the plan's creates and updates (never to people who opted out) and its removals."""
    logger = get_run_logger()
    excluded = plan["email"].isin(target.excluded) & plan["action"].isin(["create", "update"])
    sendable = plan[~excluded]
    counts = sendable["action"].value_counts().to_dict()
    result = BrevoPushResult(
        list_id=target.list_id,
        created=int(counts.get("create", 0)),
        updated=int(counts.get("update", 0)),
        unchanged=int(counts.get("unchanged", 0)),
        skipped_consent=int(excluded.sum()),
        api_calls=target.api_calls,
        plan=plan,
    )
    removals = sendable.loc[sendable["action"] == "remove", "email"].astype(str).tolist()
    result.removed = len(removals)
    if dry_run or target.list_id is None:
        return result

    list_id = target.list_id
    with session_scope(engine_for()) as session:
        run_id = start_run(
            session, flow=flow_name, list_id=list_id, dry_run=False, flow_run_id=str(flow_run.get_id() or "")
        )
    error: str | None = None
    try:
        resumed = await finish_unfinished(list_id, run_id)
        result.api_calls += resumed.api_calls
        result.rejected.extend(resumed.rejected)
        rows = sendable.loc[
            sendable["action"].isin(["create", "update"]), ["email", "attributes", "payload_hash"]
        ]
        chunks = chunk_by_bytes(rows.to_dict("records"), max_bytes=BrevoSettings().import_max_bytes)
        progress = await acreate_progress_artifact(
            progress=0.0,
            key="brevo-push-progress",
            description=f"Brevo import: {len(rows)} contacts in {len(chunks)} chunk(s)",
        )
        for number, chunk in enumerate(chunks, start=1):
            part = await import_chunk(chunk, list_id, run_id)
            result.api_calls += part.api_calls
            result.rejected.extend(part.rejected)
            await aupdate_progress_artifact(progress_id=progress, progress=100.0 * number / len(chunks))
            logger.info(
                "chunk %d/%d: %d accepted, %d rejected",
                number,
                len(chunks),
                part.accepted,
                len(part.rejected),
            )
        removed, calls = await remove_members(removals, list_id, run_id)
        result.removed, result.api_calls = removed, result.api_calls + calls
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        with session_scope(engine_for()) as session:
            finish_run(
                session,
                run_id,
                counts={
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                    "removed": result.removed,
                    "rejected": len(result.rejected),
                    "skipped_consent": result.skipped_consent,
                    "api_calls": result.api_calls,
                },
                error=error,
            )
    return result
