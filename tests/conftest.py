"""Shared fixtures: databases (SQLite file, PostgreSQL when reachable), the sandbox, Prefect's test harness."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from deployments import runtime

# Prefect reads its settings at import: point it at a throwaway home, no telemetry.
os.environ.setdefault("ENGARDE_HOME", str(Path(".engarde/test").resolve()))
runtime.PROJECT_HOME = Path(os.environ["ENGARDE_HOME"])
for _key, _value in runtime.prefect_defaults().items():
    os.environ.setdefault(_key, _value)
os.environ.pop("PREFECT_API_URL", None)
Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
# The tests' sandboxes run at test speed (loose budgets, imports done by the second poll); the
# default is the real services' pace. A test that wants it passes new_context(fast=False).
os.environ.setdefault("ENGARDE_SANDBOX_FAST", "1")

from sqlalchemy import Engine, create_engine, text  # noqa: E402

from sandbox.framework import RunningSandbox, SandboxContext, new_context  # noqa: E402
from store.db import make_engine  # noqa: E402
from store.migrate import upgrade  # noqa: E402

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")


def _postgres_database(base_url: str) -> Iterator[str]:
    """Create a fresh database on the server at ``base_url`` and drop it afterwards."""
    name = f"engarde_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(
        base_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def require_postgres() -> str:
    """TEST_POSTGRES_URL, or a skip with the reason (a failure in CI, which must provide it)."""
    if not POSTGRES_URL:
        if os.environ.get("CI"):
            pytest.fail("CI must provide TEST_POSTGRES_URL (see .ci/run)")
        pytest.skip(
            "no PostgreSQL server: run scripts/postgres.sh and set TEST_POSTGRES_URL to what it prints"
        )
    return POSTGRES_URL


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this session (skipped with a reason if no server)."""
    gen = _postgres_database(require_postgres())
    url = next(gen)
    eng = make_engine(url)
    upgrade(eng)
    eng.dispose()
    yield url
    gen.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database: once a SQLite file, once PostgreSQL."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'engarde.db'}")
        upgrade(eng)
    else:
        from store.models import Base

        eng = make_engine(request.getfixturevalue("postgres_url"))
        names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with eng.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite file database."""
    eng = make_engine(f"sqlite:///{tmp_path / 'engarde.db'}")
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One Prefect test server for the whole session (about 10 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def sandbox_ctx() -> SandboxContext:
    """A fresh small world (800 appointments) with no faults."""
    return new_context(scale=800, seed=11)


@pytest.fixture
def sandbox(sandbox_ctx: SandboxContext, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningSandbox]:
    """The sandbox served on a loopback port, with the connectors' variables pointing at it."""
    with RunningSandbox(sandbox_ctx) as running:
        for key, value in running.env.items():
            monkeypatch.setenv(key, value)
        yield running
