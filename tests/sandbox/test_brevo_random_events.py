"""Random Brevo events at a rate: seeded, in realistic proportions, never crashy, never in the way.

The twin's clock is moved (or ``due_events`` / ``tick`` called with a time) instead of waiting.
"""

from __future__ import annotations

import json
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx
import pytest
from typer.testing import CliRunner

from deployments.cli_sandbox import app
from sandbox.brevo.events import KINDS
from sandbox.brevo.random_events import (
    MAX_PER_TICK,
    MIX,
    RATE_ENV,
    due_events,
    rate_from_env,
    set_rate,
    tick,
)
from sandbox.brevo.state import BrevoState, seed_state
from sandbox.brevo.webhooks import TRANSACTIONAL_EVENTS, validate_webhook
from sandbox.brevo_twin import API_KEY
from sandbox.framework import RunningSandbox, new_context

START = 1_900_000_000.0


def _state(seed: int = 5, scale: int = 1200) -> BrevoState:
    return seed_state(new_context(scale=scale, seed=seed, fast=True))


def _draw(state: BrevoState, events: int, per_minute: float = 600.0) -> list[tuple[str, str]]:
    """About ``events`` events: the clock moves 5 s at a time (under the per-tick cap)."""
    set_rate(state, per_minute)
    now = START
    due_events(state, now)  # schedules the first
    drawn: list[tuple[str, str]] = []
    while len(drawn) < events:
        now += 5.0
        drawn += [(e.kind, e.email) for e in due_events(state, now)]
    return drawn


def test_events_are_seeded_and_in_realistic_proportions() -> None:
    assert set(MIX) <= KINDS
    state = _state()
    before = {e: c["emailBlacklisted"] for e, c in state.contacts.items()}
    drawn = _draw(state, 3000)

    assert drawn == _draw(_state(), 3000), "same world, same clock: same events"
    assert drawn[:50] != _draw(_state(seed=6), 50)
    kinds = Counter(kind for kind, _ in drawn)
    share = {k: n / len(drawn) for k, n in kinds.items()}
    assert share["delivered"] + share["opened"] + share["click"] > 0.75
    assert 0 < share["unsubscribed"] + share["hardBounce"] + share["spam"] < 0.08
    assert state.event_rate.sent == kinds
    # Each contact changed as Brevo changes it.
    for kind, email in drawn:
        if kind in ("unsubscribed", "hardBounce", "spam") and email in state.contacts:
            assert state.contacts[email]["emailBlacklisted"]
        if kind == "contactDeleted":
            assert email not in state.contacts
    opened = {e for k, e in drawn if k in ("opened", "delivered", "click")} - {
        e for k, e in drawn if k in ("unsubscribed", "hardBounce", "spam", "contactDeleted")
    }
    assert all(state.contacts[e]["emailBlacklisted"] == before[e] for e in opened)


def test_rate_is_per_minute_of_the_twins_clock() -> None:
    state = _state()
    set_rate(state, 6.0)
    assert due_events(state, START) == []  # the first call schedules
    drawn = sum(len(due_events(state, START + minute * 60.0)) for minute in range(1, 101))
    assert 480 <= drawn <= 720, drawn  # 600 expected over 100 minutes (a Poisson count)
    set_rate(state, 0)
    assert due_events(state, START + 10**6) == [] and state.event_rate.next_at is None


def test_a_jump_of_the_clock_is_capped_and_counted() -> None:
    state = _state()
    set_rate(state, 60.0)
    due_events(state, START)
    assert len(due_events(state, START + 86_400)) == MAX_PER_TICK
    assert 80_000 < state.event_rate.dropped < 90_000  # a day at 60 a minute, less what was sent
    assert state.event_rate.next_at is not None and state.event_rate.next_at > START + 86_400


async def test_nobody_to_pick_and_nobody_to_tell_are_no_errors() -> None:
    state = _state()
    state.contacts.clear()
    set_rate(state, 600.0)
    await tick(state, START)
    assert await tick(state, START + 60) == []
    assert state.event_rate.no_contact > 0 and not state.event_rate.sent

    fresh = _state()
    set_rate(fresh, 600.0)
    await tick(fresh, START)
    assert not fresh.webhooks and len(await tick(fresh, START + 60)) > 0  # happened in Brevo, told nobody
    assert not fresh.event_rate.answers


def test_transactional_events_name_the_sent_email() -> None:
    state = _state()
    state.emails_sent.append({"messageId": "<m1@relay>", "to": [{"email": "Invited@Example.org"}]})
    set_rate(state, 600.0)
    due_events(state, START)
    events = due_events(state, START + 60)
    about = [e for e in events if e.message_id]
    assert about and all(e.message_id == "<m1@relay>" and e.email == "invited@example.org" for e in about)
    assert len(about) < len(events)


def test_rate_from_the_environment() -> None:
    assert rate_from_env({}) == 0.0 and rate_from_env({RATE_ENV: " 2.5 "}) == 2.5
    for bad in ("fast", "-1", "nan"):
        with pytest.raises(ValueError, match=f"{RATE_ENV} must be a number of events per minute"):
            rate_from_env({RATE_ENV: bad})
    refused = CliRunner().invoke(app, ["--brevo-event-rate", "-1"])
    assert refused.exit_code == 2 and "--brevo-event-rate" in refused.output


class SlowInbox(BaseHTTPRequestHandler):
    """Answers 202 to each POST once ``release`` is set; ``arrived`` is set at the first."""

    arrived: ClassVar[threading.Event] = threading.Event()
    release: ClassVar[threading.Event] = threading.Event()
    received: ClassVar[list[Any]] = []

    def do_POST(self) -> None:
        self.received.append(json.loads(self.rfile.read(int(self.headers["content-length"]))))
        SlowInbox.arrived.set()
        SlowInbox.release.wait(30)
        self.send_response(202)
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def slow_inbox() -> Iterator[str]:
    SlowInbox.arrived.clear()
    SlowInbox.release.clear()
    SlowInbox.received.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowInbox)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks"
    SlowInbox.release.set()
    server.shutdown()
    server.server_close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _hooks(*urls: str) -> dict[int, dict[str, Any]]:
    events = sorted(set(MIX) & TRANSACTIONAL_EVENTS)
    return {
        n: validate_webhook({"url": url, "events": events, "type": "transactional"}, 0)
        for n, url in enumerate(urls, 1)
    }


async def test_a_webhook_that_does_not_answer_is_counted_not_raised(slow_inbox: str) -> None:
    SlowInbox.release.set()
    state = _state()
    state.webhooks = _hooks(f"http://127.0.0.1:{_closed_port()}/gone", slow_inbox)
    set_rate(state, 60.0)
    await tick(state, START)
    events = await tick(state, START + 60)
    told = [e.email for e in events if e.kind in TRANSACTIONAL_EVENTS]  # not list additions, deletions
    assert told and state.event_rate.answers == {"no answer": len(told), "2xx": len(told)}
    assert [e["email"] for e in SlowInbox.received] == told


def test_the_sandbox_sends_them_in_the_background_and_stops_cleanly(slow_inbox: str) -> None:
    sandbox = RunningSandbox(new_context(scale=300, seed=8, fast=True))
    state: BrevoState = sandbox.ctx.state["brevo"]
    clock = [START]
    state.clock = lambda: clock[0]
    state.event_rate.poll_seconds = 0.02
    state.webhooks = _hooks(slow_inbox)
    set_rate(state, 600.0)
    due_events(state)  # the first event is due within the twin's next minute
    with sandbox, httpx.Client(base_url=sandbox.env["BREVO_API_URL"], headers={"api-key": API_KEY}) as http:
        assert state.event_rate.running
        clock[0] += 60.0
        assert SlowInbox.arrived.wait(30), "the loop delivered an event"
        # The receiver holds the delivery; the twin still answers at once.
        assert http.get("/account").status_code == 200
        SlowInbox.release.set()
    assert not state.event_rate.running and state.event_rate.errors == 0
    assert SlowInbox.received[0]["event"] in {
        "delivered",
        "opened",
        "click",
        "soft_bounce",
        "deferred",
        "unsubscribed",
        "hard_bounce",
        "blocked",
        "invalid_email",
        "spam",
    }
