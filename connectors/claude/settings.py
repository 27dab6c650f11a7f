"""Settings for the Claude connector, read from ``ANTHROPIC_*`` environment variables."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ClaudeSettings(BaseSettings):
    """``ANTHROPIC_API_KEY`` (optional: without it reports use the deterministic narrative),
    ``ANTHROPIC_BASE_URL``, ``ANTHROPIC_MODEL``, ``ANTHROPIC_TIMEOUT`` and the retry bounds."""

    model_config = SettingsConfigDict(env_prefix="ANTHROPIC_", extra="ignore")

    api_key: SecretStr | None = None
    base_url: str | None = None
    model: str = "claude-sonnet-4-5"
    #: seconds for the whole request (the SDK's default is 10 minutes)
    timeout: float = Field(default=60.0, gt=0)
    max_tokens: int = Field(default=4096, gt=0)
    #: attempts in total for 429 (rate limit), 529 (overloaded), 5xx and connection errors
    max_attempts: int = Field(default=3, ge=1, le=10)
    #: first backoff delay when the server sends no Retry-After; doubles per attempt
    retry_base_delay: float = Field(default=0.5, ge=0)
    #: never wait longer than this between attempts, whatever Retry-After says
    retry_max_wait: float = Field(default=30.0, ge=0)

    @property
    def configured(self) -> bool:
        """True when an API key is set."""
        return self.api_key is not None and bool(self.api_key.get_secret_value())
