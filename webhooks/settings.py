"""Receiver settings (pydantic-settings; built by the caller, never at import time)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

ONE_MIB = 1024 * 1024


class ReceiverSettings(BaseSettings):
    """Environment variables of ``engarde receiver`` (names are the field names, upper-cased).

    ``POSHVIP_WEBHOOK_SECRET`` is required unless ``RECEIVER_INSECURE_DEV`` is set.
    ``DATABASE_URL`` falls back to :class:`store.db.DatabaseSettings`' default.
    """

    model_config = SettingsConfigDict(extra="ignore")

    poshvip_webhook_secret: SecretStr | None = Field(
        default=None,
        description="shared secret Posh.VIP signs deliveries with (HMAC-SHA256); required unless "
        "RECEIVER_INSECURE_DEV is set",
    )
    #: Header carrying the HMAC (hex or base64, optional ``sha256=`` prefix).
    poshvip_signature_header: str = Field(
        default="X-Posh-Signature",
        description="header carrying the signature (hex or base64, optional `sha256=` prefix)",
    )
    #: When set, deliveries must carry this header (unix seconds or ISO time) within the tolerance.
    poshvip_timestamp_header: str | None = Field(
        default=None,
        description="header with the delivery's time (unix seconds or ISO 8601); when set, deliveries "
        "without it or outside the tolerance are refused; unset: no timestamp check",
    )
    poshvip_timestamp_tolerance: float = Field(
        default=300.0, gt=0, description="largest accepted age of a delivery's timestamp, in seconds"
    )
    #: When true the signed content is ``"{timestamp}.{body}"`` (replays with a new timestamp fail).
    poshvip_sign_timestamp: bool = Field(
        default=False,
        description="whether the signature covers `{timestamp}.{body}` instead of the body alone",
    )
    #: Optional unguessable path segment: ``/api/webhooks/poshvip/<token>``.
    poshvip_path_token: SecretStr | None = Field(
        default=None,
        description="unguessable path segment deliveries must use (`/api/webhooks/poshvip/<token>`); "
        "unset: the plain path",
    )
    receiver_max_body_bytes: int = Field(
        default=ONE_MIB, gt=0, description="largest accepted delivery body in bytes (larger ones get 413)"
    )
    #: Accept deliveries without a secret (development only; logged loudly at start).
    receiver_insecure_dev: bool = Field(
        default=False,
        description="accept unsigned deliveries when no secret is set (local development only; "
        "logged as a warning at start)",
    )
    #: Emit ``poshvip.webhook.received`` Prefect events (coalesced, at most one per interval).
    receiver_emit_events: bool = Field(
        default=True,
        description="whether to emit `poshvip.webhook.received` Prefect events for stored deliveries "
        "(only when a Prefect API is configured)",
    )
    receiver_emit_interval: float = Field(
        default=1.0, gt=0, description="seconds between two coalesced Prefect events, at least"
    )
    #: Longest a write may wait for a database lock / statement before the receiver answers 503.
    receiver_write_timeout: float = Field(
        default=2.0,
        gt=0,
        description="seconds a delivery may wait for its row to be committed before the receiver answers "
        "503 with Retry-After (whatever the database does: slow, frozen, gone, read-only)",
    )
    receiver_body_timeout: float = Field(
        default=10.0,
        gt=0,
        description="seconds a delivery's body may take to arrive once its headers are in; a slower "
        "(stalled) one gets 408 and nothing is stored",
    )
    receiver_max_batch: int = Field(
        default=256, gt=0, description="most deliveries written in one database transaction"
    )
    database_url: str | None = Field(
        default=None, description="database the receiver stores deliveries in; unset: the project database"
    )
