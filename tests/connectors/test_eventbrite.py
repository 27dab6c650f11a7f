"""Eventbrite connector against its twin, over loopback HTTP."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from connectors.eventbrite import (
    EventbriteClient,
    EventbriteSettings,
    authorize_url,
    eventbrite_limiter,
    exchange_code,
)
from connectors.http import (
    AuthenticationError,
    ClientError,
    ContinuationPaginator,
    NotFoundError,
    RateLimiter,
    RateLimitError,
    RetryPolicy,
    iter_pages,
)
from sandbox import eventbrite_twin
from sandbox.framework import RunningSandbox, SandboxContext
from tests.connectors.conftest import FAST, module_sandbox

sandbox = module_sandbox(seed=11)


def client(sandbox: RunningSandbox, token: str | None = None, retry: RetryPolicy = FAST) -> EventbriteClient:
    env = sandbox.env
    return EventbriteClient(
        token or env["EVENTBRITE_OAUTH_TOKEN"],
        base_url=env["EVENTBRITE_API_URL"],
        retry=retry,
        limiter=RateLimiter([(10_000, 1.0)]),
    )


def state(sandbox: RunningSandbox) -> eventbrite_twin.EventbriteState:
    return eventbrite_twin.state_of(sandbox.ctx)


async def test_connection_and_bad_tokens(sandbox: RunningSandbox) -> None:
    async with client(sandbox) as eb:
        user = await eb.test_connection()
        assert user.id == eventbrite_twin.USER_ID
    async with client(sandbox, token="not-a-token") as eb:
        with pytest.raises(AuthenticationError) as caught:
            await eb.test_connection()
        assert caught.value.code == "INVALID_AUTH" and caught.value.status == 400
        assert "not-a-token" not in str(caught.value)


async def test_organizations_and_events(sandbox: RunningSandbox) -> None:
    twin = state(sandbox)
    async with client(sandbox) as eb:
        orgs = await eb.list_organizations()
        assert [o.id for o in orgs] == [eventbrite_twin.ORG_ID]
        events = await eb.list_events()
    assert {e.id for e in events} >= {e["id"] for e in twin.events if e["status"] != "draft"}
    cancelled = {e.id for e in events if e.cancelled}
    assert cancelled == twin.cancelled_events
    # The quirk: a cancelled event whose own status still reads "live" or "completed".
    assert {e.status == "canceled" for e in events if e.cancelled} == {True, False}
    assert [e.start.utc for e in events] == sorted(e.start.utc for e in events)


async def test_list_events_filters(sandbox: RunningSandbox) -> None:
    anchor = sandbox.ctx.world.anchor
    async with client(sandbox) as eb:
        past = await eb.list_events(time_filter="past")
        future = await eb.list_events(time_filter="current_future")
        window = await eb.list_events(starts_from=anchor - timedelta(days=90), starts_before=anchor)
    assert past and future
    assert all(e.end is not None and e.end.utc < anchor for e in past)
    assert not {e.id for e in past} & {e.id for e in future}
    assert all(anchor - timedelta(days=90) <= e.start.utc < anchor for e in window)


async def test_get_event_and_missing_event(sandbox: RunningSandbox) -> None:
    twin = state(sandbox)
    cancelled_id = sorted(twin.cancelled_events)[0]
    async with client(sandbox) as eb:
        event = await eb.get_event(cancelled_id)
        assert event.cancelled and event.event_sales_status is not None
        with pytest.raises(NotFoundError) as caught:
            await eb.get_event("999")
    assert caught.value.code == "NOT_FOUND"


async def test_create_event(sandbox: RunningSandbox) -> None:
    start = datetime(2027, 3, 1, 18, tzinfo=UTC)
    async with client(sandbox) as eb:
        created = await eb.create_event(
            name="Spring Open", start=start, end=start + timedelta(hours=3), currency="EUR", capacity=80
        )
        assert created.status == "draft" and created.title == "Spring Open"
        again = await eb.get_event(created.id)
        listed = await eb.list_events(status="draft")
    assert again.start.utc == start
    assert created.id in {e.id for e in listed}
    async with client(sandbox) as eb:
        with pytest.raises(ClientError) as caught:
            await eb.create_event(name="Backwards", start=start, end=start - timedelta(hours=1))
    assert caught.value.code == "ARGUMENTS_ERROR"


async def test_org_attendees_read_in_minimum_pages(sandbox: RunningSandbox) -> None:
    twin = state(sandbox)
    async with client(sandbox) as eb:
        attendees = [a async for a in eb.iter_attendees()]
        path = f"/organizations/{eventbrite_twin.ORG_ID}/attendees/"
        assert eb.stats.by_path[path] == math.ceil(len(twin.attendees) / 50)
    assert len(attendees) == len({a.id for a in attendees}) == len(twin.attendees)
    states = {a.state for a in attendees}
    assert {"booked", "attended", "refunded", "cancelled"} <= states


async def test_last_page_still_has_a_continuation(sandbox: RunningSandbox) -> None:
    path = f"/organizations/{eventbrite_twin.ORG_ID}/attendees/"
    async with client(sandbox) as eb:
        pages = [
            page
            async for page in iter_pages(
                eb.http, path, ContinuationPaginator("eventbrite"), items=lambda b: b["attendees"]
            )
        ]
        body = await eb.http.get_json(path)
        while body["pagination"]["has_more_items"]:
            body = await eb.http.get_json(path, params={"continuation": body["pagination"]["continuation"]})
        assert body["pagination"]["continuation"]
        after_last = await eb.http.get_json(path, params={"continuation": body["pagination"]["continuation"]})
    assert after_last["attendees"] == [] and not after_last["pagination"]["has_more_items"]
    assert sum(map(len, pages)) == len(state(sandbox).attendees)


async def test_bad_continuation_token_is_a_client_error(sandbox: RunningSandbox) -> None:
    async with client(sandbox) as eb:
        with pytest.raises(ClientError) as caught:
            await eb.http.get_json(
                f"/organizations/{eventbrite_twin.ORG_ID}/attendees/", params={"continuation": "garbage"}
            )
    assert caught.value.code == "BAD_CONTINUATION_TOKEN"


async def test_event_attendees_orders_and_summary(sandbox: RunningSandbox) -> None:
    twin = state(sandbox)
    counts: dict[str, int] = {}
    for a in twin.attendees:
        counts[a["event_id"]] = counts.get(a["event_id"], 0) + 1
    event_id = max(counts, key=lambda k: counts[k])
    rows = [a for a in twin.attendees if a["event_id"] == event_id]
    async with client(sandbox) as eb:
        attendees = [a async for a in eb.iter_attendees(event_id=event_id)]
        orders = [o async for o in eb.iter_orders(event_id=event_id)]
        all_orders = [o async for o in eb.iter_orders()]
        summary = await eb.get_event_summary(event_id)
    assert {a.id for a in attendees} == {a["id"] for a in rows}
    assert {o.id for o in orders} == {a["order_id"] for a in rows}
    assert len(all_orders) == len(twin.orders)
    sold = [a for a in rows if not a["cancelled"]]
    refunded = [a for a in rows if a["refunded"]]
    gross = sum(Decimal(a["costs"]["gross"]["major_value"]) for a in sold)
    refunds = sum(Decimal(a["costs"]["gross"]["major_value"]) for a in refunded)
    assert summary.tickets_sold == len(sold)
    assert summary.tickets_refunded == len(refunded)
    assert summary.gross == gross and summary.refunds == refunds and summary.net == gross - refunds
    assert summary.orders == len(orders)
    assert sum(c.tickets_sold for c in summary.ticket_classes) == summary.tickets_sold
    assert summary.checked_in == sum(a["checked_in"] for a in rows)


async def test_extraction_pages_and_incremental_second_run(sandbox: RunningSandbox) -> None:
    twin = state(sandbox)
    anchor = sandbox.ctx.world.anchor
    date_from, date_to = (anchor - timedelta(days=365)).date(), (anchor + timedelta(days=60)).date()
    async with client(sandbox) as eb:
        first = await eb.extract_attendees(date_from=date_from, date_to=date_to)
        calls_first = eb.stats.requests
    in_window = {
        e["id"] for e in twin.events if date_from <= date.fromisoformat(e["start"]["utc"][:10]) <= date_to
    }
    expected = [a for a in twin.attendees if a["event_id"] in in_window]
    assert {a.id for a in first.attendees} == {a["id"] for a in expected}
    # One org-level page of events plus the minimum attendee pages; /users/me/organizations/ once.
    assert first.event_pages == math.ceil(len(twin.events) / 50)
    assert first.attendee_pages == math.ceil(len(twin.attendees) / 50)
    assert calls_first == first.event_pages + first.attendee_pages + 1

    since = datetime.now(UTC).replace(microsecond=0)
    refunded = eventbrite_twin.refund_attendees(sandbox.ctx, 3)
    async with client(sandbox) as eb:
        second = await eb.extract_attendees(date_from=date_from, date_to=date_to, changed_since=since)
    assert {a.id for a in second.attendees} == set(refunded) & {a["id"] for a in expected}
    assert all(a.state == "refunded" for a in second.attendees)
    assert second.attendee_pages == 1


async def test_faults_do_not_change_the_result(sandbox: RunningSandbox, ctx: SandboxContext) -> None:
    anchor = ctx.world.anchor
    window = {"date_from": (anchor - timedelta(days=365)).date(), "date_to": anchor.date()}
    async with client(sandbox) as eb:
        clean = await eb.extract_attendees(**window)
    ctx.faults.rate = 0.2
    async with client(sandbox) as eb:
        faulty = await eb.extract_attendees(**window)
        assert eb.stats.retries > 0
    assert [a.model_dump() for a in faulty.attendees] == [a.model_dump() for a in clean.attendees]
    assert [e.id for e in faulty.events] == [e.id for e in clean.events]


async def test_hit_rate_limit_waits_then_gives_up(sandbox: RunningSandbox, ctx: SandboxContext) -> None:
    ctx.faults.queue("eventbrite", "429", 2)
    async with client(sandbox) as eb:
        user = await eb.test_connection()
        assert user.id and eb.stats.rate_limited == 2
    patient_once = RetryPolicy(rate_limit_window=0.05, max_rate_limit_waits=1, jitter=0.0)
    ctx.faults.queue("eventbrite", "429", 3)
    async with client(sandbox, retry=patient_once) as eb:
        with pytest.raises(RateLimitError) as caught:
            await eb.test_connection()
    assert caught.value.code == "HIT_RATE_LIMIT"


def test_limiter_is_shared_per_process() -> None:
    first, second = eventbrite_limiter(), eventbrite_limiter()
    assert first is second and list(first.budgets) == [(2000, 3600.0)]


def test_settings_require_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EVENTBRITE_OAUTH_TOKEN", raising=False)
    with pytest.raises(ValueError, match="EVENTBRITE_OAUTH_TOKEN"):
        EventbriteClient.from_settings(EventbriteSettings())


async def test_oauth_code_flow(sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    env = sandbox.env
    settings = EventbriteSettings(
        oauth_url=env["EVENTBRITE_OAUTH_URL"],
        client_id="app-key",
        client_secret="app-secret",  # type: ignore[arg-type]
        redirect_uri="http://localhost:8765/cb",
    )
    url = authorize_url(settings, state="xyz")
    assert url.startswith(env["EVENTBRITE_OAUTH_URL"] + "/authorize?") and "client_id=app-key" in url
    async with httpx.AsyncClient() as http:
        redirect = await http.get(url)
    assert redirect.status_code == 302
    code = httpx.URL(redirect.headers["location"]).params["code"]
    token = await exchange_code(code, settings)
    async with client(sandbox, token=token.get_secret_value()) as eb:
        assert (await eb.test_connection()).id == eventbrite_twin.USER_ID
    with pytest.raises(AuthenticationError) as caught:
        await exchange_code(code, settings)  # a code works once
    assert caught.value.code == "invalid_grant"
    monkeypatch.setenv("EVENTBRITE_OAUTH_TOKEN", token.get_secret_value())
    monkeypatch.setenv("EVENTBRITE_API_URL", env["EVENTBRITE_API_URL"])
    async with EventbriteClient.from_settings(retry=FAST) as eb:
        assert (await eb.list_organizations())[0].id == eventbrite_twin.ORG_ID
