"""Thin tasks around the Brevo connector: pre-flight, one import chunk, list removals."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from prefect import get_run_logger, task

from audience.brevo_payload import BREVO_ATTRIBUTES
from connectors.brevo import BrevoClient, BrevoSettings, ContactStates, ImportResult
from store.brevo_events import opted_out_emails
from store.brevo_sync import (
    close_batch,
    mark_batch_sent,
    open_batch,
    record_pushed,
    record_rejections,
    resolve_rejections,
)
from store.connections import brevo_target_cache, remember_brevo_target
from store.db import session_scope


@dataclass
class BrevoTarget:
    """The list to sync and who must never be (re)added to it."""

    list_id: int | None
    states: ContactStates = field(default_factory=ContactStates)
    api_calls: int = 0
    #: Ids of every list Brevo had when this run looked (None: it did not look, e.g. a dry run).
    existing_lists: frozenset[int] | None = None
    #: Lists found deleted by hand and created again by this run (names).
    recreated: list[str] = field(default_factory=list)

    @property
    def excluded(self) -> frozenset[str]:
        """Blocklisted people and people who unsubscribed from the list."""
        if self.list_id is None:
            return self.states.blocklisted
        return self.states.blocklisted | self.states.unsubscribed_from(self.list_id)


@dataclass
class ChunkResult:
    """What Brevo did with one import chunk."""

    accepted: int = 0
    #: (email, payload hash) pairs Brevo now holds.
    confirmed: list[tuple[str, str]] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    api_calls: int = 0


def known_list_id(list_id: int | None) -> int | None:
    """The list to sync without asking Brevo: the parameter, the setting, or the one this project created before."""
    if list_id:
        return list_id
    settings = BrevoSettings()
    if settings.master_list_id:
        return settings.master_list_id
    with session_scope() as session:
        return brevo_target_cache(session, settings.master_list_name).get("list_id")


@task(name="prepare-brevo")
async def prepare_brevo(list_id: int | None, *, dry_run: bool = False) -> BrevoTarget:
    """Make sure the attributes and the master list exist (not in a dry run); read who must not be added.

    The attribute spec verified once is cached in the database, so a run with nothing to send
    needs no call to Brevo at all (this task is not called then). A run that sends reads the
    account's lists once: a cached master list deleted by hand is found or created again by
    name (``recreated``), and ``existing_lists`` lets the event lists do the same.
    """
    settings = BrevoSettings()
    spec_key = ",".join(f"{k}:{v}" for k, v in sorted(BREVO_ATTRIBUTES.items()))
    existing: frozenset[int] | None = None
    recreated: list[str] = []
    async with BrevoClient(settings) as brevo:
        with session_scope() as session:
            cache = brevo_target_cache(session, settings.master_list_name)
        replaced: list[int] = [int(x) for x in cache.get("replaced", [])]
        resolved = list_id or settings.master_list_id or cache.get("list_id")
        if not dry_run:
            if cache.get("attributes") != spec_key:
                await brevo.ensure_attributes(BREVO_ATTRIBUTES)
            existing = frozenset(item.id for item in await brevo.get_lists())
            configured = list_id or settings.master_list_id
            resolved = await _master_list(brevo, existing, configured, cache.get("list_id"), settings)
            if configured is None and cache.get("list_id") not in (None, resolved):
                recreated.append(settings.master_list_name)
                replaced.append(int(cache["list_id"]))
            with session_scope() as session:
                remember_brevo_target(
                    session,
                    settings.master_list_name,
                    list_id=resolved,
                    attributes=spec_key,
                    replaced=replaced,
                )
        states = _carry_unsubscribes(await brevo.get_contact_states(), resolved, replaced)
        with session_scope() as session:
            opted_out = opted_out_emails(session)
        if opted_out:  # told by Brevo's webhooks, maybe before Brevo's contact list shows it
            states = states.model_copy(update={"blocklisted": states.blocklisted | opted_out})
        calls = brevo.stats.requests
    target = BrevoTarget(
        list_id=resolved, states=states, api_calls=calls, existing_lists=existing, recreated=recreated
    )
    if recreated:
        get_run_logger().warning(
            "Brevo list %r (id %s) was deleted; it is list %s now and is filled again",
            settings.master_list_name,
            cache.get("list_id"),
            resolved,
        )
    get_run_logger().info(
        "Brevo list %s: %d people may not be added (blocklisted or unsubscribed)",
        resolved,
        len(target.excluded),
    )
    return target


def _carry_unsubscribes(states: ContactStates, list_id: int | None, replaced: list[int]) -> ContactStates:
    """People who unsubscribed from a master list since deleted by hand stay unsubscribed from its successor."""
    if list_id is None or not replaced:
        return states
    carried = frozenset().union(states.unsubscribed_from(list_id), *map(states.unsubscribed_from, replaced))
    return states.model_copy(update={"unsubscribed": {**states.unsubscribed, list_id: carried}})


async def _master_list(
    brevo: BrevoClient,
    existing: frozenset[int],
    configured: int | None,
    cached: int | None,
    settings: BrevoSettings,
) -> int:
    """The master list's id among the ``existing`` lists: the configured one, the cached one, or by name."""
    if configured is not None:
        if configured not in existing:
            raise ValueError(
                f"Brevo has no list {configured} (BREVO_MASTER_LIST_ID or the list_id parameter): "
                "was it deleted? Set the id of an existing list, or unset BREVO_MASTER_LIST_ID so "
                f"the run finds or creates the list named {settings.master_list_name!r}."
            )
        return configured
    if cached in existing:
        return int(cached)
    return await brevo.find_or_create_list(settings.master_list_name)


def apply_report(
    batch_id: int, list_id: int, run_id: int, pairs: list[tuple[str, str]], result: ImportResult
) -> ChunkResult:
    """Record what Brevo accepted (their new hash) and refused (retried next run); close the batch."""
    refused = {r.email.strip().lower(): r.reason for r in result.rejected}
    skipped = {r.email.strip().lower(): r.reason for r in result.skipped}
    accepted = [(e, h) for e, h in pairs if e not in refused and e not in skipped]
    with session_scope() as session:
        record_pushed(session, list_id=list_id, rows=accepted, on_list=True, run_id=run_id)
        resolve_rejections(session, [e for e, _ in accepted])
        record_rejections(session, run_id, refused.items())
        close_batch(session, batch_id)
    return ChunkResult(
        accepted=len(accepted),
        confirmed=accepted,
        rejected=list(refused.items()),
        skipped=list(skipped.items()),
        api_calls=result.api_calls,
    )


@task(name="import-brevo-chunk")
async def import_brevo_chunk(
    rows: list[dict[str, Any]], list_id: int, run_id: int, states: ContactStates, *, erase_empty: bool = False
) -> ChunkResult:
    """Import one chunk (≤ 8 MB) into ``list_id``: recorded before sending, confirmed once Brevo processed it.

    ``erase_empty``: the chunk's ``""`` values erase what Brevo holds (rows that clear a lapsed value).

    The import POST is never retried after a server error (Brevo may have started it); a
    chunk Brevo did (or may have) accepted is reconciled by
    :func:`tasks.brevo_recovery.finish_unfinished` if this run dies.
    """
    pairs = [(str(r["email"]), str(r["payload_hash"])) for r in rows]
    contacts = [{"email": r["email"], "attributes": r["attributes"]} for r in rows]
    with session_scope() as session:
        batch_id = open_batch(session, run_id=run_id, list_id=list_id, rows=pairs)
    async with BrevoClient(BrevoSettings()) as brevo:
        pending = await brevo.import_contacts(
            contacts, [list_id], exclude=states, types=BREVO_ATTRIBUTES, wait=False, erase_empty=erase_empty
        )
        if pending.process_id is not None:
            with session_scope() as session:
                mark_batch_sent(session, batch_id, pending.process_id)
        result = await brevo.finish_import(pending)
    return apply_report(batch_id, list_id, run_id, pairs, result)


def record_opted_out(plan_rows: pd.DataFrame, list_id: int, run_id: int) -> None:
    """Remember people left out for consent (off the list, with this payload) so unchanged ones cost nothing next run."""
    pairs = list(zip(plan_rows["email"].astype(str), plan_rows["payload_hash"].astype(str), strict=True))
    with session_scope() as session:
        record_pushed(session, list_id=list_id, rows=pairs, on_list=False, run_id=run_id)


@task(name="remove-brevo-list-members")
async def remove_brevo_list_members(emails: list[str], list_id: int, run_id: int) -> tuple[int, int]:
    """Take ``emails`` off ``list_id`` (≤150 per call); returns (removed, API calls). Contacts are never deleted."""
    if not emails:
        return 0, 0
    async with BrevoClient(BrevoSettings()) as brevo:
        result = await brevo.remove_from_list(list_id, emails)
        calls = brevo.stats.requests
    with session_scope() as session:
        record_pushed(
            session, list_id=list_id, rows=[(e, None) for e in emails], on_list=False, run_id=run_id
        )
    return result.changed, calls
