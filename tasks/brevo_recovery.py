"""Finishing what an interrupted push left, before anything is sent again.

Order, and why:

1. **Dead runs are marked.** A sync run whose row says ``running`` but whose process is gone
   (same host, pid no longer alive) or whose Prefect flow run ended (crashed, failed, cancelled)
   becomes ``crashed``; its chunks are now ours to finish. Chunks of live runs are left alone.
2. **While another run is mid-import, unknown chunks wait.** Its process id is not recorded yet,
   so its fresh import could be mistaken for one of ours; a later run reconciles them.
3. **Unknown chunks are reconciled with Brevo.** A ``sending`` chunk (the run died between
   recording it and reading Brevo's answer) adopts the first import process of its time window
   (:mod:`connectors.brevo.reconcile`) confirmed by its effect on a contact of the chunk;
   with no such process, Brevo never received it and its rows are sent again.
4. **Known processes are confirmed** by reading their reports: nothing is imported twice.
"""

from __future__ import annotations

import socket
from datetime import datetime
from uuid import UUID

from prefect import get_run_logger, task
from prefect.client.orchestration import get_client

from connectors.brevo import BrevoClient, BrevoSettings, ImportResult
from connectors.brevo.reconcile import DEFAULT_SKEW, candidates, touched_after
from store.brevo_sync import (
    claimed_process_ids,
    mark_batch_not_sent,
    mark_batch_sent,
    mark_dead_runs,
    running_runs,
    unfinished_batches,
)
from store.db import session_scope
from store.locks import process_alive
from store.models import BrevoImportBatch, BrevoSyncRun
from tasks.brevo import ChunkResult, apply_report

#: Prefect states after which a run's row can no longer be ``running``.
_ENDED = {"CRASHED", "FAILED", "CANCELLED", "COMPLETED"}
#: Contacts of a chunk read to confirm a candidate process is its import.
_PROBES = 3


async def _flow_run_states(runs: list[BrevoSyncRun]) -> dict[str, str]:
    """The Prefect state type of each run's flow run (those Prefect could tell; pids decide the rest)."""
    states: dict[str, str] = {}
    ids = {str(r.flow_run_id) for r in runs if r.flow_run_id}
    if not ids:
        return states
    async with get_client() as client:
        for flow_run_id in ids:
            try:
                flow_run = await client.read_flow_run(UUID(flow_run_id))
            except Exception as exc:  # unknown to this server, or unreachable
                get_run_logger().info("flow run %s: state unknown (%s)", flow_run_id, type(exc).__name__)
                continue
            if flow_run.state is not None:
                states[flow_run_id] = flow_run.state.type.value
    return states


def why_dead(run: BrevoSyncRun, current_run_id: int, flow_states: dict[str, str]) -> str | None:
    """Why a ``running`` row's run is dead, or None if it is (or may be) alive."""
    if run.id == current_run_id:
        return None
    state = flow_states.get(str(run.flow_run_id or ""))
    if state in _ENDED:
        return f"its Prefect flow run {run.flow_run_id} ended {state.lower()} while this push was running"
    if run.pid is not None and run.host == socket.gethostname() and not process_alive(run.pid):
        return f"process {run.pid} on {run.host} is gone (killed or crashed mid-push)"
    return None


async def mark_dead(current_run_id: int) -> list[int]:
    """Step 1: mark the rows of dead runs ``crashed``; returns their ids."""
    with session_scope() as session:
        runs = running_runs(session)
    states = await _flow_run_states([r for r in runs if r.id != current_run_id])
    with session_scope() as session:
        return mark_dead_runs(session, lambda run: why_dead(run, current_run_id, states))


async def _adopt(brevo: BrevoClient, chunks: list[tuple[int, datetime, list[str]]]) -> dict[int, int | None]:
    """Step 3: the process each unknown chunk started in Brevo, or None if Brevo never got it.

    Chunks oldest first; each adopts the first candidate process (:func:`candidates`) that
    modified one of its contacts, so an import that is not its own is passed over, not taken.
    """
    since = min(recorded for _, recorded, _ in chunks) - DEFAULT_SKEW
    processes = await brevo.list_import_processes(since)
    with session_scope() as session:
        taken = claimed_process_ids(session)
    matched: dict[int, int | None] = {}
    for chunk_id, recorded, emails in sorted(chunks, key=lambda c: (c[1], c[0])):
        matched[chunk_id] = None
        for process in candidates(recorded, processes, taken):
            await brevo.wait_for_process(process.id)
            probes = [await brevo.get_contact(e) for e in emails[:_PROBES]]
            if any(c is not None and touched_after(c.modified_at, process.created_at) for c in probes):
                matched[chunk_id] = process.id
                taken.add(process.id)
                break
    return matched


async def _reconcile_unknown(brevo: BrevoClient, batches: list[BrevoImportBatch]) -> list[int]:
    """Record what Brevo says about ``sending`` chunks; returns the ids of those never received."""
    unknown = [
        (b.id, b.created_at, [str(e) for e, _ in b.rows["rows"]]) for b in batches if b.status == "sending"
    ]
    if not unknown:
        return []
    matched = await _adopt(brevo, unknown)
    never: list[int] = []
    with session_scope() as session:
        for chunk_id, process_id in matched.items():
            if process_id is None:
                never.append(chunk_id)
                mark_batch_not_sent(
                    session, chunk_id, "Brevo started no import for it (reconciled); sent again"
                )
            else:
                mark_batch_sent(session, chunk_id, process_id)
    return never


@task(name="finish-unfinished-push")
async def finish_unfinished_push(list_id: int, run_id: int) -> ChunkResult:
    """Finish the chunks of interrupted runs: reconcile, then confirm; never import them twice."""
    logger = get_run_logger()
    dead = await mark_dead(run_id)
    if dead:
        logger.warning("marked %d sync run(s) crashed (their process is gone): %s", len(dead), dead)
    with session_scope() as session:
        batches = unfinished_batches(session, list_id)
    total = ChunkResult()
    if not batches:
        return total
    with session_scope() as session:
        busy = bool(unfinished_batches(session, list_id, live=True, unanswered=True, besides=run_id))
    if busy and any(b.status == "sending" for b in batches):
        logger.warning("another run is importing right now: unconfirmed chunks are reconciled by a later run")
        batches = [b for b in batches if b.status == "sent"]
    async with BrevoClient(BrevoSettings()) as brevo:
        never = await _reconcile_unknown(brevo, batches)
        with session_scope() as session:
            sent = [
                (b.id, int(b.process_id or 0), [(str(e), str(h)) for e, h in b.rows["rows"]])
                for b in unfinished_batches(session, list_id)
                if b.status == "sent"
            ]
        for batch_id, process_id, pairs in sent:
            pending = ImportResult(
                process_id=process_id,
                status="queued",
                rows_sent=len(pairs),
                body_bytes=0,
                sent_emails=[e for e, _ in pairs],
            )
            part = apply_report(batch_id, list_id, run_id, pairs, await brevo.finish_import(pending))
            total.accepted += part.accepted
            total.confirmed.extend(part.confirmed)
            total.rejected.extend(part.rejected)
        total.api_calls = brevo.stats.requests
    logger.info(
        "interrupted runs: %d chunk(s) confirmed from Brevo (%d people), %d never received (sent again)",
        len(sent),
        total.accepted,
        len(never),
    )
    return total
