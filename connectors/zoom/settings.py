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
    #: Whose meetings and webinars the audience reads: None = every active user of the account.
    users: str | None = Field(
        default=None,
        description="whose meetings and webinars are read: unset = every active user of the account "
        "(`GET /users`); `me` = the token's own user (user-level apps); or a comma-separated list of "
        "user ids or emails",
    )
    #: The user the one-user methods act as (create a meeting, list recordings, ...).
    user_id: str = Field(
        default="me",
        description="user that creates meetings and webinars and whose recordings are listed: a user id "
        "or email, or `me` (the audience reads the hosts of `ZOOM_USERS`)",
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

    def host_list(self) -> list[str] | None:
        """``ZOOM_USERS`` as a list (None: every active user of the account)."""
        names = [n.strip() for n in (self.users or "").split(",") if n.strip()]
        return names or None
