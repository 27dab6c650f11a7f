"""EasyAppointments connector against the twin over loopback."""

from __future__ import annotations

import math
import time
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from connectors.easyappointments import (
    Appointment,
    EasyAppointmentsClient,
    EasyAppointmentsSettings,
    parse_error,
)
from connectors.http import (
    AuthenticationError,
    NotFoundError,
    RateLimiter,
    RetryPolicy,
    ServerError,
    shared_limiter,
)
from sandbox.framework import RunningSandbox, SandboxContext
from tests.connectors.conftest import module_sandbox

ANCHOR = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
FAST_RETRY = RetryPolicy(base_delay=0.01, max_delay=0.05, rate_limit_window=0.08, max_attempts=3)


sandbox = module_sandbox(seed=11, scale=250, anchor=ANCHOR)


def settings_for(sandbox: RunningSandbox, **overrides: Any) -> EasyAppointmentsSettings:
    values: dict[str, Any] = {
        "url": sandbox.env["EASYAPPOINTMENTS_URL"],
        "api_token": sandbox.env["EASYAPPOINTMENTS_API_TOKEN"],
        "rate_limit_requests": 10_000,
        "rate_limit_seconds": 1.0,
        **overrides,
    }
    return EasyAppointmentsSettings(**values)


def twin_api(sandbox: RunningSandbox) -> str:
    return sandbox.env["EASYAPPOINTMENTS_URL"] + "/index.php/api/v1"


def create(sandbox: RunningSandbox, **body: Any) -> dict[str, Any]:
    """Make an appointment on the twin the way staff would (POST)."""
    payload = {"providerId": 2, "customerId": 100, "serviceId": 4, "status": "Booked", **body}
    response = httpx.post(
        f"{twin_api(sandbox)}/appointments",
        json=payload,
        headers={"Authorization": "Bearer sandbox-easyappointments-token"},
    )
    assert response.status_code == 201, response.text
    record: dict[str, Any] = response.json()
    return record


def count_in_window(ctx: SandboxContext, first: date, last: date) -> int:
    return sum(
        1 for a in ctx.world.appointments if first.isoformat() <= str(a["start"])[:10] <= last.isoformat()
    )


@pytest.mark.parametrize("length", [7, 50])
async def test_pages_until_a_short_page(sandbox: RunningSandbox, ctx: SandboxContext, length: int) -> None:
    first, last = date(2026, 1, 1), date(2026, 6, 30)
    expected = count_in_window(ctx, first, last)
    assert expected > 2 * length
    async with EasyAppointmentsClient(settings_for(sandbox, page_length=length)) as ea:
        got = [a async for a in ea.iter_appointments(first, last)]
        calls = ea.stats.by_path["appointments"]
    # The server window reaches one day past `last` (see the client), so count its pages.
    served = count_in_window(ctx, first, date(2026, 7, 1))
    served -= sum(
        1
        for a in ctx.world.appointments
        if str(a["start"])[:10] == "2026-07-01" and str(a["end"])[:10] > "2026-07-01"
    )
    assert len(got) == expected
    assert [a.id for a in got] == sorted(a.id for a in got)
    assert calls == math.ceil(served / length) + (1 if served % length == 0 else 0)


async def test_exactly_full_last_page_costs_one_more_call(
    sandbox: RunningSandbox, ctx: SandboxContext
) -> None:
    async with EasyAppointmentsClient(settings_for(sandbox)) as ea:
        everything = [a async for a in ea.iter_appointments(date(2000, 1, 1), date(2100, 1, 1))]
    n = len(everything)
    divisor = next(d for d in range(5, 60) if n % d == 0)
    async with EasyAppointmentsClient(settings_for(sandbox, page_length=divisor)) as ea:
        again = [a async for a in ea.iter_appointments(date(2000, 1, 1), date(2100, 1, 1))]
        assert ea.stats.by_path["appointments"] == n // divisor + 1
    assert len(again) == n


async def test_window_keeps_appointments_crossing_midnight_and_drops_later_starts(
    sandbox: RunningSandbox, ctx: SandboxContext
) -> None:
    before = create(sandbox, start="2031-03-09 10:00:00", end="2031-03-09 10:30:00")
    across = create(sandbox, start="2031-03-10 23:30:00", end="2031-03-11 00:30:00")
    after = create(sandbox, start="2031-03-11 09:00:00", end="2031-03-11 09:30:00")
    async with EasyAppointmentsClient(settings_for(sandbox)) as ea:
        got = {a.id async for a in ea.iter_appointments(date(2031, 3, 9), date(2031, 3, 10))}
        page = await ea.list_appointments(1, 100, date_from=date(2031, 3, 9), date_till=date(2031, 3, 10))
    assert got == {before["id"], across["id"]}
    assert {a.id for a in page} == got
    assert after["id"] not in got


async def test_naive_times_are_read_in_the_configured_zone(
    sandbox: RunningSandbox, ctx: SandboxContext
) -> None:
    summer = create(sandbox, start="2031-07-01 10:00:00", end="2031-07-01 11:00:00")
    winter = create(sandbox, start="2031-12-01 10:00:00", end="2031-12-01 11:00:00")
    async with EasyAppointmentsClient(settings_for(sandbox, timezone="Europe/Lisbon")) as ea:
        s = await ea.get_appointment(summer["id"])
        w = await ea.get_appointment(winter["id"])
    assert s.start == datetime(2031, 7, 1, 9, 0, tzinfo=UTC)
    assert w.start == datetime(2031, 12, 1, 10, 0, tzinfo=UTC)
    assert s.start.utcoffset() is not None and s.start.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


async def test_people_and_catalogue(sandbox: RunningSandbox, ctx: SandboxContext) -> None:
    async with EasyAppointmentsClient(settings_for(sandbox, page_length=40)) as ea:
        customers = [c async for c in ea.iter_customers()]
        services = await ea.list_services()
        providers = await ea.list_providers()
        one = await ea.get_customer(customers[0].id)
        await ea.test_connection()
    assert len(customers) == len(ctx.world.customers) > 40
    assert [s.name for s in services] == [s["name"] for s in ctx.world.services]
    assert (
        providers[0].full_name
        == f"{ctx.world.providers[0]['firstName']} {ctx.world.providers[0]['lastName']}"
    )
    assert one == customers[0]


async def test_basic_auth_admin_alternative(sandbox: RunningSandbox, ctx: SandboxContext) -> None:
    settings = EasyAppointmentsSettings(
        url=sandbox.env["EASYAPPOINTMENTS_URL"], admin_user="administrator", admin_password="administrator"
    )
    async with EasyAppointmentsClient(settings) as ea:
        await ea.test_connection()


async def test_bad_token_is_an_authentication_error_with_the_servers_words(
    sandbox: RunningSandbox, ctx: SandboxContext
) -> None:
    async with EasyAppointmentsClient(settings_for(sandbox, api_token="wrong")) as ea:
        with pytest.raises(AuthenticationError) as info:
            await ea.test_connection()
    assert info.value.status == 401
    assert info.value.message == "You are not authorized to use the API."


async def test_unknown_id_is_not_found(sandbox: RunningSandbox, ctx: SandboxContext) -> None:
    async with EasyAppointmentsClient(settings_for(sandbox)) as ea:
        with pytest.raises(NotFoundError) as info:
            await ea.get_appointment(99_999_999)
    assert info.value.status == 404
    assert "empty body" in info.value.message


async def test_server_error_keeps_the_servers_message(sandbox: RunningSandbox, ctx: SandboxContext) -> None:
    ctx.faults.queue("easyappointments", "5xx", 5)
    async with EasyAppointmentsClient(settings_for(sandbox), retry=FAST_RETRY) as ea:
        with pytest.raises(ServerError) as info:
            await ea.list_services()
        assert ea.stats.requests == FAST_RETRY.max_attempts
    assert info.value.status == 500
    assert info.value.message.startswith("An error occurred while processing your request")


async def test_error_parser_on_real_shapes(sandbox: RunningSandbox, ctx: SandboxContext) -> None:
    headers = {"Authorization": "Bearer sandbox-easyappointments-token"}
    async with httpx.AsyncClient(headers=headers) as client:
        bad_relation = await client.get(f"{twin_api(sandbox)}/appointments", params={"with": "foo"})
        html = await client.get(f"{twin_api(sandbox)}/nonexistent")
    assert bad_relation.status_code == 500
    assert parse_error(bad_relation) == (None, "The requested appointment relation is not supported: foo")
    assert html.status_code == 404
    assert "HTML 404" in parse_error(html)[1]


async def test_429_without_retry_after_then_success(sandbox: RunningSandbox, ctx: SandboxContext) -> None:
    ctx.faults.queue("easyappointments", "429", 2)
    async with EasyAppointmentsClient(settings_for(sandbox), retry=FAST_RETRY) as ea:
        services = await ea.list_services()
        assert ea.stats.rate_limited == 2
        assert ea.stats.requests == 3
    assert len(services) == len(ctx.world.services)


async def test_q_cannot_be_combined_with_filters(sandbox: RunningSandbox, ctx: SandboxContext) -> None:
    async with EasyAppointmentsClient(settings_for(sandbox)) as ea:
        with pytest.raises(ValueError, match="q disables"):
            await ea.list_appointments(q="Ana", date_from=date(2026, 1, 1))
        with pytest.raises(ValueError):
            await ea.list_appointments(0)


def test_budget_is_shared_by_every_client_of_one_instance(sandbox: RunningSandbox) -> None:
    a = EasyAppointmentsClient(settings_for(sandbox))
    b = EasyAppointmentsClient(settings_for(sandbox))
    assert a._http.limiter is b._http.limiter
    assert a._http.limiter is shared_limiter(
        f"easyappointments:{settings_for(sandbox).api_url}", [(10_000, 1.0)]
    )
    assert a._http.retry.rate_limit_window == 120.0


async def test_budget_keeps_under_the_servers_fixed_window(
    sandbox: RunningSandbox, ctx: SandboxContext
) -> None:
    # The twin enforces 3 requests per 0.35 s like the real server's fixed window; our
    # budget of 3 per 0.5 s must never trip it, across two clients sharing the limiter.
    ctx.state["easyappointments"]["rate_limit"] = (3, 0.35)
    limiter = RateLimiter(budgets=[(3, 0.5)])
    started = time.monotonic()
    async with (
        EasyAppointmentsClient(settings_for(sandbox), limiter=limiter, retry=FAST_RETRY) as one,
        EasyAppointmentsClient(settings_for(sandbox), limiter=limiter, retry=FAST_RETRY) as two,
    ):
        for _ in range(4):
            await one.test_connection()
        for _ in range(3):
            await two.test_connection()
        assert one.stats.rate_limited == two.stats.rate_limited == 0
    assert time.monotonic() - started >= 1.0


def test_models_tolerate_older_and_newer_servers() -> None:
    v15 = {
        "id": 5,
        "book": "2026-11-26 06:44:20",
        "start": "2026-12-02 09:00:00",
        "end": "2026-12-02 09:45:00",
        "hash": "OAM2sPlIr5Jy",
        "status": "Booked",
        "customerId": 6,
        "providerId": 4,
        "serviceId": 2,
        "somethingNew": {"x": 1},
    }
    appointment = Appointment.model_validate(v15)
    assert appointment.meetingLink is None
    assert appointment.start == datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def test_settings_need_credentials_and_a_known_zone() -> None:
    with pytest.raises(ValueError, match="EASYAPPOINTMENTS_API_TOKEN"):
        EasyAppointmentsSettings(url="http://x")
    with pytest.raises(ValueError, match="unknown time zone"):
        EasyAppointmentsSettings(url="http://x", api_token="t", timezone="Mars/Olympus")  # type: ignore[arg-type]
    s = EasyAppointmentsSettings(url="http://x/", api_token="t")  # type: ignore[arg-type]
    assert s.api_url == "http://x/index.php/api/v1"
    assert (s.page_length, s.rate_limit_requests, s.rate_limit_seconds) == (1000, 100, 120.0)
