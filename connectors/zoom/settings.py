"""Zoom settings, read from the environment (the seed's variable names)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

Plan = Literal["free", "pro", "business"]


class ZoomSettings(BaseSettings):
    """Server-to-Server OAuth credentials, where Zoom is, and the account's plan (rate limits)."""

    model_config = SettingsConfigDict(env_prefix="ZOOM_", extra="ignore")

    api_url: str = Field(default="https://api.zoom.us/v2", description="API base URL")
    oauth_url: str = Field(default="https://zoom.us/oauth/token", description="OAuth token endpoint")
    account_id: str | None = Field(
        default=None, description="Server-to-Server OAuth app's account id (required to read Zoom)"
    )
    client_id: str | None = Field(
        default=None, description="Server-to-Server OAuth app's client id (required to read Zoom)"
    )
    client_secret: SecretStr | None = Field(
        default=None, description="Server-to-Server OAuth app's client secret (required to read Zoom)"
    )
    #: The user whose meetings and webinars are read (an id or email; ``me`` for user-level apps).
    user_id: str = Field(
        default="me", description="user whose meetings and webinars are read: a user id or email, or `me`"
    )
    #: Decides the per-category rate budgets (light / medium / heavy).
    plan: Plan = Field(
        default="pro",
        description="account plan (`free`, `pro` or `business`); sets the per-second and daily request "
        "budgets of the light / medium / heavy API categories",
    )
    #: Whether report endpoints are available: None = find out (fall back to past_meetings).
    reports: bool | None = Field(
        default=None,
        description="whether to use the report endpoints for participants: true = always, false = use "
        "`past_meetings`/`past_webinars` instead, unset = try reports and fall back when the plan lacks them",
    )
    page_size: int = Field(
        default=300, description="records per page of list requests (Zoom allows up to 300)"
    )
    timeout: float = Field(default=30.0, description="seconds per HTTP request (connecting: at most 10 s)")
