"""The brevo-events flow publishes its summary as markdown tables (not a code block the UI clips)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

from flows.brevo_events import brevo_events
from store.db import make_engine, session_scope
from store.migrate import upgrade
from store.webhook_events import NewDelivery, insert_deliveries

NOW = datetime(2026, 10, 3, 10, tzinfo=UTC)


async def test_the_run_artifact_is_tables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'flow.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as s:
        for key, payload in (("a", {"event": "unsubscribe", "email": "ana@x.org"}), ("b", ["not an event"])):
            body = json.dumps(payload).encode()
            insert_deliveries(s.connection(), rows=[NewDelivery("brevo", key, NOW, {}, body)])
    engine.dispose()

    state = await brevo_events(return_state=True)

    async with get_client() as client:
        [artifact] = await client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=["brevo-events"]),
                flow_run_id=ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id]),
            )
        )
    markdown = str(artifact.data)
    assert "```" not in markdown
    assert (
        "| event | received | applied | skipped | why skipped |\n|---|---|---|---|---|\n| unsubscribed | 1 | 1 | 0 |"
        in markdown
    )
    assert (
        "| opted out by | people |" in markdown and "\n- delivery #2 unmapped: not a Brevo event" in markdown
    )
