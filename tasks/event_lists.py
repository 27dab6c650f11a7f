"""Per-event Brevo lists: plan from stored tickets, then add and remove members (never touching the blocklist)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from prefect import get_run_logger, task

from audience.event_lists import event_memberships, plan_event_lists
from connectors.brevo import BrevoClient, BrevoSettings, ContactStates
from store.brevo_sync import record_pushed
from store.db import session_scope
from store.event_lists import (
    SKIPPED,
    event_list_ids,
    forget_event_lists,
    load_event_list_state,
    remember_event_lists,
)
from store.interactions import load_interactions

#: Brevo list names are kept short; the event key keeps them unique.
NAME_MAX = 120


@dataclass
class EventListPlan:
    """What to change on the event lists: ``plan`` rows and the display name of each event."""

    plan: pd.DataFrame
    names: dict[str, str]

    @property
    def adds(self) -> int:
        """Planned additions."""
        return int((self.plan["action"] == "add").sum())

    @property
    def removes(self) -> int:
        """Planned removals."""
        return int((self.plan["action"] == "remove").sum())

    @property
    def lists(self) -> int:
        """Event lists the plan touches."""
        return int(self.plan["event_key"].nunique())


@dataclass
class EventListResult:
    """What one event-list sync did in Brevo."""

    added: int = 0
    removed: int = 0
    lists: int = 0
    skipped: int = 0
    api_calls: int = 0


def event_list_name(event_key: str, event_name: str) -> str:
    """The Brevo list name of an event: ``Event: <name> (<event_key>)``."""
    name = " ".join(str(event_name).split())
    if len(name) > NAME_MAX:
        name = name[: NAME_MAX - 1].rstrip() + "…"
    return f"Event: {name} ({event_key})"


@task(name="forget-deleted-event-lists")
def forget_deleted_event_lists(existing: frozenset[int]) -> list[str]:
    """Event keys whose Brevo list was deleted by hand (not among ``existing``); they are filled again this run."""
    with session_scope() as session:
        gone = forget_event_lists(session, existing)
    if gone:
        get_run_logger().warning(
            "event lists deleted in Brevo, created again and refilled: %s", ", ".join(gone)
        )
    return gone


@task(name="plan-event-list-sync")
def plan_event_list_sync(emails: list[str] | None = None) -> EventListPlan:
    """Compare active ticket holders per event with what this project last put on each event list."""
    with session_scope() as session:
        interactions = load_interactions(session, sources=["eventbrite", "poshvip"], emails=emails)
        state = load_event_list_state(session, emails=emails)
    desired = event_memberships(interactions)
    names = dict(zip(desired["event_key"].astype(str), desired["event_name"].astype(str), strict=True))
    return EventListPlan(plan=plan_event_lists(desired, state), names=names)


@task(name="sync-event-lists")
async def sync_event_lists(
    plan: EventListPlan, states: ContactStates | None = None, run_id: int | None = None
) -> EventListResult:
    """Apply ``plan``: make sure each list exists, add wanted people, remove withdrawn ones; record the state.

    Run after the master-list push, so everyone holding an active ticket is a Brevo contact.
    Nobody blocklisted or unsubscribed from an event list is added (``states``, read here
    when not given and there is anything to add); such people and emails Brevo does not
    know are remembered as skipped and not retried while they keep their ticket. List ids
    are cached: a run whose plan is empty makes no call.
    """
    logger = get_run_logger()
    result = EventListResult(lists=plan.lists)
    if plan.plan.empty:
        return result
    adds = plan.plan[plan.plan["action"] == "add"]
    removes = plan.plan[plan.plan["action"] == "remove"]
    async with BrevoClient(BrevoSettings()) as brevo:
        ids = await _list_ids(brevo, plan, adds)
        if not adds.empty and states is None:
            states = await brevo.get_contact_states()
        for key, group in adds.groupby("event_key", sort=True):
            await _add_members(
                brevo, ids[str(key)], group["email"].astype(str).tolist(), states, run_id, result
            )
        for key, group in removes.groupby("event_key", sort=True):
            list_id = ids[str(key)]
            emails = group["email"].astype(str).tolist()
            change = await brevo.remove_from_list(list_id, emails)
            _record_members(list_id, run_id, off=emails)
            result.removed += change.changed
        result.api_calls = brevo.stats.requests
    logger.info(
        "event lists: %d added, %d removed, %d skipped (consent or unknown contact) over %d list(s), %d calls",
        result.added,
        result.removed,
        result.skipped,
        result.lists,
        result.api_calls,
    )
    return result


async def _list_ids(brevo: BrevoClient, plan: EventListPlan, adds: pd.DataFrame) -> dict[str, int]:
    """Every event's Brevo list id: the remembered ones, and lists found or created for new events."""
    with session_scope() as session:
        ids = event_list_ids(session)
    missing = sorted(set(adds["event_key"].astype(str)) - set(ids))
    if missing:
        names = {key: event_list_name(key, plan.names.get(key, key)) for key in missing}
        found = await brevo.find_or_create_lists(names.values())
        created = {key: found[name] for key, name in names.items()}
        with session_scope() as session:
            remember_event_lists(session, created)
        ids.update(created)
    return ids


async def _add_members(
    brevo: BrevoClient,
    list_id: int,
    emails: list[str],
    states: ContactStates | None,
    run_id: int | None,
    result: EventListResult,
) -> None:
    """Add ``emails`` to one event list (never a blocklisted or unsubscribed one); record who is on it."""
    change = await brevo.add_to_list(list_id, emails, exclude=states)
    # Brevo reports people already on the list as not changed: they are members all the same.
    already = set(change.not_changed_emails) & (states.members_of(list_id) if states else frozenset())
    left_out = sorted(({r.email for r in change.skipped} | set(change.not_changed_emails)) - already)
    _record_members(list_id, run_id, on=sorted(set(emails) - set(left_out)), skipped=left_out)
    result.added += change.changed
    result.skipped += len(left_out)


def _record_members(
    list_id: int,
    run_id: int | None,
    *,
    on: Sequence[str] = (),
    off: Sequence[str] = (),
    skipped: Sequence[str] = (),
) -> None:
    """Remember who is now on (``on``), off (``off``) or left out of (``skipped``) one event list."""
    with session_scope() as session:
        if on:
            record_pushed(
                session,
                list_id=list_id,
                rows=[(e, None) for e in on],
                on_list=True,
                run_id=run_id,
                clear_hash=True,
            )
        if off:
            record_pushed(
                session,
                list_id=list_id,
                rows=[(e, None) for e in off],
                on_list=False,
                run_id=run_id,
                clear_hash=True,
            )
        if skipped:
            record_pushed(
                session, list_id=list_id, rows=[(e, SKIPPED) for e in skipped], on_list=False, run_id=run_id
            )
