"""Credentials at rest: encrypted in the table, plain to the code, old plain rows migrated."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select, text

from store.db import session_scope
from store.encryption import CredentialsKeyError, encrypt_plain_rows
from store.models import PlatformConnection

TOKEN = "EVENTBRITE-PRIVATE-TOKEN-123"


def _stored(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(text("SELECT credentials FROM platform_connections")).scalar_one())


def test_token_is_encrypted_at_rest_and_read_back_plain(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENGARDE_SECRET_KEY", "one key for every worker")
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        session.add(
            PlatformConnection(
                provider="eventbrite",
                auth_method="oauth2",
                credentials=TOKEN,
                config={},
                created_at=now,
                updated_at=now,
            )
        )
    assert TOKEN not in _stored(engine) and _stored(engine).startswith("fernet:")
    with session_scope(engine) as session:
        assert session.scalar(select(PlatformConnection.credentials)) == TOKEN
    monkeypatch.setenv("ENGARDE_SECRET_KEY", "another key")
    with pytest.raises(CredentialsKeyError, match="ENGARDE_SECRET_KEY"), session_scope(engine) as session:
        session.scalar(select(PlatformConnection.credentials))


def test_plain_rows_written_before_are_migrated(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENGARDE_SECRET_KEY", "k")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO platform_connections (provider, auth_method, credentials, config, status, "
                "created_at, updated_at) VALUES ('eventbrite', 'oauth2', :t, '{}', 'connected', :n, :n)"
            ),
            {"t": TOKEN, "n": datetime.now(UTC).replace(tzinfo=None)},
        )
    with session_scope(engine) as session:
        assert session.scalar(select(PlatformConnection.credentials)) == TOKEN, "old rows still read"
    assert encrypt_plain_rows(engine) == 1
    assert encrypt_plain_rows(engine) == 0
    assert TOKEN not in _stored(engine)
    with session_scope(engine) as session:
        assert session.scalar(select(PlatformConnection.credentials)) == TOKEN
