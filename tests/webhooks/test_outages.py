"""The receiver while its database misbehaves: frozen, read-only then writable again.

Whatever the database does, every request is answered within ``RECEIVER_WRITE_TIMEOUT`` plus a
small margin (503 with Retry-After when not stored), ``/healthz`` answers throughout,
``/readyz`` says whether a delivery could be stored right now, and the receiver heals by
itself once the database is back. Every 2xx is stored exactly once.
"""

from __future__ import annotations

import asyncio
import os
import stat
import time
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, create_engine, make_url, select, text

from connectors.poshvip import sign
from store.db import make_engine
from store.models import WebhookEvent
from tests.webhooks.conftest import SECRET
from tests.webhooks.freeze_proxy import FreezeProxy
from tests.webhooks.spawn import can_obey_permissions, spawned_receiver
from tests.webhooks.test_receiver import payload
from webhooks.app import WEBHOOK_PATH, create_app
from webhooks.server import RunningReceiver
from webhooks.settings import ReceiverSettings
from webhooks.writer import APPLICATION_NAME

WRITE_TIMEOUT = 1.0
#: Answered within the write timeout plus this: scheduling on a busy two-core machine, not waiting.
MARGIN = 1.5


def stored_keys(engine: Engine, prefix: str) -> list[str]:
    with engine.connect() as conn:
        query = select(WebhookEvent.event_key).where(WebhookEvent.event_key.like(f"id:{prefix}%"))
        return list(conn.execute(query).scalars())


async def deliver(client: httpx.AsyncClient, event_id: str) -> tuple[str, int, float]:
    body = payload(event_id)
    started = time.monotonic()
    response = await client.post(WEBHOOK_PATH, content=body, headers={"X-Posh-Signature": sign(body, SECRET)})
    if response.status_code == 503:
        assert response.headers["retry-after"] == "5"
    return f"id:{event_id}", response.status_code, time.monotonic() - started


async def deliver_as_a_sender(
    client: httpx.AsyncClient, event_id: str, *, attempts: int = 5
) -> tuple[str, int, float]:
    """``deliver``, sent again after a 503 as Posh.VIP does (a loaded machine may still time the
    first write out right after the database came back); the last answer."""
    for _ in range(attempts - 1):
        answer = await deliver(client, event_id)
        if answer[1] != 503:
            return answer
        await asyncio.sleep(0.2)
    return await deliver(client, event_id)


async def wait_ready(client: httpx.AsyncClient, *, within: float = 20) -> None:
    deadline = time.monotonic() + within
    while (await client.get("/readyz")).status_code != 200:
        assert time.monotonic() < deadline, "/readyz did not come back"
        await asyncio.sleep(0.2)


@pytest.mark.postgres
async def test_frozen_postgres_answers_in_time_and_heals(postgres_url: str) -> None:
    url = make_url(postgres_url)
    assert url.host and url.port
    prefix = f"frz{uuid.uuid4().hex[:6]}_"
    with FreezeProxy(url.host, url.port) as proxy:
        proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        settings = ReceiverSettings(
            poshvip_webhook_secret=SECRET,
            database_url=proxied,
            receiver_emit_events=False,
            receiver_write_timeout=WRITE_TIMEOUT,
        )
        with RunningReceiver(create_app(settings)) as running:
            limits = httpx.Limits(max_connections=8)
            async with httpx.AsyncClient(base_url=running.base_url, timeout=30, limits=limits) as client:
                before = await asyncio.gather(*[deliver(client, f"{prefix}a{i}") for i in range(8)])
                assert {status for _, status, _ in before} == {202}
                proxy.freeze()
                frozen: list[tuple[str, int, float]] = []
                probes: list[tuple[str, int, float]] = []
                for wave in range(5):  # about five write timeouts of a frozen database
                    started = time.monotonic()
                    health, ready = await asyncio.gather(client.get("/healthz"), client.get("/readyz"))
                    probes += [
                        ("healthz", health.status_code, time.monotonic() - started),
                        ("readyz", ready.status_code, time.monotonic() - started),
                    ]
                    frozen += await asyncio.gather(
                        *[deliver(client, f"{prefix}f{wave}_{i}") for i in range(6)]
                    )
                proxy.thaw()
                await wait_ready(client)
                after = await asyncio.gather(
                    *[deliver_as_a_sender(client, f"{prefix}f0_{i}") for i in range(6)]
                )
    bound = WRITE_TIMEOUT + MARGIN
    assert all(seconds <= bound for _, _, seconds in before + frozen + after + probes)
    assert [s for name, s, _ in probes if name == "healthz"] == [200] * 5
    assert [s for name, s, _ in probes if name == "readyz"][1:] == [503] * 4  # the first may predate the cut
    assert sum(1 for _, status, _ in frozen if status == 503) >= len(frozen) - 6
    assert {status for _, status, _ in after} <= {200, 202}
    acknowledged = {key for key, status, _ in before + frozen + after if status in (200, 202)}
    check = make_engine(postgres_url)
    keys = stored_keys(check, prefix)
    check.dispose()
    assert len(keys) == len(set(keys))
    assert acknowledged <= set(keys)


@pytest.mark.postgres
async def test_postgres_read_only_then_writable_heals_without_restart(postgres_url: str) -> None:
    database = make_url(postgres_url).database
    admin = create_engine(
        postgres_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    prefix = f"ro{uuid.uuid4().hex[:6]}_"
    settings = ReceiverSettings(
        poshvip_webhook_secret=SECRET,
        database_url=postgres_url,
        receiver_emit_events=False,
        receiver_write_timeout=WRITE_TIMEOUT,
    )
    try:
        with RunningReceiver(create_app(settings)) as running:
            async with httpx.AsyncClient(base_url=running.base_url, timeout=30) as client:
                assert (await deliver(client, f"{prefix}1"))[1] == 202
                with (
                    admin.connect() as conn
                ):  # a failover to a read-only server: sessions come back read-only
                    conn.execute(text(f'ALTER DATABASE "{database}" SET default_transaction_read_only = on'))
                    conn.execute(
                        text(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :n"
                        ),
                        {"n": APPLICATION_NAME},
                    )
                statuses = [(await deliver(client, f"{prefix}2"))[1] for _ in range(3)]
                assert statuses == [503] * 3
                await asyncio.sleep(1.1)  # past the readiness cache: a real write is tried again
                assert (await client.get("/readyz")).status_code == 503
                with admin.connect() as conn:
                    conn.execute(text(f'ALTER DATABASE "{database}" RESET default_transaction_read_only'))
                await wait_ready(client)
                assert (await deliver(client, f"{prefix}2"))[1] == 202
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{database}" RESET default_transaction_read_only'))
        admin.dispose()
    check = make_engine(postgres_url)
    assert sorted(stored_keys(check, prefix)) == [f"id:{prefix}1", f"id:{prefix}2"]
    check.dispose()


def _set_writable(db: Path, writable: bool) -> None:
    for path in (db, *db.parent.glob(db.name + "-*")):
        mode = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
        os.chmod(path, mode | stat.S_IWUSR if writable else mode)


@pytest.mark.skipif(not can_obey_permissions(), reason="running as root without setpriv")
async def test_sqlite_read_only_then_writable_heals_with_readyz_following(
    db_url: str, engine: Engine
) -> None:
    db = Path(make_url(db_url).database or "")
    _set_writable(db, False)
    try:
        with spawned_receiver(
            {"DATABASE_URL": db_url, "POSHVIP_WEBHOOK_SECRET": SECRET}, obey_permissions=True
        ) as base:
            async with httpx.AsyncClient(base_url=base, timeout=30) as client:
                assert (await client.get("/healthz")).status_code == 200
                assert (await client.get("/readyz")).status_code == 503
                assert (await deliver(client, "ro_1"))[1] == 503
                _set_writable(db, True)
                await wait_ready(client)
                assert (await deliver(client, "ro_1"))[1] == 202
                assert (await deliver(client, "ro_2"))[1] == 202
    finally:
        _set_writable(db, True)
    assert sorted(stored_keys(engine, "ro_")) == ["id:ro_1", "id:ro_2"]
