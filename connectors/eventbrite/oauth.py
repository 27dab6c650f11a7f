"""Eventbrite OAuth2 authorization-code flow (no refresh grant exists: the token is long-lived)."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx
from pydantic import SecretStr

from connectors.eventbrite.settings import EventbriteSettings
from connectors.http import AuthenticationError, ClientError, HttpClient, RetryPolicy

PROVIDER = "eventbrite"


def _require_client(settings: EventbriteSettings) -> tuple[str, SecretStr]:
    if not settings.client_id or settings.client_secret is None:
        raise ValueError("EVENTBRITE_CLIENT_ID and EVENTBRITE_CLIENT_SECRET must be set for the OAuth flow")
    return settings.client_id, settings.client_secret


def authorize_url(settings: EventbriteSettings, *, state: str | None = None) -> str:
    """The URL an organizer opens to grant access; Eventbrite redirects back with ``?code=``."""
    client_id, _ = _require_client(settings)
    query = {"response_type": "code", "client_id": client_id, "redirect_uri": settings.redirect_uri}
    if state:
        query["state"] = state
    return f"{settings.oauth_url.rstrip('/')}/authorize?{urlencode(query)}"


async def exchange_code(
    code: str, settings: EventbriteSettings, *, client: httpx.AsyncClient | None = None
) -> SecretStr:
    """Exchange an authorization ``code`` for an access token (``POST {oauth_url}/token``).

    Raises :class:`AuthenticationError` when Eventbrite refuses the code or the app credentials.
    The token is returned as a SecretStr: callers store it, never print it.
    """
    client_id, client_secret = _require_client(settings)
    async with HttpClient(
        PROVIDER,
        settings.oauth_url,
        client=client,
        retry=RetryPolicy(max_attempts=3),
        timeout=settings.timeout,
    ) as http:
        try:
            response = await http.request(
                "POST",
                "/token",
                data={
                    "grant_type": "authorization_code",
                    "client_id": client_id,
                    "client_secret": client_secret.get_secret_value(),
                    "code": code,
                    "redirect_uri": settings.redirect_uri,
                },
            )
        except ClientError as exc:
            raise AuthenticationError(
                f"Eventbrite refused the authorization code ({exc.code or exc.message})",
                provider=PROVIDER,
                method="POST",
                path="/token",
                status=exc.status,
                code=exc.code,
            ) from exc
        body = http.decode(response, "POST", "/token")
    token = body.get("access_token") if isinstance(body, dict) else None
    if not token:
        raise AuthenticationError(
            "the token endpoint answered without an access_token", provider=PROVIDER, path="/token"
        )
    return SecretStr(str(token))
