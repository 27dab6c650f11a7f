"""Zoom settings, read from the environment (the seed's variable names)."""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

Plan = Literal["free", "pro", "business"]


class ZoomSettings(BaseSettings):
    """Server-to-Server OAuth credentials, where Zoom is, and the account's plan (rate limits)."""

    model_config = SettingsConfigDict(env_prefix="ZOOM_", extra="ignore")

    api_url: str = "https://api.zoom.us/v2"
    oauth_url: str = "https://zoom.us/oauth/token"
    account_id: str | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    #: The user whose meetings and webinars are read (an id or email; ``me`` for user-level apps).
    user_id: str = "me"
    #: Decides the per-category rate budgets (light / medium / heavy).
    plan: Plan = "pro"
    #: Whether report endpoints are available: None = find out (fall back to past_meetings).
    reports: bool | None = None
    page_size: int = 300
    timeout: float = 30.0
