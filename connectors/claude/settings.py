"""Settings for the Claude connector, read from ``ANTHROPIC_*`` environment variables."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ClaudeSettings(BaseSettings):
    """``ANTHROPIC_API_KEY`` (optional: without it reports use the deterministic narrative),
    ``ANTHROPIC_BASE_URL``, ``ANTHROPIC_MODEL``, ``ANTHROPIC_TIMEOUT`` and the retry bounds."""

    model_config = SettingsConfigDict(env_prefix="ANTHROPIC_", extra="ignore")

    api_key: SecretStr | None = Field(
        default=None,
        description="Anthropic API key; unset: insights reports use the deterministic narrative instead of Claude",
    )
    base_url: str | None = Field(default=None, description="API base URL; unset: the SDK's default")
    model: str = Field(
        default="claude-sonnet-4-5", description="Claude model that writes the insights narrative"
    )
    #: seconds for the whole request (the SDK's default is 10 minutes)
    timeout: float = Field(default=60.0, gt=0, description="seconds for one whole request")
    max_tokens: int = Field(
        default=4096,
        gt=0,
        description="most tokens Claude may write in one reply (a longer reply is an error)",
    )
    #: attempts in total for 429 (rate limit), 529 (overloaded), 5xx and connection errors
    max_attempts: int = Field(
        default=3,
        ge=1,
        le=10,
        description="attempts in total (1 to 10) for rate limits (429), overload (529), 5xx and connection errors",
    )
    #: first backoff delay when the server sends no Retry-After; doubles per attempt
    retry_base_delay: float = Field(
        default=0.5,
        ge=0,
        description="seconds of the first backoff when the server sends no Retry-After; doubles per attempt",
    )
    #: never wait longer than this between attempts, whatever Retry-After says
    retry_max_wait: float = Field(
        default=30.0, ge=0, description="longest wait between attempts in seconds, whatever Retry-After says"
    )

    @property
    def configured(self) -> bool:
        """True when an API key is set."""
        return self.api_key is not None and bool(self.api_key.get_secret_value())
