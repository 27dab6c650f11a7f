"""The Brevo twin at its default, real pace: Brevo's budgets and imports that take their time.

The twin's clock is moved by the tests instead of waiting, so nothing here depends on speed.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from pydantic import SecretStr

from connectors.brevo import BrevoClient, BrevoSettings
from sandbox.brevo_twin import API_KEY, BrevoState
from sandbox.framework import RunningSandbox, new_context


class Clock:
    """A clock that stands still until moved."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        """The client's wait: move the twin's time on instead of sleeping."""
        self.now += seconds


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with RunningSandbox(new_context(scale=60, seed=4, fast=False)) as running:
        yield running


@pytest.fixture
def state(sandbox: RunningSandbox) -> BrevoState:
    value = sandbox.ctx.state["brevo"]
    assert isinstance(value, BrevoState)
    return value


@pytest.fixture
def clock(state: BrevoState) -> Clock:
    clock = Clock(1_900_000_000.0)
    state.clock = clock
    return clock


@pytest.fixture
def http(sandbox: RunningSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.env["BREVO_API_URL"], headers={"api-key": API_KEY}) as client:
        yield client


def limit_of(response: httpx.Response) -> tuple[int, int]:
    return int(response.headers["x-sib-ratelimit-limit"]), int(response.headers["x-sib-ratelimit-remaining"])


def test_real_pace_is_the_default(sandbox: RunningSandbox, state: BrevoState) -> None:
    assert not sandbox.ctx.fast and state.complete_after_polls is None
    assert state.rate_limits["contacts"] == (10, 1.0)
    assert state.rate_limits["contacts_hourly"] == (36_000, 3600.0)
    assert state.rate_limits["unlisted"] == (100, 3600.0)
    assert "BREVO_PROCESS_POLL_INITIAL" not in sandbox.env  # the client polls at its own pace
    assert new_context(scale=20, seed=1, fast=True).fast


def test_contacts_allow_ten_a_second(http: httpx.Client, clock: Clock) -> None:
    answers = [http.get("/contacts", params={"limit": 1}) for _ in range(11)]
    assert [r.status_code for r in answers] == [200] * 10 + [429]
    assert limit_of(answers[0]) == (10, 9) and limit_of(answers[9]) == (10, 0)
    assert "retry-after" not in answers[10].headers
    clock.now += 1.0
    assert limit_of(http.get("/contacts", params={"limit": 1})) == (10, 9)


def test_unlisted_endpoints_allow_a_hundred_an_hour(
    http: httpx.Client, state: BrevoState, clock: Clock
) -> None:
    answers = [http.get("/processes" if i % 2 else "/account") for i in range(101)]
    assert [r.status_code for r in answers] == [200] * 100 + [429]
    assert limit_of(answers[0]) == (100, 99)
    assert int(answers[100].headers["x-sib-ratelimit-reset"]) == 3600
    clock.now += 3599.0
    assert http.get("/processes").status_code == 429
    assert state.refused["unlisted"] == 2
    clock.now += 1.0
    assert limit_of(http.get("/processes")) == (100, 99)


def test_import_stays_queued_then_in_process(http: httpx.Client, state: BrevoState, clock: Clock) -> None:
    rows = [{"email": f"pace{i}@example.org"} for i in range(1000)]
    pid = http.post("/contacts/import", json={"jsonBody": rows, "listIds": [state.master_list_id]}).json()[
        "processId"
    ]
    statuses = []
    for step in (0.0, 9.0, 1.0, 21.0, 0.5, 0.5):  # queued 10 s; done after 30 s + 2 s per 1,000 rows
        clock.now += step
        statuses.append(http.get(f"/processes/{pid}").json()["status"])
    assert statuses == ["queued", "queued", "in_process", "in_process", "in_process", "completed"]
    assert "pace0@example.org" in state.contacts


async def test_client_polls_within_the_hourly_budget(
    sandbox: RunningSandbox, state: BrevoState, clock: Clock
) -> None:
    settings = BrevoSettings(api_key=SecretStr(API_KEY), api_url=sandbox.env["BREVO_API_URL"])
    rows = [{"email": f"polled{i}@example.org", "attributes": {}} for i in range(5000)]
    async with BrevoClient(settings, sleep=clock.sleep) as brevo:
        result = await brevo.import_contacts(rows, [state.master_list_id or 2])
    assert result.status == "completed" and "polled4999@example.org" in state.contacts
    assert result.process_id is not None
    polls = state.processes[result.process_id]["polls"]
    # due after 40 s: the client's 10 s, x1.5 back-off polls at 10, 25, 47.5 s
    assert polls == 3
    assert state._windows["unlisted"][1] == polls
