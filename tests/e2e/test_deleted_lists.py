"""A Brevo list deleted by hand (the master list, an event list) is created again and refilled by the next run."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from flows.audience_sync import audience_sync
from sandbox.brevo_twin import API_KEY, MASTER_LIST_NAME, BrevoState
from sandbox.framework import RunningSandbox
from store.brevo_sync import load_sync_state
from store.db import make_engine, session_scope
from tests.e2e.conftest import serve_world
from tests.e2e.test_event_lists import event_lists

AS_OF = datetime.now(UTC).replace(second=0, microsecond=0)


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, database: str) -> Iterator[RunningSandbox]:
    running = serve_world(monkeypatch, scale=200, seed=8)
    yield running
    running.stop()


def members(brevo: BrevoState, list_id: int) -> set[str]:
    return {c["email"] for c in brevo.members(list_id)}


async def test_deleted_master_and_event_lists_come_back_with_their_members(world: RunningSandbox) -> None:
    brevo: BrevoState = world.ctx.state["brevo"]
    first = await audience_sync(as_of=AS_OF)
    master = first.brevo.list_id
    assert master is not None and first.brevo.recreated_lists == []
    events = event_lists(world)
    key, event_list = sorted(events.items())[0]
    with session_scope(make_engine()) as session:
        ours = load_sync_state(session, master)
    # The master list as the project fills it (Brevo may hold others on it, not ours to recreate).
    pushed = set(ours.loc[ours["on_list"], "email"].astype(str))
    before = {"master": members(brevo, master) & pushed, "event": members(brevo, event_list)}
    unsubscribed = {e for e, c in brevo.contacts.items() if master in c["listUnsubscribed"]}
    assert before["master"] and before["event"] and unsubscribed

    # An admin deletes both lists in Brevo.
    async with httpx.AsyncClient(base_url=world.env["BREVO_API_URL"], headers={"api-key": API_KEY}) as http:
        for list_id in (master, event_list):
            assert (await http.delete(f"/contacts/lists/{list_id}")).status_code == 204
    assert master not in brevo.lists and event_list not in brevo.lists

    # The next daily run (a day later, so something is sent) finds them gone.
    second = await audience_sync(as_of=AS_OF + timedelta(days=1))

    assert second.brevo.recreated_lists == [MASTER_LIST_NAME, f"event list {key}"]
    assert "created again and refilled" in second.render()
    new_master = second.brevo.list_id
    assert new_master is not None and new_master != master
    assert brevo.lists[new_master]["name"] == MASTER_LIST_NAME
    assert members(brevo, new_master) == before["master"]
    new_event = event_lists(world)[key]
    assert new_event != event_list and members(brevo, new_event) == before["event"]
    # Nobody who had unsubscribed from the deleted master list was put on its successor.
    assert not unsubscribed & members(brevo, new_master)
    assert brevo.consent_violations == [] and brevo.deleted == []

    # The run after that finds everything in place: nothing is created again.
    third = await audience_sync(as_of=AS_OF + timedelta(days=1))
    assert third.brevo.recreated_lists == [] and third.brevo.list_id == new_master
