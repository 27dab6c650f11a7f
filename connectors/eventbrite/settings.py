"""Eventbrite settings, read from the environment (the seed's variable names)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class EventbriteSettings(BaseSettings):
    """Where Eventbrite is and how to authenticate.

    Either a private token / stored OAuth token (``EVENTBRITE_OAUTH_TOKEN``) or an OAuth2 app
    (``EVENTBRITE_CLIENT_ID`` / ``EVENTBRITE_CLIENT_SECRET``) that obtains one with
    ``engarde eventbrite authorize`` then ``exchange CODE``.
    """

    model_config = SettingsConfigDict(env_prefix="EVENTBRITE_", extra="ignore")

    api_url: str = Field(default="https://www.eventbriteapi.com/v3", description="API base URL")
    oauth_url: str = Field(
        default="https://www.eventbrite.com/oauth",
        description="OAuth base URL (`/authorize` for the consent page, `/token` for the code exchange)",
    )
    oauth_token: SecretStr | None = Field(
        default=None,
        description="private token or OAuth access token; unset: the token stored by "
        "`engarde eventbrite exchange` is used, if any",
    )
    client_id: str | None = Field(
        default=None,
        description="OAuth app's client id (its API key); only needed to obtain a token with "
        "`engarde eventbrite authorize` / `exchange`",
    )
    client_secret: SecretStr | None = Field(
        default=None, description="OAuth app's client secret; only needed with the client id"
    )
    redirect_uri: str = Field(
        default="http://localhost:8765/eventbrite/callback",
        description="where Eventbrite sends the authorization code; must match the app's registered redirect URI",
    )
    #: The organization to read; the first of the user's organizations when unset.
    organization_id: str | None = Field(
        default=None, description="organization whose events are read; unset: the user's first organization"
    )
    #: Eventbrite's budget: 2,000 calls per hour per token, shared by every client and run.
    calls_per_hour: int = Field(
        default=2000,
        description="API calls allowed per hour within one process (Eventbrite: 2,000 per token)",
    )
    #: A HIT_RATE_LIMIT 429 carries no Retry-After: wait by this window (seconds).
    rate_limit_window: float = Field(
        default=3600.0,
        description="seconds of Eventbrite's rate-limit window; waits after a 429 without Retry-After "
        "grow from an eighth of it to all of it",
    )
    timeout: float = Field(default=30.0, description="seconds per HTTP request")
