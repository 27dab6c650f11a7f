"""Random Brevo events at a rate: the twin's own traffic of opens, deliveries, bounces and opt-outs.

Off by default. ``state.event_rate.per_minute`` (``engarde sandbox --brevo-event-rate N``,
``ENGARDE_SANDBOX_BREVO_EVENT_RATE``) sets how many events a minute of the twin's clock
(``state.clock``) brings, with exponential gaps between them (a Poisson stream) drawn from the
twin's own seeded generator, so a world and a clock give the same events every time.

Each event, in order:

1. **a kind** in the proportions of :data:`MIX`: mostly ``delivered``, ``opened`` and
   ``click``; a few soft bounces and list additions; under 5 % unsubscribes, hard bounces and
   spam complaints together;
2. **a subject**: a random contact of the twin; or, for a share :data:`TRANSACTIONAL_SHARE` of
   the events when the twin has sent transactional email, a random sent email (its recipient
   and its message id, so an invitation can be delivered, bounce or be blocked);
3. **the contact changes as in Brevo** (:func:`sandbox.brevo.events.apply_event`: an
   unsubscribe, hard bounce or spam complaint blocklists it, ``contactDeleted`` removes it);
4. **delivery** to every webhook subscribed to the kind (:func:`sandbox.brevo.webhooks.deliver`):
   none registered is no error (the event still happened in Brevo), and a webhook that does not
   answer is counted as ``no answer``, never raised.

:func:`due_events` (steps 1-3) runs on the server's event loop, where every request handler
changes the state too, so the two never interleave; the HTTP posts run in a worker thread
(:func:`tick`), so a slow receiver never holds up the twin's answers. :func:`running` is the
loop looking at the clock every ``poll_seconds`` of wall time; the sandbox starts it with the
server and cancels it when the server stops. A jump of the clock (tests move it) brings at
most :data:`MAX_PER_TICK` events at once; the rest are counted in ``dropped``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any, Final

import httpx

from sandbox.brevo.events import apply_event
from sandbox.brevo.state import BrevoState, EventRate
from sandbox.brevo.webhooks import deliver

RATE_ENV: Final = "ENGARDE_SANDBOX_BREVO_EVENT_RATE"
#: Subscription name -> weight (per 1,000 events).
MIX: Final[dict[str, int]] = {
    "delivered": 505,
    "opened": 250,
    "click": 80,
    "softBounce": 40,
    "listAddition": 40,
    "deferred": 20,
    "unsubscribed": 25,
    "hardBounce": 15,
    "blocked": 10,
    "invalid": 5,
    "spam": 5,
    "contactDeleted": 5,
}
#: Share of events about a sent transactional email (when the twin sent any).
TRANSACTIONAL_SHARE: Final = 0.3
MAX_PER_TICK: Final = 100
#: Seconds a random event's webhook post may take before it counts as ``no answer``.
DELIVERY_TIMEOUT: Final = 5.0


@dataclass(frozen=True)
class RandomEvent:
    """One drawn event: the subscription name, about whom, the email it concerns (if any), its lists."""

    kind: str
    email: str
    message_id: str | None
    list_ids: list[int]


def rate_from_env(environ: dict[str, str] | None = None) -> float:
    """Events per minute from :data:`RATE_ENV` (0 when unset); ValueError in an admin's words otherwise."""
    raw = (os.environ if environ is None else environ).get(RATE_ENV, "").strip()
    try:
        rate = float(raw) if raw else 0.0
    except ValueError:
        rate = -1.0
    if not rate >= 0:
        raise ValueError(f"{RATE_ENV} must be a number of events per minute, 0 or more (got {raw!r})")
    return rate


def set_rate(state: BrevoState, per_minute: float) -> None:
    """Send random events at ``per_minute`` from now on (0 stops them)."""
    if not per_minute >= 0:
        raise ValueError(f"the Brevo event rate must be 0 or more events per minute (got {per_minute})")
    state.event_rate.per_minute = per_minute
    state.event_rate.next_at = None


def _subject(state: BrevoState, rate: EventRate) -> tuple[str, str | None] | None:
    """(email, message id) of the next event, or None when the twin has nobody."""
    if state.emails_sent and rate.rng.random() < TRANSACTIONAL_SHARE:
        sent = rate.rng.choice(state.emails_sent)
        recipients = [str(t["email"]).strip().lower() for t in sent.get("to") or [] if t.get("email")]
        if recipients:
            return rate.rng.choice(recipients), str(sent["messageId"])
    if not state.contacts:
        return None
    return rate.rng.choice(list(state.contacts)), None


def _draw(state: BrevoState, rate: EventRate) -> RandomEvent | None:
    kind = rate.rng.choices(list(MIX), weights=list(MIX.values()))[0]
    subject = _subject(state, rate)
    if subject is None:
        rate.no_contact += 1
        return None
    email, message_id = subject
    list_ids = [state.master_list_id] if state.master_list_id is not None else []
    apply_event(state, kind, email, list_ids)
    rate.sent[kind] += 1
    return RandomEvent(kind, email, message_id, list_ids)


def due_events(state: BrevoState, now: float | None = None) -> list[RandomEvent]:
    """Draw the events due by ``now`` (default: the twin's clock) and change the contacts; what to deliver.

    The first call after the rate is set only schedules the first event.
    """
    rate = state.event_rate
    now = state.clock() if now is None else now
    if rate.per_minute <= 0:
        rate.next_at = None
        return []
    mean_gap = 60.0 / rate.per_minute
    if rate.next_at is None:
        rate.next_at = now + rate.rng.expovariate(1.0 / mean_gap)
        return []
    events: list[RandomEvent] = []
    while rate.next_at <= now:
        if len(events) >= MAX_PER_TICK:
            rate.dropped += int((now - rate.next_at) / mean_gap) + 1
            rate.next_at = now + rate.rng.expovariate(1.0 / mean_gap)
            break
        if (event := _draw(state, rate)) is not None:
            events.append(event)
        rate.next_at += rate.rng.expovariate(1.0 / mean_gap)
    return events


def _answer(status: int) -> str:
    return "no answer" if status == 0 else f"{status // 100}xx"


def send(hooks: dict[int, dict[str, Any]], events: list[RandomEvent]) -> list[list[int]]:
    """POST each event to the webhooks subscribed to it (blocking: run it in a worker thread)."""
    with httpx.Client(timeout=DELIVERY_TIMEOUT) as http:
        return [
            deliver(hooks, e.kind, e.email, message_id=e.message_id, list_ids=e.list_ids, client=http)
            for e in events
        ]


async def tick(state: BrevoState, now: float | None = None) -> list[RandomEvent]:
    """Draw the due events (on the event loop), deliver them (in a worker thread), count the answers."""
    events = due_events(state, now)
    if events and state.webhooks:
        for statuses in await asyncio.to_thread(send, dict(state.webhooks), events):
            state.event_rate.answers.update(_answer(s) for s in statuses)
    return events


async def _loop(state: BrevoState) -> None:
    rate = state.event_rate
    while True:
        await asyncio.sleep(rate.poll_seconds)
        try:
            await tick(state)
        except Exception as exc:  # the twin's traffic must never stop the twin
            rate.errors += 1
            rate.last_error = f"{type(exc).__name__}: {exc}"


@asynccontextmanager
async def running(state: BrevoState) -> AsyncIterator[asyncio.Task[None]]:
    """The background loop of random events, from the server's start to its stop (cancelled then)."""
    task = asyncio.create_task(_loop(state), name="brevo-random-events")
    state.event_rate.running = True
    try:
        yield task
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        state.event_rate.running = False
