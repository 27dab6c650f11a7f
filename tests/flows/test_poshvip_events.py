"""The ``poshvip-events`` flow on a SQLite file: every event type, the transfer chain, unmapped events and replay."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from connectors.poshvip import adapter as poshvip_adapter
from connectors.poshvip import dedupe_key
from flows.poshvip_events import PoshvipEventsSummary, poshvip_events
from sandbox.framework import RunningSandbox
from store.db import make_engine, session_scope
from store.interactions import load_interactions
from store.migrate import upgrade
from store.webhook_events import NewDelivery, count_events, insert_deliveries, select_events


def run_flow(**params: Any) -> PoshvipEventsSummary:
    """The (async) poshvip-events flow, run to its end."""
    return asyncio.run(poshvip_events(**params))


T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Engine]]:
    url = f"sqlite:///{tmp_path / 'flow.db'}"
    monkeypatch.setenv("DATABASE_URL", url)  # the database the flow reads and writes
    engine = make_engine(url)
    upgrade(engine)
    yield url, engine
    engine.dispose()


def person(email: str, first: str = "") -> dict[str, Any]:
    return {"email": email, "first_name": first or email.split("@")[0].title(), "last_name": "Test"}


def payload(n: int, kind: str, order_id: str, **data: Any) -> dict[str, Any]:
    base = {
        "order": {"id": order_id, "quantity": 1, "total": 30.0, "currency": "USD"},
        "event": {"id": "g1", "name": "Gala"},
    }
    base.update(data)
    return {
        "id": f"evt_{n}",
        "type": kind,
        "created_at": (T0 + timedelta(minutes=n)).isoformat(),
        "data": base,
    }


def store(engine: Engine, payloads: list[Any], start: int = 0) -> None:
    with session_scope(engine) as session:
        for i, item in enumerate(payloads):
            body = item if isinstance(item, bytes) else json.dumps(item).encode()
            row = NewDelivery("poshvip", dedupe_key(body), T0 + timedelta(minutes=start + i), {}, body)
            insert_deliveries(session.connection(), rows=[row])


def statuses(engine: Engine) -> dict[str, str]:
    with session_scope(engine) as session:
        frame = load_interactions(session, sources=["poshvip"])
    return dict(zip(frame["source_id"], frame["status"], strict=True))


STORY = [
    payload(1, "purchase.created", "o1", buyer=person("Ann@X.io")),
    payload(2, "ticket.transferred", "o1", **{"from": person("ann@x.io"), "to": person("bo@x.io")}),
    payload(3, "ticket.transferred", "o1", **{"from": person("bo@x.io"), "to": person("cy@x.io")}),
    payload(4, "ticket.checked_in", "o1", attendee=person("cy@x.io")),
    payload(
        5,
        "purchase.created",
        "o2",
        buyer=person("dee@x.io"),
        order={"id": "o2", "quantity": 2, "total": 80.0, "currency": "USD"},
    ),
    payload(
        6,
        "purchase.updated",
        "o2",
        buyer=person("dee@x.io", "Deirdre"),
        order={"id": "o2", "quantity": 2, "total": 80.0, "currency": "USD"},
    ),
    payload(7, "purchase.refunded", "o2", buyer=person("dee@x.io")),
    payload(8, "purchase.created", "o3", buyer=person("eve@x.io")),
    {
        "id": "evt_9",
        "type": "purchase.completed",
        "data": {"order": {"id": "o4"}, "buyer": person("fay@x.io")},
    },
    b"this is not json",
]


def test_every_event_type_the_transfer_chain_and_unmapped(db: tuple[str, Engine]) -> None:
    _url, engine = db
    store(engine, STORY)
    summary = run_flow(sync_audience=False)
    assert (summary.selected, summary.processed, summary.unmapped) == (10, 8, 2)
    assert (summary.new_purchases, summary.refunds, summary.transfers, summary.check_ins) == (3, 1, 2, 1)
    assert summary.affected_people == 5
    assert statuses(engine) == {
        "o1:ann@x.io": "cancelled",
        "o1:bo@x.io": "cancelled",
        "o1:cy@x.io": "attended",
        "o2:dee@x.io": "refunded",
        "o3:eve@x.io": "booked",
    }
    [usd] = summary.revenue
    assert (usd.gross, usd.refunds, usd.net, usd.tickets, usd.buyers) == (140.0, 80.0, 60.0, 4, 3)
    reasons = {u["id"]: u["reason"] for u in summary.unmapped_events}
    assert any("unknown event type 'purchase.completed'" in r for r in reasons.values())
    assert any("not JSON" in r for r in reasons.values())
    with session_scope(engine) as session:
        assert count_events(session, provider="poshvip") == {
            "pending": 0,
            "processed": 8,
            "unmapped": 2,
            "failed": 0,
        }
        unmapped = select_events(session, provider="poshvip", statuses=["unmapped"])
    assert unmapped[0].event_type == "purchase.completed" and "unknown event type" in (
        unmapped[0].error or ""
    )
    # Nothing left to do: a second run selects nothing and changes nothing.
    again = run_flow(sync_audience=False)
    assert (again.selected, again.processed) == (0, 0)


def test_new_events_refold_their_order_with_its_history(db: tuple[str, Engine]) -> None:
    _url, engine = db
    store(engine, STORY[:1])
    run_flow(sync_audience=False)
    assert statuses(engine) == {"o1:ann@x.io": "booked"}
    store(engine, STORY[1:2], start=1)
    summary = run_flow(sync_audience=False)
    assert summary.processed == 1 and summary.new_purchases == 0
    assert statuses(engine) == {"o1:ann@x.io": "cancelled", "o1:bo@x.io": "booked"}
    assert summary.revenue == []  # a transfer moves no money


def test_replay_after_an_adapter_fix(db: tuple[str, Engine], monkeypatch: pytest.MonkeyPatch) -> None:
    _url, engine = db
    store(engine, STORY)
    run_flow(sync_audience=False)
    assert "o4:fay@x.io" not in statuses(engine)
    # The adapter learns that Posh also says "purchase.completed" (what a fix would add).
    monkeypatch.setitem(poshvip_adapter._TYPE_ALIASES, "purchase.completed", "purchase.created")
    dry = run_flow(replay=True, dry_run=True, sync_audience=False)
    assert (dry.selected, dry.processed, dry.unmapped) == (2, 1, 1) and dry.dry_run
    assert "o4:fay@x.io" not in statuses(engine)  # a dry run writes nothing
    summary = run_flow(replay=True, sync_audience=False)
    assert (summary.selected, summary.processed, summary.unmapped) == (2, 1, 1)
    assert statuses(engine)["o4:fay@x.io"] == "booked"
    with session_scope(engine) as session:
        assert count_events(session, provider="poshvip")["processed"] == 9


def test_replay_by_ids_and_window_reprocesses_processed_events(db: tuple[str, Engine]) -> None:
    _url, engine = db
    store(engine, STORY[:8])
    run_flow(sync_audience=False)
    with session_scope(engine) as session:
        ids = [e.id for e in select_events(session, provider="poshvip", statuses=None)][:2]
    by_ids = run_flow(replay=True, event_ids=ids, sync_audience=False)
    assert (by_ids.selected, by_ids.processed) == (2, 2)
    window = run_flow(
        replay=True,
        received_from=T0 + timedelta(minutes=4),
        received_to=T0 + timedelta(minutes=7),
        sync_audience=False,
    )
    assert window.selected == 3
    assert statuses(engine)["o2:dee@x.io"] == "refunded" and statuses(engine)["o1:cy@x.io"] == "attended"


def test_admins_get_the_digest_through_brevo(
    db: tuple[str, Engine], sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    _url, engine = db
    monkeypatch.setenv("ADMIN_NOTIFICATION_EMAILS", "ops@engarde.example, boss@engarde.example")
    monkeypatch.setenv("BREVO_SENDER_EMAIL", "pipelines@engarde.example")
    store(engine, STORY)
    summary = run_flow(sync_audience=False)
    assert summary.admins_emailed and not summary.audience_synced
    assert sandbox.ctx.requests["brevo"]["POST /v3/smtp/email"] == 1
    # A dry run never emails.
    run_flow(replay=True, dry_run=True, sync_audience=False)
    assert sandbox.ctx.requests["brevo"]["POST /v3/smtp/email"] == 1


def test_affected_people_reach_brevo_through_audience_sync(
    db: tuple[str, Engine], sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, engine = db
    monkeypatch.setenv("DATABASE_URL", url)  # the audience-sync subflow reads DATABASE_URL
    store(engine, STORY)
    summary = run_flow()
    assert summary.audience_synced
    brevo_routes = sandbox.ctx.requests["brevo"]
    assert sum(n for route, n in brevo_routes.items() if "contacts" in route) > 0, dict(brevo_routes)
    contacts = sandbox.ctx.state["brevo"].contacts
    # Ticket holders are contacts now; the buyer whose only ticket was refunded was never created.
    assert {"cy@x.io", "eve@x.io"} <= set(contacts)
    assert "dee@x.io" not in contacts


@pytest.mark.postgres
def test_every_event_type_on_postgres(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy import text

    monkeypatch.setenv("DATABASE_URL", postgres_url)

    engine = make_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE webhook_events, interactions RESTART IDENTITY"))
    store(engine, STORY)
    summary = run_flow(sync_audience=False)
    assert (summary.selected, summary.processed, summary.unmapped) == (10, 8, 2)
    assert statuses(engine) == {
        "o1:ann@x.io": "cancelled",
        "o1:bo@x.io": "cancelled",
        "o1:cy@x.io": "attended",
        "o2:dee@x.io": "refunded",
        "o3:eve@x.io": "booked",
    }
    engine.dispose()
