"""The receivers' insert (compiled once, run on the driver's cursor) stores exactly what SQLAlchemy
stores with the same statement (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, String, cast, select

from store.db import make_engine
from store.migrate import upgrade
from store.models import WebhookEvent
from store.webhook_events import PENDING, NewDelivery, insert_deliveries, insert_statement

WHEN = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)
HEADERS = {"content-type": "application/json", "x-note": 'café ✓ "quoted"'}


@pytest.fixture(params=["sqlite", "postgresql"])
def store_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated database: once a SQLite file, once PostgreSQL (skipped without a server)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'batch.db'}"
        migrate = make_engine(url)
        upgrade(migrate)
        migrate.dispose()
    else:
        url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    yield engine
    engine.dispose()


def deliveries(prefix: str, count: int) -> list[NewDelivery]:
    return [
        NewDelivery("poshvip", f"{prefix}{i}", WHEN, HEADERS, b'{"id": "%d"}\x00\xff' % i)
        for i in range(count)
    ]


def stored(engine: Engine, prefix: str) -> list[tuple[object, ...]]:
    """What a row holds as the database has it (times and JSON as text), the key's prefix taken off."""
    query = (
        select(
            WebhookEvent.provider,
            WebhookEvent.event_key,
            cast(WebhookEvent.received_at, String),
            cast(WebhookEvent.headers, String),
            WebhookEvent.body,
            WebhookEvent.status,
        )
        .where(WebhookEvent.event_key.like(f"{prefix}%"))
        .order_by(WebhookEvent.id)
    )
    with engine.connect() as conn:
        return [(p, k.removeprefix(prefix), *rest) for p, k, *rest in conn.execute(query).all()]


def _through_sqlalchemy(conn: Connection, rows: list[NewDelivery]) -> None:
    """The same statement executed by SQLAlchemy itself: the reference of what must be stored."""
    params = [
        {
            "provider": r.provider,
            "event_key": r.event_key,
            "received_at": r.received_at,
            "headers": r.headers,
            "body": r.body,
            "status": PENDING,
        }
        for r in rows
    ]
    conn.execute(insert_statement(conn.dialect.name), params)


def test_the_insert_stores_what_sqlalchemy_stores(store_engine: Engine) -> None:
    run = uuid.uuid4().hex[:8]
    ours, theirs = f"ours{run}-", f"store{run}-"
    with store_engine.begin() as conn:
        rows = deliveries(ours, 3)
        new = insert_deliveries(conn, rows=[*rows, rows[1]])  # a key repeated within a batch is stored once
        _through_sqlalchemy(conn, deliveries(theirs, 3))
    assert new == {("poshvip", f"{ours}{i}") for i in range(3)}
    assert stored(store_engine, ours) == stored(store_engine, theirs)
    assert len(stored(store_engine, ours)) == 3
    assert stored(store_engine, ours)[0][2:4] != (None, None)


def test_the_insert_reports_only_new_keys(store_engine: Engine) -> None:
    prefix = f"again{uuid.uuid4().hex[:8]}-"
    with store_engine.begin() as conn:
        assert len(insert_deliveries(conn, rows=deliveries(prefix, 2))) == 2
    with store_engine.begin() as conn:
        new = insert_deliveries(conn, rows=deliveries(prefix, 4))  # two redeliveries, two new
    assert new == {("poshvip", f"{prefix}2"), ("poshvip", f"{prefix}3")}
    assert len(stored(store_engine, prefix)) == 4
    with store_engine.begin() as conn:
        assert insert_deliveries(conn, rows=[]) == set()
