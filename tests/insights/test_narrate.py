"""Ask -> validate -> re-ask once -> drop, privacy of the request body, and request size vs data size.

Runs the real connector against the Anthropic twin over loopback HTTP.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
import pytest

from connectors.claude import ClaudeSettings
from insights.facts import compute_facts
from insights.models import FactSheet
from insights.narrative import DETERMINISTIC_MODEL
from insights.synthetic import synthetic_bookings
from insights.validator import validate_insights
from sandbox.anthropic_twin import SLIPPED_NUMBER, twin_state
from sandbox.framework import RunningSandbox, new_context
from tasks.insights import narrate_sheet


@pytest.fixture(scope="module")
def running() -> Iterator[RunningSandbox]:
    with RunningSandbox(new_context(scale=50, seed=9)) as sandbox:
        yield sandbox


@pytest.fixture
def twin(running: RunningSandbox) -> dict[str, Any]:
    state = twin_state(running.ctx)
    state.clear()
    return twin_state(running.ctx)


@pytest.fixture
def settings(running: RunningSandbox) -> ClaudeSettings:
    return ClaudeSettings(
        api_key="sk-ant-sandbox", base_url=f"{running.base_url}/anthropic", retry_base_delay=0.01, timeout=20
    )


async def test_grounded_first_answer_needs_one_request(
    generated_sheet: FactSheet, twin: dict[str, Any], settings: ClaudeSettings
) -> None:
    result = await narrate_sheet(generated_sheet, settings)
    assert result.requests == 1 and result.dropped == [] and len(result.insights) == 5
    assert result.model == "claude-sonnet-4-5"
    assert validate_insights(result.insights, generated_sheet)[1] == []


async def test_ungrounded_once_is_fixed_by_the_reask(
    generated_sheet: FactSheet, twin: dict[str, Any], settings: ClaudeSettings
) -> None:
    twin["ungrounded"] = "once"
    result = await narrate_sheet(generated_sheet, settings)
    assert result.requests == 2 and result.dropped == []
    assert len(result.insights) == 5
    assert all(SLIPPED_NUMBER not in i.text for i in result.insights)
    # the re-ask carried the validator's reason for the slipped number
    reask = twin["requests"][1]["messages"][0]["content"]
    feedback = json.loads(re.search(r"<feedback>\s*(.*?)\s*</feedback>", reask, re.DOTALL).group(1))  # type: ignore[union-attr]
    assert len(feedback) == 1 and SLIPPED_NUMBER in feedback[0]["reasons"][0]


async def test_still_ungrounded_after_reask_is_dropped(
    generated_sheet: FactSheet, twin: dict[str, Any], settings: ClaudeSettings
) -> None:
    twin["ungrounded"] = "always"
    result = await narrate_sheet(generated_sheet, settings)
    assert result.requests == 2  # asked once, re-asked once, never a third time
    assert len(result.insights) == 4
    assert len(result.dropped) == 1
    assert SLIPPED_NUMBER in result.dropped[0].insight.text
    assert any(SLIPPED_NUMBER in r for r in result.dropped[0].reasons)
    assert twin["calls"] == 2


async def test_spend_limit_falls_back_to_deterministic(
    generated_sheet: FactSheet, twin: dict[str, Any], settings: ClaudeSettings
) -> None:
    twin["faults"] = ["spend_limit"]
    result = await narrate_sheet(generated_sheet, settings)
    assert twin["calls"] == 1
    assert result.model == DETERMINISTIC_MODEL and result.insights
    assert "SpendLimitError" in result.notes[0]


async def test_no_key_means_deterministic(generated_sheet: FactSheet, twin: dict[str, Any]) -> None:
    result = await narrate_sheet(generated_sheet, ClaudeSettings(api_key=None))
    assert result.model == DETERMINISTIC_MODEL and result.requests == 0 and twin["calls"] == 0


async def test_request_body_holds_no_personal_data(
    generated_bookings: pd.DataFrame,
    generated_sheet: FactSheet,
    twin: dict[str, Any],
    settings: ClaudeSettings,
) -> None:
    twin["ungrounded"] = "once"  # so the re-ask (which quotes insights back) is inspected too
    await narrate_sheet(generated_sheet, settings)
    bodies = twin["raw_bodies"]
    assert len(bodies) == 2
    sent = "\n".join(bodies)
    sent_lower = sent.lower()
    # aggregates did go out
    assert "overview.bookings" in sent and "gmail.com" in sent
    window = generated_bookings[
        (generated_bookings["occurred_at"] >= pd.Timestamp("2026-08-17", tz="UTC"))
        & (generated_bookings["occurred_at"] < pd.Timestamp("2026-10-16", tz="UTC"))
    ]
    emails = set(window["email"].dropna())
    assert len(emails) > 500
    assert not [e for e in emails if e in sent_lower]
    assert not [p for p in set(window["phone"].dropna()) if p in sent]
    for column in ("first_name", "last_name"):
        names = set(window[column].dropna())
        assert names and not [n for n in names if re.search(rf"\b{re.escape(n)}\b", sent)], column
    # staff names are personal data too: providers go out as aliases only
    assert not [p for p in set(window["provider"].dropna()) if p in sent]
    # a domain used by fewer than 5 people is not named
    assert "tiny-isp.net" in set(window["email"].str.rsplit("@", n=1).str[-1])
    assert "tiny-isp.net" not in sent


async def test_request_size_does_not_grow_with_data(twin: dict[str, Any], settings: ClaudeSettings) -> None:
    tokens = {}
    for n in (1_000, 1_000_000):
        frame = synthetic_bookings(
            n, start=datetime(2026, 8, 1), end=datetime(2026, 11, 1), seed=1, people=max(300, n // 20)
        )
        sheet = compute_facts(
            frame,
            date_from=date(2026, 9, 16),
            date_to=date(2026, 10, 15),
            as_of=datetime(2026, 10, 16, tzinfo=UTC),
        )
        del frame
        twin["raw_bodies"].clear()
        twin["usage"].clear()
        await narrate_sheet(sheet, settings)
        usage = twin["usage"][0]
        tokens[n] = (
            usage["input_tokens"] + usage["cache_creation_input_tokens"] + usage["cache_read_input_tokens"]
        )
    assert abs(tokens[1_000_000] - tokens[1_000]) / tokens[1_000] < 0.10, tokens
