"""Thin tasks around the Brevo connector: pre-flight, one import chunk, list removals, unfinished chunks."""

from __future__ import annotations

from dataclasses import dataclass, field

from audience.brevo_payload import BREVO_ATTRIBUTES
from connectors.brevo import BrevoClient, BrevoSettings
from prefect import get_run_logger, task

from store.brevo_sync import (
    close_batch,
    mark_batch_sent,
    open_batch,
    record_pushed,
    record_rejections,
    resolve_rejections,
    unfinished_batches,
)
from store.db import engine_for, session_scope


@dataclass
class BrevoTarget:
    """The list to sync and the people who must never be (re)added to it."""

    list_id: int | None
    excluded: set[str] = field(default_factory=set)
    api_calls: int = 0


@dataclass
class ChunkResult:
    """What Brevo did with one import chunk."""

    accepted: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)
    api_calls: int = 0


@task(name="brevo-prepare")
async def prepare_brevo(list_id: int | None, *, dry_run: bool = False) -> BrevoTarget:
    """Create missing attributes and the master list (not in a dry run); read who must not be added."""
    settings = BrevoSettings()
    async with BrevoClient(settings) as brevo:
        if dry_run:
            resolved = list_id or settings.master_list_id or await brevo.find_list(settings.master_list_name)
        else:
            await brevo.ensure_attributes(BREVO_ATTRIBUTES)
            resolved = await brevo.ensure_master_list(
                list_id or settings.master_list_id, settings.master_list_name
            )
        excluded: set[str] = set()
        if resolved:
            excluded = await brevo.get_blocked_emails() | await brevo.get_list_unsubscribed(resolved)
        calls = brevo.api_calls
    get_run_logger().info(
        "Brevo list %s; %d people may not be added (blocklisted or unsubscribed)", resolved, len(excluded)
    )
    return BrevoTarget(list_id=resolved, excluded=excluded, api_calls=calls)


@task(name="brevo-import-chunk", retries=2, retry_delay_seconds=[10, 60])
async def import_chunk(rows: list[dict[str, object]], list_id: int, run_id: int) -> ChunkResult:
    """Import one chunk (≤ 8 MB) into ``list_id``: recorded before sending, confirmed after Brevo processed it."""
    pairs = [(str(r["email"]), str(r["payload_hash"])) for r in rows]
    engine = engine_for()
    with session_scope(engine) as session:
        batch_id = open_batch(session, run_id=run_id, list_id=list_id, rows=pairs)
    contacts = [{"email": r["email"], "attributes": r["attributes"]} for r in rows]
    async with BrevoClient(BrevoSettings()) as brevo:
        process_id = await brevo.start_import(contacts, [list_id])
        with session_scope(engine) as session:
            mark_batch_sent(session, batch_id, process_id)
        report = await brevo.wait_for_import(process_id)
        calls = brevo.api_calls
    return _apply_report(batch_id, list_id, run_id, pairs, report.rejected, calls)


def _apply_report(
    batch_id: int,
    list_id: int,
    run_id: int,
    pairs: list[tuple[str, str]],
    rejected: list[tuple[str, str]],
    calls: int,
) -> ChunkResult:
    refused = {email.strip().lower() for email, _ in rejected}
    accepted = [(e, h) for e, h in pairs if e not in refused]
    with session_scope(engine_for()) as session:
        record_pushed(session, list_id=list_id, rows=accepted, on_list=True, run_id=run_id)
        resolve_rejections(session, [e for e, _ in accepted])
        record_rejections(session, run_id, rejected)
        close_batch(session, batch_id)
    return ChunkResult(accepted=len(accepted), rejected=list(rejected), api_calls=calls)


@task(name="brevo-finish-unfinished")
async def finish_unfinished(list_id: int, run_id: int) -> ChunkResult:
    """Confirm chunks a crashed run had sent: read their process reports instead of importing again."""
    with session_scope(engine_for()) as session:
        batches = [
            (b.id, b.process_id, [tuple(p) for p in b.rows["rows"]])
            for b in unfinished_batches(session, list_id)
        ]
    total = ChunkResult()
    if not batches:
        return total
    async with BrevoClient(BrevoSettings()) as brevo:
        for batch_id, process_id, pairs in batches:
            assert process_id is not None
            report = await brevo.wait_for_import(process_id)
            part = _apply_report(
                batch_id, list_id, run_id, [(str(e), str(h)) for e, h in pairs], report.rejected, 0
            )
            total.accepted += part.accepted
            total.rejected.extend(part.rejected)
        total.api_calls = brevo.api_calls
    get_run_logger().info(
        "confirmed %d chunk(s) sent by an interrupted run (%d people)", len(batches), total.accepted
    )
    return total


@task(name="brevo-remove-from-list")
async def remove_members(emails: list[str], list_id: int, run_id: int) -> tuple[int, int]:
    """Take ``emails`` off ``list_id`` (≤150 per call); returns (removed, api calls). Contacts are never deleted."""
    if not emails:
        return 0, 0
    async with BrevoClient(BrevoSettings()) as brevo:
        removed = await brevo.remove_from_list(list_id, emails)
        calls = brevo.api_calls
    with session_scope(engine_for()) as session:
        record_pushed(
            session, list_id=list_id, rows=[(e, None) for e in emails], on_list=False, run_id=run_id
        )
    return removed, calls
