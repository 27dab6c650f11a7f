"""Eventbrite settings, read from the environment (the seed's variable names)."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class EventbriteSettings(BaseSettings):
    """Where Eventbrite is and how to authenticate.

    Either a private token / stored OAuth token (``EVENTBRITE_OAUTH_TOKEN``) or an OAuth2 app
    (``EVENTBRITE_CLIENT_ID`` / ``EVENTBRITE_CLIENT_SECRET``) that obtains one with
    ``engarde eventbrite authorize`` then ``exchange CODE``.
    """

    model_config = SettingsConfigDict(env_prefix="EVENTBRITE_", extra="ignore")

    api_url: str = "https://www.eventbriteapi.com/v3"
    oauth_url: str = "https://www.eventbrite.com/oauth"
    oauth_token: SecretStr | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    redirect_uri: str = "http://localhost:8765/eventbrite/callback"
    #: The organization to read; the first of the user's organizations when unset.
    organization_id: str | None = None
    #: Eventbrite's budget: 2,000 calls per hour per token, shared by every client and run.
    calls_per_hour: int = 2000
    #: A HIT_RATE_LIMIT 429 carries no Retry-After: wait by this window (seconds).
    rate_limit_window: float = 3600.0
    timeout: float = 30.0
