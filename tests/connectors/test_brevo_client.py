"""Brevo connector against its twin, over loopback HTTP (real SDK, real requests)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Iterator
from datetime import date
from typing import Any

import pytest
from pydantic import SecretStr

from connectors.brevo import (
    AttributeConflictError,
    BrevoClient,
    BrevoSettings,
    ImportTooLargeError,
    chunk_rows,
    encoded_size,
    import_body,
    import_row,
)
from connectors.http import AuthenticationError, NotFoundError, RetryPolicy, ServerError
from sandbox.brevo_twin import API_KEY, FAULT_RESET_SECONDS, MASTER_LIST_NAME, BrevoState
from sandbox.framework import RunningSandbox, new_context

FAST = RetryPolicy(base_delay=0.01, max_delay=0.05, rate_limit_window=0.05, max_attempts=5, jitter=0.0)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with RunningSandbox(new_context(scale=400, seed=5)) as running:
        yield running


@pytest.fixture(scope="module")
def state(sandbox: RunningSandbox) -> BrevoState:
    value = sandbox.ctx.state["brevo"]
    assert isinstance(value, BrevoState)
    return value


def settings_for(sandbox: RunningSandbox, **overrides: Any) -> BrevoSettings:
    env = sandbox.env
    values: dict[str, Any] = {
        "api_key": SecretStr(env["BREVO_API_KEY"]),
        "api_url": env["BREVO_API_URL"],
        "process_poll_initial": 0.01,
        "process_poll_max": 0.05,
        "process_poll_timeout": 5.0,
        "sender_email": "hello@engarde.example",
        "unlisted_per_hour": 100_000,
        "contacts_per_second": 1000,
    }
    values.update(overrides)
    return BrevoSettings(**values)


class Sleeps:
    """Records every wait the client asks for, and waits only a moment."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self.real = False

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(seconds if self.real else min(seconds, 0.01))


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def brevo(sandbox: RunningSandbox, sleeps: Sleeps) -> AsyncIterator[BrevoClient]:
    async with BrevoClient(settings_for(sandbox), retry=FAST, sleep=sleeps, seed=1) as client:
        yield client


def route_count(sandbox: RunningSandbox, key: str) -> int:
    return sandbox.ctx.requests["brevo"][key]


async def settled_count(sandbox: RunningSandbox, key: str) -> int:
    """The route count once the server thread has tallied the last answer (it counts after sending)."""
    await asyncio.sleep(0.1)
    return route_count(sandbox, key)


# --------------------------------------------------------------------------- connection, attributes


async def test_connection_and_wrong_key(sandbox: RunningSandbox, brevo: BrevoClient) -> None:
    account = await brevo.test_connection()
    assert account.email == "sandbox@engarde.example"
    async with BrevoClient(settings_for(sandbox, api_key=SecretStr("xkeysib-wrong")), retry=FAST) as bad:
        with pytest.raises(AuthenticationError) as info:
            await bad.test_connection()
    assert info.value.status == 401
    assert info.value.code == "unauthorized"
    assert "Key not found" in str(info.value)


async def test_ensure_attributes_creates_missing_with_types(brevo: BrevoClient, state: BrevoState) -> None:
    spec = {"first_source": "text", "last_seen": "date", "bookings": "float", "is_loyal": "boolean"}
    report = await brevo.ensure_attributes({**spec, "FIRSTNAME": "text"})
    assert sorted(report.created) == ["BOOKINGS", "FIRST_SOURCE", "IS_LOYAL", "LAST_SEEN"]
    assert report.existing == ["FIRSTNAME"]
    assert {n: state.attributes[n]["type"] for n in report.created} == {
        "FIRST_SOURCE": "text",
        "LAST_SEEN": "date",
        "BOOKINGS": "float",
        "IS_LOYAL": "boolean",
    }
    again = await brevo.ensure_attributes(spec)
    assert again.created == []
    assert again.api_calls == 1  # one read, nothing written


async def test_attribute_type_conflict_is_reported_and_nothing_written(
    brevo: BrevoClient, state: BrevoState
) -> None:
    with pytest.raises(AttributeConflictError) as info:
        await brevo.ensure_attributes({"FIRSTNAME": "date", "BRAND_NEW": "text"})
    assert info.value.conflicts == {"FIRSTNAME": ("date", "text")}
    assert "FIRSTNAME is text in Brevo" in str(info.value)
    assert "BRAND_NEW" not in state.attributes


# --------------------------------------------------------------------------- lists


async def test_master_list_found_or_created_once(
    sandbox: RunningSandbox, brevo: BrevoClient, state: BrevoState, sleeps: Sleeps
) -> None:
    seeded = await brevo.ensure_master_list()
    assert seeded == state.master_list_id
    assert state.lists[seeded]["name"] == MASTER_LIST_NAME
    lists_before = len(state.lists)
    created = await brevo.ensure_master_list(name="Audience test list")
    assert len(state.lists) == lists_before + 1
    # A new client (no cache) finds it by name instead of creating another one.
    async with BrevoClient(settings_for(sandbox), retry=FAST, sleep=sleeps) as other:
        assert await other.ensure_master_list(name="Audience test list") == created
        assert await other.ensure_master_list(list_id=created) == created
        with pytest.raises(NotFoundError):
            await other.ensure_master_list(list_id=999_999)
    assert len(state.lists) == lists_before + 1
    assert [n for n in state.folders.values()].count("En Garde") == 1


async def test_master_list_found_across_pages(brevo: BrevoClient, state: BrevoState) -> None:
    folder = min(state.folders)
    for i in range(60):  # more than one page of 50
        list_id = state.next_id("list", start=2)
        state.lists[list_id] = {"id": list_id, "name": f"filler {i}", "folderId": folder, "createdAt": 0.0}
    last = state.next_id("list", start=2)
    state.lists[last] = {"id": last, "name": "far away list", "folderId": folder, "createdAt": 0.0}
    count = len(state.lists)
    assert await brevo.find_or_create_list("far away list") == last
    assert len(state.lists) == count


# --------------------------------------------------------------------------- imports


async def test_import_completes_and_reports_invalid_and_duplicate_rows(
    sandbox: RunningSandbox, brevo: BrevoClient, state: BrevoState
) -> None:
    await brevo.ensure_attributes({"LAST_SEEN": "date", "FIRST_SOURCE": "text"})
    list_id = await brevo.find_or_create_list("Import test list")
    rows = [
        {
            "email": "ana.silva@example.org",
            "attributes": {"last_seen": date(2026, 3, 4), "FIRST_SOURCE": "zoom"},
        },
        {"email": " Ben.Okafor@Example.org ", "attributes": {"FIRSTNAME": "Ben", "UNKNOWN_ATTR": "x"}},
        {"email": "not-an-email", "attributes": {}},
        {"email": "carla@", "attributes": {}},
        {"email": "ANA.SILVA@example.org", "attributes": {"FIRST_SOURCE": "eventbrite"}},
    ]
    result = await brevo.import_contacts(rows, [list_id])
    assert result.status == "completed"
    assert result.process_id in state.processes
    assert result.rows_sent == 5
    reasons = {r.email: r.reason for r in result.rejected}
    assert reasons == {
        "not-an-email": "invalid email address (Brevo import report)",
        "carla@": "invalid email address (Brevo import report)",
        "ANA.SILVA@example.org": "duplicate email in the import (Brevo kept one row)",
    }
    ana = state.contacts["ana.silva@example.org"]
    assert ana["attributes"] == {"LAST_SEEN": "2026-03-04", "FIRST_SOURCE": "zoom"}
    assert list_id in ana["listIds"]
    assert state.contacts["ben.okafor@example.org"]["attributes"] == {"FIRSTNAME": "Ben"}
    # post + at least one poll + two report downloads
    assert result.api_calls >= 4
    assert await settled_count(sandbox, "POST /v3/contacts/import") >= 1


async def test_wrongly_typed_values_are_rejected_not_sent(brevo: BrevoClient, state: BrevoState) -> None:
    types = {"LAST_SEEN": "date", "BOOKINGS": "float", "IS_LOYAL": "boolean"}
    await brevo.ensure_attributes(types)
    rows = [
        {"email": "typed.ok@example.org", "attributes": {"LAST_SEEN": date(2026, 1, 2), "BOOKINGS": 3}},
        {"email": "typed.bad@example.org", "attributes": {"LAST_SEEN": "02/01/2026"}},
        {"email": "typed.worse@example.org", "attributes": {"IS_LOYAL": "yes"}},
    ]
    result = await brevo.import_contacts(rows, [state.master_list_id or 2], types=types)
    assert result.rows_sent == 1
    assert {r.email: r.reason for r in result.rejected} == {
        "typed.bad@example.org": "not sent: LAST_SEEN: '02/01/2026' is not a date (YYYY-MM-DD)",
        "typed.worse@example.org": "not sent: IS_LOYAL: 'yes' is not a boolean",
    }
    assert state.contacts["typed.ok@example.org"]["attributes"] == {"LAST_SEEN": "2026-01-02", "BOOKINGS": 3}
    assert "typed.bad@example.org" not in state.contacts
    assert state.type_errors == []


async def test_empty_values_of_every_type_erase_only_with_erase_empty(
    brevo: BrevoClient, state: BrevoState
) -> None:
    types = {"LAPSED_ON": "date", "LAPSED_COUNT": "float", "LAPSED_TAG": "text"}
    await brevo.ensure_attributes(types)
    master = [state.master_list_id or 2]
    email = "lapses@example.org"
    await brevo.import_contacts(
        [{"email": email, "attributes": {"LAPSED_ON": "2026-01-02", "LAPSED_COUNT": 2, "LAPSED_TAG": "x"}}],
        master,
        types=types,
    )
    empty = [{"email": email, "attributes": {"LAPSED_ON": "", "LAPSED_COUNT": "", "LAPSED_TAG": ""}}]
    kept = await brevo.import_contacts(empty, master, types=types)
    assert kept.rejected == [] and state.contacts[email]["attributes"]["LAPSED_COUNT"] == 2
    assert state.received[-1]["body"]["emptyContactsAttributes"] is False
    erased = await brevo.import_contacts(empty, master, types=types, erase_empty=True)
    assert erased.rejected == [] and erased.rows_sent == 1
    assert state.received[-1]["body"]["emptyContactsAttributes"] is True
    assert state.contacts[email]["attributes"] == {}


async def test_chunks_posted_first_then_collected(brevo: BrevoClient, state: BrevoState) -> None:
    list_id = await brevo.find_or_create_list("Pipelined list")
    rows = [import_row(f"pipe{i}@example.org", {"FIRSTNAME": f"P{i}"}) for i in range(400)]
    chunks = list(chunk_rows(rows, max_bytes=8_000, list_ids=[list_id]))
    assert len(chunks) > 2
    pending = [await brevo.import_contacts(chunk, [list_id], wait=False) for chunk in chunks]
    assert {p.status for p in pending} == {"queued"}
    done = [await brevo.finish_import(p) for p in pending]
    assert {d.status for d in done} == {"completed"}
    assert sum(d.rows_sent for d in done) == 400
    assert all(d.rejected == [] for d in done)
    assert len(state.members(list_id)) == 400


async def test_chunks_are_sized_by_bytes() -> None:
    rows = [import_row(f"person{i}@example.org", {"NOTE": "x" * (i % 300)}) for i in range(3000)]
    chunks = list(chunk_rows(rows, max_bytes=50_000, list_ids=[12]))
    assert len(chunks) > 1
    assert [r for c in chunks for r in c] == rows
    for chunk in chunks:
        assert encoded_size(import_body(chunk, [12])) <= 50_000
    # greedy: a chunk plus the next row would not have fitted
    first_plus = encoded_size(import_body([*chunks[0], chunks[1][0]], [12]))
    assert first_plus > 50_000 - 12
    with pytest.raises(ValueError):
        list(chunk_rows([import_row("a@example.org", {"NOTE": "y" * 1000})], max_bytes=200))


async def test_import_over_10_mb_is_refused_before_sending(
    sandbox: RunningSandbox, brevo: BrevoClient, state: BrevoState
) -> None:
    before = await settled_count(sandbox, "POST /v3/contacts/import")
    rows = [{"email": f"big{i}@example.org", "attributes": {"NOTE": "z" * 1000}} for i in range(10_500)]
    with pytest.raises(ImportTooLargeError) as info:
        await brevo.import_contacts(rows, [state.master_list_id or 2])
    assert "10 MB" in str(info.value)
    assert await settled_count(sandbox, "POST /v3/contacts/import") == before


async def test_consent_blocklisted_and_unsubscribed_never_added_back(
    sandbox: RunningSandbox, brevo: BrevoClient, state: BrevoState
) -> None:
    master = await brevo.ensure_master_list()
    blocked = next(c for c in state.contacts.values() if c["emailBlacklisted"])
    unsub = next(c for c in state.contacts.values() if master in c["listUnsubscribed"])
    states = await brevo.get_contact_states()
    assert blocked["email"] in states.blocklisted
    assert unsub["email"] in states.unsubscribed_from(master)
    assert states.api_calls == math.ceil(len(state.contacts) / 1000)
    assert states.members_of(master) == {c["email"] for c in state.members(master)}
    assert states.known == set(state.contacts)
    rows = [
        {"email": blocked["email"].upper(), "attributes": {"FIRSTNAME": "Blocked"}},
        {"email": unsub["email"], "attributes": {"FIRSTNAME": "Unsub"}},
        {"email": "fresh.person@example.org", "attributes": {"FIRSTNAME": "Fresh"}},
    ]
    result = await brevo.import_contacts(rows, [master], exclude=states)
    assert result.rows_sent == 1
    assert {r.email.lower(): r.reason.split(" ")[0] for r in result.skipped} == {
        blocked["email"]: "blocklisted",
        unsub["email"]: "unsubscribed",
    }
    assert state.contacts[blocked["email"]]["emailBlacklisted"] is True
    assert master not in state.contacts[blocked["email"]]["listIds"]
    assert master not in state.contacts[unsub["email"]]["listIds"]
    assert master in state.contacts["fresh.person@example.org"]["listIds"]
    added = await brevo.add_to_list(master, [blocked["email"], unsub["email"]], exclude=states)
    assert added.api_calls == 0 and len(added.skipped) == 2
    assert state.consent_violations == []


async def test_contact_states_incremental(brevo: BrevoClient, state: BrevoState) -> None:
    first = await brevo.get_contact_states()
    victim = next(c for c in state.contacts.values() if not c["emailBlacklisted"])
    victim["emailBlacklisted"] = True  # e.g. they unsubscribed through a campaign link
    import time

    victim["modifiedAt"] = time.time() + 1
    second = await brevo.get_contact_states(previous=first)
    assert victim["email"] in second.blocklisted
    assert second.contacts_read < len(state.contacts)
    assert second.api_calls == 1
    assert first.blocklisted <= second.blocklisted


async def test_remove_from_list_in_batches_of_150(
    sandbox: RunningSandbox, brevo: BrevoClient, state: BrevoState
) -> None:
    list_id = await brevo.find_or_create_list("Removal test list")
    emails = [f"leaver{i}@example.org" for i in range(320)]
    imported = await brevo.import_contacts([{"email": e, "attributes": {}} for e in emails], [list_id])
    assert imported.rejected == []
    assert len(state.members(list_id)) == 320
    before = route_count(sandbox, "POST /v3/contacts/lists/{list_id:int}/contacts/remove")
    result = await brevo.remove_from_list(list_id, [*emails, "nobody1@example.org", "nobody2@example.org"])
    after = await settled_count(sandbox, "POST /v3/contacts/lists/{list_id:int}/contacts/remove")
    assert after - before == 3 == result.api_calls
    assert result.changed == 320
    assert sorted(result.not_changed_emails) == ["nobody1@example.org", "nobody2@example.org"]
    assert state.members(list_id) == []
    assert all(e in state.contacts for e in emails)  # removed from the list, never deleted
    again = await brevo.remove_from_list(list_id, emails[:10])  # Brevo answers 400 when nothing changes
    assert again.changed == 0 and again.not_changed == 10


# --------------------------------------------------------------------------- retries and rate limits


async def test_import_not_retried_after_5xx_but_gets_are(
    sandbox: RunningSandbox, brevo: BrevoClient, state: BrevoState
) -> None:
    faults = sandbox.ctx.faults
    imports_before = len(state.processes)
    fault_before = route_count(sandbox, "POST (fault 5xx)")
    faults.queue("brevo", "5xx", 1)
    with pytest.raises(ServerError) as info:
        await brevo.import_contacts([{"email": "retry.me@example.org", "attributes": {}}], [2])
    assert info.value.status == 500
    assert route_count(sandbox, "POST (fault 5xx)") - fault_before == 1
    assert len(state.processes) == imports_before
    assert brevo.stats.retries == 0

    get_faults = route_count(sandbox, "GET (fault 5xx)")
    faults.queue("brevo", "5xx", 2)
    attributes = await brevo.get_attributes()
    assert any(a.name == "FIRSTNAME" for a in attributes)
    assert route_count(sandbox, "GET (fault 5xx)") - get_faults == 2
    assert brevo.stats.retries == 2


async def test_a_list_create_answered_5xx_is_looked_up_then_created_once(
    sandbox: RunningSandbox, brevo: BrevoClient, state: BrevoState
) -> None:
    """A create is never repeated blindly; after a 5xx the client looks, then creates what is missing."""
    await brevo.find_or_create_list("Warm-up list")  # the folder exists and is known
    faults_before = route_count(sandbox, "POST (fault 5xx)")
    sandbox.ctx.faults.queue("brevo", "5xx", 1)  # the next request: the create below
    list_id = await brevo._create_list("Created after a 5xx")
    assert route_count(sandbox, "POST (fault 5xx)") - faults_before == 1
    named = [lst for lst in await brevo.get_lists() if lst.name == "Created after a 5xx"]
    assert [lst.id for lst in named] == [list_id], "exactly one list of that name"


async def test_sdk_left_to_itself_would_repeat_the_import_post(
    sandbox: RunningSandbox, state: BrevoState
) -> None:
    """Why the SDK's retries are off: its default retries a POST /contacts/import after a 5xx."""
    import httpx
    from brevo import AsyncBrevo

    faults_before = route_count(sandbox, "POST (fault 5xx)")
    sandbox.ctx.faults.queue("brevo", "5xx", 1)
    async with httpx.AsyncClient() as http:
        sdk = AsyncBrevo(
            api_key=API_KEY, base_url=sandbox.env["BREVO_API_URL"], httpx_client=http, max_retries=1
        )
        answer = await sdk.contacts.import_contacts(
            json_body=[{"email": "sdk.retry@example.org"}], list_ids=[state.master_list_id or 2]
        )
    assert route_count(sandbox, "POST (fault 5xx)") - faults_before == 1
    assert answer.process_id in state.processes  # the same POST was sent a second time


async def test_unreachable_brevo_is_retried_then_reported(sleeps: Sleeps) -> None:
    settings = BrevoSettings(api_key=SecretStr(API_KEY), api_url="http://127.0.0.1:9/v3")
    async with BrevoClient(settings, retry=FAST, sleep=sleeps) as client:
        with pytest.raises(ServerError) as info:
            await client.get_attributes()
    assert "could not connect" in str(info.value)
    assert client.stats.requests == FAST.max_attempts
    assert client.stats.retries == FAST.max_attempts - 1


async def test_429_waits_for_x_sib_ratelimit_reset(
    sandbox: RunningSandbox, brevo: BrevoClient, state: BrevoState, sleeps: Sleeps
) -> None:
    sandbox.ctx.faults.queue("brevo", "429", 1)
    result = await brevo.import_contacts([{"email": "after.429@example.org", "attributes": {}}], [2])
    assert result.status == "completed"  # a 429 is refused, not performed: safe to retry a POST
    assert brevo.stats.rate_limited == 1
    assert FAULT_RESET_SECONDS <= sleeps.waits[0] <= FAULT_RESET_SECONDS + 0.1

    # The twin's own per-second budget, exceeded for real.
    saved = state.rate_limits["contacts"]
    state.rate_limits["contacts"] = (2, 1.0)
    state._windows.pop("contacts", None)
    sleeps.real = True
    try:
        sleeps.waits.clear()
        for _ in range(3):
            await brevo.get_attributes()
    finally:
        state.rate_limits["contacts"] = saved
    assert brevo.stats.rate_limited == 2
    assert sleeps.waits and 0 < sleeps.waits[0] <= 1.1


async def test_transactional_email_is_kept_by_the_twin(brevo: BrevoClient, state: BrevoState) -> None:
    sent = await brevo.send_transactional_email(
        "ana.silva@example.org",
        "Your invitation to En Garde",
        html="<p>Welcome, {{ params.name }}</p>",
        params={"name": "Ana"},
        tags=["invitation"],
        idempotency_key="invite-42",
    )
    assert sent.message_id and sent.message_id.startswith("<")
    message = state.emails_sent[-1]
    assert message["messageId"] == sent.message_id
    assert message["to"] == [{"email": "ana.silva@example.org"}]
    assert message["subject"] == "Your invitation to En Garde"
    assert message["sender"]["email"] == "hello@engarde.example"
    assert message["params"] == {"name": "Ana"}
    assert message["tags"] == ["invitation", "idem:invite-42"]
    with pytest.raises(ValueError):
        await brevo.send_transactional_email("x@example.org", "no content")


# --------------------------------------------------------------------------- consent invariants (run last)


def _keys(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield str(key)
            yield from _keys(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _keys(inner)


async def test_no_request_ever_carried_a_blocklist_field_or_deleted_a_contact(
    sandbox: RunningSandbox, state: BrevoState
) -> None:
    assert len(state.received) > 10  # the tests above did send bodies
    keys = {k.lower() for entry in state.received for k in _keys(entry["body"])}
    assert not {k for k in keys if "blacklist" in k or "blocklist" in k}
    assert state.forbidden_fields == []
    assert state.deleted == []
    assert not any(k.startswith("DELETE") for k in sandbox.ctx.requests["brevo"])
    assert state.consent_violations == []
    assert state.repeated_imports() == {}


def test_blocklist_fields_are_never_sent() -> None:
    from connectors.brevo import BLOCKLIST_FIELDS, import_row
    from connectors.brevo.payload import attribute_name

    # The one list holds both former copies (the audience's and the connector's).
    assert {"emailBlacklisted", "SMS_BLACKLISTED", "listUnsubscribed", "unlinkListIds"} <= BLOCKLIST_FIELDS
    assert {"email_blacklisted", "email_blacklist"} <= BLOCKLIST_FIELDS
    for name in ("emailBlacklisted", "SMS_BLACKLISTED", "blacklisted", "Email_Blacklist"):
        with pytest.raises(ValueError, match="not a usable Brevo attribute name"):
            attribute_name(name)
    with pytest.raises(ValueError, match="blocklist"):
        import_body([{"email": "a@example.com", "attributes": {}, "emailBlacklisted": False}], [1])
    with pytest.raises(ValueError, match="blocklist"):
        import_body([{"email": "a@example.com", "attributes": {"smsBlacklisted": False}}], [1])
    row = import_row("a@example.com", {"firstname": "Ann"})
    assert import_body([row], [1])["jsonBody"] == [row]
