"""Claude connector against the Anthropic twin over loopback HTTP (real SDK, real sockets)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from connectors.claude import (
    ClaudeClient,
    ClaudeNotConfiguredError,
    ClaudeRateLimitError,
    ClaudeSettings,
    ClaudeUnavailableError,
    SpendLimitError,
)
from sandbox.anthropic_twin import twin_state
from sandbox.framework import RunningSandbox, new_context

TOOL: dict[str, Any] = {
    "name": "report_insights",
    "description": "Report insights.",
    "input_schema": {
        "type": "object",
        "properties": {"insights": {"type": "array", "items": {"type": "object"}}},
        "required": ["insights"],
        "additionalProperties": False,
    },
    "strict": True,
}
USER = (
    'Window: x.\n<facts>\n{"columns":["id","label","value","unit","previous","change","change_pct","share"],'
    '"rows":[["overview.bookings","Bookings",120,"count",100,20,20.0,null]]}\n</facts>'
)


@pytest.fixture(scope="module")
def running() -> Iterator[RunningSandbox]:
    with RunningSandbox(new_context(scale=50, seed=5)) as sandbox:
        yield sandbox


@pytest.fixture
def twin(running: RunningSandbox) -> dict[str, Any]:
    """The twin's state, reset for this test."""
    state = twin_state(running.ctx)
    state.clear()
    running.ctx.faults.queued.clear()
    return twin_state(running.ctx)


class _Sleeps:
    """Records the waits instead of sleeping (the retry policy is what is under test)."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def _settings(running: RunningSandbox, **overrides: Any) -> ClaudeSettings:
    values: dict[str, Any] = {
        "api_key": "sk-ant-sandbox",
        "base_url": f"{running.base_url}/anthropic",
        "retry_base_delay": 0.01,
        "retry_max_wait": 5.0,
        "timeout": 10.0,
    }
    values.update(overrides)
    return ClaudeSettings(**values)


async def test_forced_tool_call_with_cached_system(running: RunningSandbox, twin: dict[str, Any]) -> None:
    async with ClaudeClient(_settings(running)) as client:
        first = await client.call_tool(system="Fixed instructions. " * 50, user=USER, tool=TOOL)
        second = await client.call_tool(system="Fixed instructions. " * 50, user=USER, tool=TOOL)
    assert first.name == "report_insights" and first.attempts == 1
    assert first.input["insights"][0]["fact_ids"] == ["overview.bookings"]
    assert first.model == "claude-sonnet-4-5" and first.stop_reason == "tool_use"
    body = twin["requests"][0]
    assert body["tool_choice"] == {"type": "tool", "name": "report_insights"}
    assert body["tools"][0]["strict"] is True
    assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert body["model"] == "claude-sonnet-4-5" and body["max_tokens"] == 4096
    # the fixed prefix is written to the cache once, then read
    assert first.cache_creation_input_tokens > 0 and first.cache_read_input_tokens == 0
    assert second.cache_read_input_tokens == first.cache_creation_input_tokens
    assert twin["calls"] == 2


async def test_rate_limit_is_retried_with_retry_after(running: RunningSandbox, twin: dict[str, Any]) -> None:
    running.ctx.faults.queue("anthropic", "429", 2)  # the framework's profile: retry-after: 2
    sleeps = _Sleeps()
    async with ClaudeClient(_settings(running), sleep=sleeps) as client:
        call = await client.call_tool(system="s", user=USER, tool=TOOL)
    assert call.attempts == 3
    assert sleeps.waits == [2.0, 2.0]


async def test_retry_after_is_capped(running: RunningSandbox, twin: dict[str, Any]) -> None:
    running.ctx.faults.queue("anthropic", "429", 1)
    sleeps = _Sleeps()
    async with ClaudeClient(_settings(running, retry_max_wait=0.5), sleep=sleeps) as client:
        await client.call_tool(system="s", user=USER, tool=TOOL)
    assert sleeps.waits == [0.5]


async def test_overloaded_529_is_retried(running: RunningSandbox, twin: dict[str, Any]) -> None:
    twin["faults"] = ["overloaded", "overloaded"]
    async with ClaudeClient(_settings(running)) as client:
        call = await client.call_tool(system="s", user=USER, tool=TOOL)
    assert call.attempts == 3
    assert twin["calls"] == 3


async def test_spend_limit_is_not_retried(running: RunningSandbox, twin: dict[str, Any]) -> None:
    twin["faults"] = ["spend_limit", "spend_limit", "spend_limit"]
    sleeps = _Sleeps()
    async with ClaudeClient(_settings(running), sleep=sleeps) as client:
        with pytest.raises(SpendLimitError) as info:
            await client.call_tool(system="s", user=USER, tool=TOOL)
    assert twin["calls"] == 1 and sleeps.waits == []
    assert info.value.status == 429 and info.value.attempts == 1
    assert "spend limit reached" in str(info.value)
    assert twin["faults"] == ["spend_limit", "spend_limit"]


async def test_retries_are_bounded(running: RunningSandbox, twin: dict[str, Any]) -> None:
    twin["faults"] = ["rate_limit"] * 5
    async with ClaudeClient(_settings(running, max_attempts=3)) as client:
        with pytest.raises(ClaudeRateLimitError) as info:
            await client.call_tool(system="s", user=USER, tool=TOOL)
    assert twin["calls"] == 3 and info.value.attempts == 3
    twin["faults"] = ["overloaded"] * 5
    async with ClaudeClient(_settings(running, max_attempts=2)) as client:
        with pytest.raises(ClaudeUnavailableError) as err:
            await client.call_tool(system="s", user=USER, tool=TOOL)
    assert err.value.status == 529 and twin["calls"] == 5


async def test_timeout_is_retried(running: RunningSandbox, twin: dict[str, Any]) -> None:
    running.ctx.faults.queue("anthropic", "delay", 1)  # the framework holds the request 0.3 s
    async with ClaudeClient(_settings(running, timeout=0.1)) as client:
        call = await client.call_tool(system="s", user=USER, tool=TOOL)
    assert call.attempts == 2


async def test_timeouts_are_bounded(running: RunningSandbox, twin: dict[str, Any]) -> None:
    running.ctx.faults.queue("anthropic", "delay", 3)
    async with ClaudeClient(_settings(running, timeout=0.1, max_attempts=2)) as client:
        with pytest.raises(ClaudeUnavailableError, match="APITimeoutError"):
            await client.call_tool(system="s", user=USER, tool=TOOL)
    running.ctx.faults.queued.clear()


def test_missing_key_is_a_clear_error() -> None:
    with pytest.raises(ClaudeNotConfiguredError, match="ANTHROPIC_API_KEY"):
        ClaudeClient(ClaudeSettings(api_key=None))


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-x")
    monkeypatch.setenv("ANTHROPIC_MODEL", "claude-sonnet-4-6")
    monkeypatch.setenv("ANTHROPIC_TIMEOUT", "12.5")
    s = ClaudeSettings()
    assert s.configured and s.model == "claude-sonnet-4-6" and s.timeout == 12.5
    assert "sk-ant-x" not in repr(s)
