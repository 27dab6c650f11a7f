"""audience-sync end to end on the sandbox: one contact per person, consent kept, nothing sent twice."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from audience.identity import normalise_emails
from audience.people import resolve_people
from audience.segments import SegmentThresholds, segment_people
from flows.audience_sync import audience_sync
from sandbox.framework import RunningSandbox
from store.checkpoints import window_states
from store.db import make_engine, session_scope
from store.interactions import load_interactions
from store.migrate import upgrade
from tests.e2e.conftest import serve_world

#: One instant for every run of this module: segments ("recent", "upcoming") depend on it, and a
#: booking starting between two runs would rightly change someone's attributes.
AS_OF = datetime.now(UTC).replace(second=0, microsecond=0)


def brevo_state(sandbox: RunningSandbox) -> Any:
    return sandbox.ctx.state["brevo"]


def end_state(
    sandbox: RunningSandbox,
) -> dict[str, tuple[bool, tuple[int, ...], tuple[tuple[str, Any], ...]]]:
    """Every Brevo contact: blocklisted, lists, attributes."""
    return {
        email: (c["emailBlacklisted"], tuple(sorted(c["listIds"])), tuple(sorted(c["attributes"].items())))
        for email, c in brevo_state(sandbox).contacts.items()
    }


async def test_first_run_makes_one_contact_per_person_and_keeps_consent(world: RunningSandbox) -> None:
    brevo = brevo_state(world)
    blocked_before = {e for e, c in brevo.contacts.items() if c["emailBlacklisted"]}
    lists_before = {e: set(c["listIds"]) for e, c in brevo.contacts.items()}

    summary = await audience_sync(as_of=AS_OF)

    assert summary.sources["easyappointments"].complete
    list_id = summary.brevo.list_id
    assert list_id is not None
    with session_scope(make_engine()) as session:
        interactions = load_interactions(session)
    people = segment_people(
        resolve_people(interactions, pd.Timestamp(summary.as_of)),
        pd.Timestamp(summary.as_of),
        SegmentThresholds(),
    )
    # People whose every ticket was refunded or cancelled (and nothing else) are never created.
    emails = set(people.loc[~people["removal_candidate"].astype(bool), "email"])
    assert len(people) == summary.people
    members = {c["email"] for c in brevo.members(list_id)}
    # Every person with a valid email is one contact, on the list unless they opted out.
    assert emails <= set(brevo.contacts)
    opted_out = {
        e
        for e in emails
        if brevo.contacts[e]["emailBlacklisted"] or list_id in brevo.contacts[e]["listUnsubscribed"]
    }
    assert members >= emails - opted_out
    assert summary.brevo.skipped_consent == len(
        opted_out - {e for e, lists in lists_before.items() if list_id in lists}
    )
    # Three spellings of one email never make two contacts.
    raw = interactions["email_raw"].dropna()
    assert len(set(normalise_emails(raw).dropna())) == len(people)
    # Blocklisted people stay blocklisted and join no list they were not on.
    assert blocked_before <= {e for e, c in brevo.contacts.items() if c["emailBlacklisted"]}
    for email in blocked_before:
        assert brevo.contacts[email]["listIds"] <= lists_before.get(email, set())
    assert brevo.consent_violations == [] and brevo.forbidden_fields == [] and brevo.deleted == []
    # Segments landed as attributes.
    loyal = interactions.groupby("email").size()
    some = brevo.contacts[loyal.idxmax()]["attributes"]
    assert some["ENGARDE_SEGMENT"] in {"new_customer", "returning_customer", "loyal_customer"}
    assert "SEGMENT_REASON" in some and "SOURCES" in some
    # Import calls: at most one per 8 MB of payload, plus one.
    imports = world.ctx.requests["brevo"]["POST /v3/contacts/import"]
    payload_bytes = sum(len(str(c["attributes"])) + len(e) for e, c in brevo.contacts.items())
    assert imports <= math.ceil(payload_bytes / 8_000_000) + 1


async def test_second_run_sends_nothing_and_reads_the_minimum(world: RunningSandbox) -> None:
    await audience_sync(as_of=AS_OF)
    before = dict(world.ctx.requests["brevo"])
    ea_before = sum(world.ctx.requests["easyappointments"].values())

    summary = await audience_sync(as_of=AS_OF)

    after = world.ctx.requests["brevo"]
    sent = {
        route: after[route] - before.get(route, 0) for route in after if after[route] != before.get(route, 0)
    }
    assert sent == {}, f"the second run called Brevo: {sent}"
    assert summary.brevo.created == summary.brevo.updated == summary.brevo.removed == 0
    assert (
        summary.brevo.unchanged == summary.people - summary.brevo.skipped_consent
        or summary.brevo.unchanged > 0
    )
    # EasyAppointments: customers + services + providers, then ceil(rows/length)+ pages of the re-read window.
    ea_calls = sum(world.ctx.requests["easyappointments"].values()) - ea_before
    rows = summary.sources["easyappointments"].rows
    assert ea_calls <= 3 + rows // 1000 + 1 + 1


async def test_twenty_percent_faults_reach_the_fault_free_end_state(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    states = []
    for faults, name in ((0.0, "clean"), (0.2, "faulty")):
        url = f"sqlite:///{tmp_path / name}.db"
        upgrade(make_engine(url))
        monkeypatch.setenv("DATABASE_URL", url)
        sandbox = serve_world(monkeypatch, faults=faults)
        try:
            for _ in range(3):  # a scheduled run that fails is simply run again
                try:
                    summary = await audience_sync(as_of=AS_OF)
                except Exception:
                    continue
                if all(s.complete for s in summary.sources.values()):
                    break
            states.append(end_state(sandbox))
            if faults:
                assert sum(sandbox.ctx.faults.injected.values()) > 10
                assert brevo_state(sandbox).repeated_imports() == {}
        finally:
            sandbox.stop()
    assert states[0] == states[1]


async def test_interrupted_push_is_finished_without_importing_twice(
    world: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    brevo = brevo_state(world)
    # The import is accepted but never finishes while this run waits: the run dies mid-push.
    brevo.complete_after_polls = 10**6
    brevo.import_delay = 10**6
    monkeypatch.setenv("BREVO_PROCESS_POLL_TIMEOUT", "2")
    with pytest.raises(Exception, match="still"):
        await audience_sync(as_of=AS_OF)
    monkeypatch.delenv("BREVO_PROCESS_POLL_TIMEOUT")
    assert len(brevo.import_log) == 0 and len(brevo.processes) == 1
    brevo.complete_after_polls, brevo.import_delay = 1, 0.0

    summary = await audience_sync(as_of=AS_OF)

    assert brevo.repeated_imports() == {}
    assert len(brevo.processes) == 1, "the rerun confirmed the first import instead of sending it again"
    assert summary.brevo.created == 0 or summary.brevo.created < summary.people
    members = {c["email"] for c in brevo.members(summary.brevo.list_id or 0)}
    assert len(members) > 0


async def test_dry_run_sends_nothing(world: RunningSandbox) -> None:
    summary = await audience_sync(as_of=AS_OF, dry_run=True)
    assert summary.dry_run and summary.brevo.created > 0
    assert world.ctx.requests["brevo"].get("POST /v3/contacts/import", 0) == 0
    with session_scope(make_engine()) as session:
        assert window_states(session, "easyappointments") == {}, "a dry run leaves no checkpoint"
    assert pd.isna(summary.brevo.list_id) or summary.brevo.list_id is None or summary.brevo.list_id > 0
