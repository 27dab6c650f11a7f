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

    poshvip_webhook_secret: SecretStr | None = None
    #: Header carrying the HMAC (hex or base64, optional ``sha256=`` prefix).
    poshvip_signature_header: str = "X-Posh-Signature"
    #: When set, deliveries must carry this header (unix seconds or ISO time) within the tolerance.
    poshvip_timestamp_header: str | None = None
    poshvip_timestamp_tolerance: float = Field(default=300.0, gt=0)
    #: When true the signed content is ``"{timestamp}.{body}"`` (replays with a new timestamp fail).
    poshvip_sign_timestamp: bool = False
    #: Optional unguessable path segment: ``/api/webhooks/poshvip/<token>``.
    poshvip_path_token: SecretStr | None = None
    receiver_max_body_bytes: int = Field(default=ONE_MIB, gt=0)
    #: Accept deliveries without a secret (development only; logged loudly at start).
    receiver_insecure_dev: bool = False
    #: Emit ``poshvip.webhook.received`` Prefect events (coalesced, at most one per interval).
    receiver_emit_events: bool = True
    receiver_emit_interval: float = Field(default=1.0, gt=0)
    #: Longest a write may wait for a database lock / statement before the receiver answers 503.
    receiver_write_timeout: float = Field(default=2.0, gt=0)
    receiver_max_batch: int = Field(default=256, gt=0)
    database_url: str | None = None
