"""Long rate-limit waits are announced (what, why, until when) and one run's waiting is capped per provider.

The old failure: Eventbrite 429s without Retry-After made a run wait 450 s, then 900 s, in silence.
Real HTTP against the Eventbrite twin; the injectable ``sleep`` records waits instead of waiting.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from collections.abc import Iterator
from datetime import date

import pytest

from connectors.eventbrite.client import eventbrite_retry
from connectors.http import HttpClient, RateLimiter, RateLimitError, WaitCapReached, WaitSettings, wait_logger
from connectors.http.waits import announce
from sandbox.framework import RunningSandbox, new_context
from tasks.eventbrite import extract_eventbrite


@pytest.fixture(scope="module")
def twins() -> Iterator[RunningSandbox]:
    with RunningSandbox(new_context(scale=300, seed=3)) as running:
        yield running


def eventbrite(twins: RunningSandbox, waits: list[float]) -> HttpClient:
    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    return HttpClient(
        "eventbrite",
        twins.env["EVENTBRITE_API_URL"],
        headers={"Authorization": f"Bearer {twins.env['EVENTBRITE_OAUTH_TOKEN']}"},
        retry=eventbrite_retry(3600.0),  # production: a 429 without hint waits 1/8 of the hour first
        limiter=RateLimiter([(10_000, 1.0)]),
        sleep=sleep,
    )


async def test_a_long_wait_is_logged_and_the_run_stops_waiting_at_its_cap(
    twins: RunningSandbox, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("ENGARDE_MAX_RATE_LIMIT_WAIT_PER_PROVIDER", '{"eventbrite": 1000}')
    twins.ctx.faults.queue("eventbrite", "429", 3)
    waits: list[float] = []
    with caplog.at_level(logging.WARNING, logger="connectors.waits"):
        async with eventbrite(twins, waits) as http:
            with pytest.raises(WaitCapReached) as caught:
                await http.get_json("/users/me/")
    twins.ctx.faults.queued.clear()

    # One wait of about 450 s was made (and announced); the next (about 900 s) would pass 1000 s.
    assert len(waits) == 1 and 450 <= waits[0] <= 540
    assert http.stats.waited == waits[0]
    [line] = [r.getMessage() for r in caplog.records if r.name == "connectors.waits"]
    assert line.startswith(f"eventbrite: waiting {waits[0]:.0f} s, until ")
    assert "UTC (rate limit, then retrying: eventbrite: GET /users/me/ answered 429" in line
    assert isinstance(caught.value, RateLimitError)
    assert "1000 s allowance" in str(caught.value) and "left for the next run" in str(caught.value)


async def test_short_waits_are_not_announced(twins: RunningSandbox, caplog: pytest.LogCaptureFixture) -> None:
    twins.ctx.faults.queue("eventbrite", "5xx", 1)
    waits: list[float] = []
    with caplog.at_level(logging.WARNING, logger="connectors.waits"):
        async with eventbrite(twins, waits) as http:
            await http.get_json("/users/me/")
    assert len(waits) == 1 and waits[0] < 5
    assert not [r for r in caplog.records if r.name == "connectors.waits"]


async def test_the_extraction_is_left_incomplete_for_the_next_run(
    twins: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in twins.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("ENGARDE_MAX_RATE_LIMIT_WAIT", "60")
    twins.ctx.faults.queue("eventbrite", "429", 1)
    try:
        extract = await extract_eventbrite.fn(date(2026, 1, 1), date(2026, 1, 31))
    finally:
        twins.ctx.faults.queued.clear()
    # No wait happened at all (450 s > 60 s): the source is incomplete, so its checkpoint stays.
    assert not extract.complete
    assert extract.frame.empty
    assert any("read next run" in note for note in extract.notes)


def test_a_long_wait_for_the_request_budget_is_announced(caplog: pytest.LogCaptureFixture) -> None:
    now = [1000.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    limiter = RateLimiter([(1, 120.0)], clock=lambda: now[0], sleep=sleep)

    async def twice() -> None:
        await limiter.acquire()
        await limiter.acquire()

    with caplog.at_level(logging.WARNING, logger="connectors.waits"):
        asyncio.run(twice())
    assert now[0] == 1120.0
    [line] = [r.getMessage() for r in caplog.records if r.name == "connectors.waits"]
    assert line.startswith("request budget: waiting 120 s, until ")
    assert line.endswith("UTC (1 requests per 120 s used up)")


def test_settings_and_logger_outside_a_run(monkeypatch: pytest.MonkeyPatch) -> None:
    assert WaitSettings().cap("zoom") == 600.0
    monkeypatch.setenv("ENGARDE_MAX_RATE_LIMIT_WAIT", "30")
    monkeypatch.setenv("ENGARDE_MAX_RATE_LIMIT_WAIT_PER_PROVIDER", '{"zoom": 90}')
    assert (WaitSettings().cap("zoom"), WaitSettings().cap("brevo")) == (90.0, 30.0)
    assert wait_logger().name == "connectors.waits"


def test_inside_a_run_the_wait_goes_to_the_run_log(prefect_harness: None) -> None:
    from prefect import flow

    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    @flow
    def probe() -> str:
        announce("eventbrite", 60.0, "rate limit, then retrying")
        return type(wait_logger()).__name__

    handler = Keep()
    logging.getLogger("prefect.flow_runs").addHandler(handler)
    try:
        assert probe() == "PrefectLogAdapter"
    finally:
        logging.getLogger("prefect.flow_runs").removeHandler(handler)
    [record] = [r for r in records if r.getMessage().startswith("eventbrite: waiting 60 s, until ")]
    assert getattr(record, "flow_run_id", None)


def test_connectors_import_no_prefect() -> None:
    """The run's logger is injected by tasks (tasks/connector_waits.py); connectors never import Prefect."""
    code = (
        "import sys, connectors.http, connectors.brevo, connectors.claude, connectors.easyappointments, "
        "connectors.eventbrite, connectors.poshvip, connectors.registry, connectors.zoom\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'prefect'))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
