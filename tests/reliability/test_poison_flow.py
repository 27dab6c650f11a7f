"""``poshvip-events`` with poisoned deliveries stored among good ones: the run goes on, the poison is listed.

The old failure: one correctly signed body of 1,000 nested JSON arrays made every later run
exit with ``RecursionError`` and left every later delivery pending.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tasks.poshvip as tasks_poshvip
from connectors.poshvip import dedupe_key
from connectors.poshvip.adapter import map_event
from flows.poshvip_events import PoshvipEventsSummary, poshvip_events
from store.db import make_engine, session_scope
from store.migrate import upgrade
from store.webhook_events import NewDelivery, count_events, insert_deliveries
from tests.reliability.test_poison import GOOD, envelopes, json_values


def run_flow(**params: Any) -> PoshvipEventsSummary:
    """The (async) poshvip-events flow, run to its end."""
    return asyncio.run(poshvip_events(**params))


T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
NESTED = b"[" * 1000 + b"]" * 1000


@pytest.fixture(autouse=True)
def _prefect(prefect_harness: None) -> None:
    return None


def store_bodies(url: str, bodies: list[bytes]) -> None:
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        for i, body in enumerate(bodies):
            row = NewDelivery("poshvip", f"{i}:{dedupe_key(body)}", T0 + timedelta(seconds=i), {}, body)
            insert_deliveries(session.connection(), rows=[row])
    engine.dispose()


def counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with session_scope(engine) as session:
        out = count_events(session, provider="poshvip")
    engine.dispose()
    return out


def test_nested_arrays_do_not_stop_the_flow_and_are_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'poison.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    store_bodies(url, [NESTED, json.dumps(GOOD).encode()])

    summary = run_flow(sync_audience=False)

    assert (summary.processed, summary.unmapped) == (1, 1)
    assert "more than 32 levels deep" in summary.unmapped_events[0]["reason"]
    assert counts(url)["pending"] == 0
    # The next run has nothing left to trip on.
    assert run_flow(sync_audience=False).selected == 0


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_a_failed_delivery_is_replayed_after_the_fix(
    store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    url = (
        request.getfixturevalue("fresh_postgres")
        if store == "postgresql"
        else f"sqlite:///{tmp_path / 'r.db'}"
    )
    other = {**GOOD, "id": "evt_other", "data": {**GOOD["data"], "order": {"id": "o-2", "total": 5}}}
    store_bodies(url, [json.dumps(GOOD).encode(), json.dumps(other).encode()])
    monkeypatch.setenv("DATABASE_URL", url)

    def broken(body: bytes) -> Any:
        if b"evt_other" in body:
            raise KeyError("total")
        return map_event(body)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tasks_poshvip, "map_event", broken)
        first = run_flow(sync_audience=False)
    assert (first.processed, first.unmapped) == (1, 1)
    assert first.unmapped_events[0]["status"] == "failed"
    assert "KeyError" in first.unmapped_events[0]["reason"]

    # the fix: the patch is gone
    replayed = run_flow(replay=True, sync_audience=False)
    assert (replayed.selected, replayed.processed, replayed.unmapped) == (1, 1, 0)
    assert counts(url)["processed"] == 2


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.binary(max_size=100) | (json_values | envelopes).map(lambda v: json.dumps(v).encode()), max_size=6
    )
)
def test_poshvip_events_processes_the_good_delivery_whatever_is_stored_beside_it(bodies: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'any.db'}"
        store_bodies(url, [*bodies, NESTED, json.dumps(GOOD).encode()])
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("DATABASE_URL", url)
            summary = run_flow(sync_audience=False)
        assert summary.selected == len(bodies) + 2
        assert summary.processed + summary.unmapped == summary.selected
        assert summary.processed >= 1
        assert counts(url)["pending"] == 0
