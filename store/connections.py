"""Platform connections: stored credentials and settings per outside platform (one row per provider)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import PlatformConnection


def get_connection(session: Session, provider: str) -> PlatformConnection | None:
    """The stored connection of ``provider``, if any."""
    return session.scalar(select(PlatformConnection).where(PlatformConnection.provider == provider))


def save_connection(
    session: Session,
    *,
    provider: str,
    auth_method: str,
    credentials: str | None = None,
    config: dict[str, Any] | None = None,
    status: str = "connected",
    now: datetime | None = None,
) -> PlatformConnection:
    """Create or update ``provider``'s connection; ``config`` is merged into what was stored.

    ``credentials`` is stored as given (None keeps what was stored): pass an encrypted or
    otherwise protected value, never a raw secret you could not afford to leak.
    """
    now = now or datetime.now(UTC)
    row = get_connection(session, provider)
    if row is None:
        row = PlatformConnection(
            provider=provider, auth_method=auth_method, config={}, created_at=now, updated_at=now
        )
        session.add(row)
    row.auth_method = auth_method
    if credentials is not None:
        row.credentials = credentials
    row.config = {**(row.config or {}), **(config or {})}
    row.status, row.updated_at = status, now
    session.flush()
    return row


def brevo_target_cache(session: Session, list_name: str) -> dict[str, Any]:
    """What an earlier run verified in Brevo for the list named ``list_name`` (list id, attribute spec)."""
    row = get_connection(session, "brevo")
    cached = (row.config or {}).get("targets", {}) if row else {}
    return dict(cached.get(list_name, {}))


def remember_brevo_target(
    session: Session, list_name: str, *, list_id: int, attributes: str, replaced: list[int] | None = None
) -> None:
    """Cache the master list id and the attribute spec Brevo now has, so later runs need not check again.

    ``replaced``: ids the list had before it was deleted by hand and created again (their
    unsubscriptions still count).
    """
    row = get_connection(session, "brevo")
    targets = dict((row.config or {}).get("targets", {})) if row else {}
    targets[list_name] = {"list_id": list_id, "attributes": attributes, "replaced": list(replaced or [])}
    save_connection(session, provider="brevo", auth_method="api_key", config={"targets": targets})
