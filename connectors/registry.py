"""The integration registry: what each outside system is, how to set it up, and how to check it.

Each :class:`Integration` describes one system (category, type, auth method, capabilities,
the settings it needs, rate limits, setup difficulty, pricing model, OAuth scopes, a
step-by-step setup guide) and names, by import path, how to build its client for a
connection check. Connectors are imported only when checked, so a missing or broken one
shows as "not available" instead of breaking the registry.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import os
from collections.abc import Awaitable, Callable, Mapping
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, ValidationError


class Integration(BaseModel):
    """One outside system as the registry describes it."""

    model_config = ConfigDict(frozen=True)

    name: str
    title: str
    category: str
    type: str  # rest_api | webhook | sdk
    auth_method: str
    capabilities: tuple[str, ...]
    #: Alternatives: the integration is configured when every variable of one group is set.
    required_settings: tuple[tuple[str, ...], ...]
    optional_settings: tuple[str, ...] = ()
    rate_limits: str
    setup_difficulty: str  # easy | medium | hard
    pricing_model: str
    regions: str = "global"
    oauth_scopes: tuple[str, ...] = ()
    docs_url: str
    setup_guide: tuple[str, ...]
    #: ``module:attr[.attr]`` of a callable building a client (with a ``test_connection()``) from the environment.
    client_factory: str | None = None
    #: ``module:Class`` of the settings object passed to ``client_factory``; None = call it without arguments.
    settings_class: str | None = None
    #: Why there is nothing to call, when ``client_factory`` is None (a configured check is then ok).
    no_api_note: str | None = None


INTEGRATIONS: tuple[Integration, ...] = (
    Integration(
        name="easyappointments",
        title="EasyAppointments",
        category="scheduling",
        type="rest_api",
        auth_method="api_token (Bearer) or admin basic auth",
        capabilities=(
            "list appointments",
            "list customers",
            "list services",
            "list providers",
            "booking source",
        ),
        required_settings=(
            ("EASYAPPOINTMENTS_URL", "EASYAPPOINTMENTS_API_TOKEN"),
            ("EASYAPPOINTMENTS_URL", "EASYAPPOINTMENTS_ADMIN_USER", "EASYAPPOINTMENTS_ADMIN_PASSWORD"),
        ),
        optional_settings=("EASYAPPOINTMENTS_TIMEZONE", "EASYAPPOINTMENTS_PAGE_LENGTH"),
        rate_limits="100 requests per 120 s per client IP (server default)",
        setup_difficulty="easy",
        pricing_model="open source, self-hosted (free)",
        regions="wherever the instance is hosted",
        docs_url="https://easyappointments.org/docs.html",
        setup_guide=(
            "Sign in to your EasyAppointments instance as an administrator.",
            "Open Settings → API (Integrations → API on newer versions) and create or copy the API token.",
            "Set EASYAPPOINTMENTS_URL to the instance root, e.g. https://book.example.org.",
            "Set EASYAPPOINTMENTS_API_TOKEN to the token (or EASYAPPOINTMENTS_ADMIN_USER and "
            "EASYAPPOINTMENTS_ADMIN_PASSWORD for an admin account).",
            "If the server runs PHP through FastCGI, make sure it passes the Authorization header on "
            "(see the project's docs/rest-api.md).",
            "Set EASYAPPOINTMENTS_TIMEZONE to the instance's default time zone, then run `engarde check`.",
        ),
        client_factory="connectors.easyappointments:EasyAppointmentsClient",
    ),
    Integration(
        name="eventbrite",
        title="Eventbrite",
        category="events and ticketing",
        type="rest_api",
        auth_method="OAuth 2.0 authorization code or private token (Bearer)",
        capabilities=(
            "test connection",
            "list events",
            "get event",
            "create event",
            "event attendees",
            "event orders",
            "event sales summary",
            "sync attendees to the email list",
        ),
        required_settings=(("EVENTBRITE_OAUTH_TOKEN",),),
        optional_settings=(
            "EVENTBRITE_CLIENT_ID",
            "EVENTBRITE_CLIENT_SECRET",
            "EVENTBRITE_ORGANIZATION_ID",
            "EVENTBRITE_API_URL",
        ),
        rate_limits="2,000 calls per hour per token (429 HIT_RATE_LIMIT, no Retry-After)",
        setup_difficulty="medium",
        pricing_model="free API; Eventbrite charges ticket fees",
        oauth_scopes=("no scopes: a token acts with the full rights of the user who granted it",),
        docs_url="https://www.eventbrite.com/platform/api",
        setup_guide=(
            "Go to https://www.eventbrite.com/account-settings/apps and create an API key (app).",
            "Simplest: copy the app's private token and set EVENTBRITE_OAUTH_TOKEN.",
            "To act for another organizer instead, set EVENTBRITE_CLIENT_ID and EVENTBRITE_CLIENT_SECRET, "
            "register the redirect URI and run `engarde eventbrite authorize` to get a token by the OAuth code flow.",
            "Optionally set EVENTBRITE_ORGANIZATION_ID when the user belongs to several organizations.",
            "Mind the limit of 2,000 calls per hour per token, then run `engarde check`.",
        ),
        client_factory="connectors.eventbrite:EventbriteClient.from_settings",
    ),
    Integration(
        name="zoom",
        title="Zoom",
        category="online events",
        type="rest_api",
        auth_method="Server-to-Server OAuth (account credentials)",
        capabilities=(
            "test connection",
            "create meeting",
            "create webinar",
            "list meetings",
            "past meeting participants",
            "webinar registrants",
            "meeting analytics",
            "recordings",
            "sync registrants to the email list",
        ),
        required_settings=(("ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET"),),
        optional_settings=("ZOOM_API_URL", "ZOOM_OAUTH_URL", "ZOOM_USERS", "ZOOM_USER_ID", "ZOOM_PLAN"),
        rate_limits="per account by category: light / medium / heavy / resource-intensive; "
        "e.g. Pro: 30, 20 and 10 requests/s, heavy calls share 30,000 per day",
        setup_difficulty="medium",
        pricing_model="free API; webinars and reports need paid plans",
        oauth_scopes=(
            "meeting:read:admin",
            "meeting:write:admin",
            "webinar:read:admin",
            "webinar:write:admin",
            "report:read:admin",
            "recording:read:admin",
            "user:read:admin",
        ),
        docs_url="https://developers.zoom.us/docs/internal-apps/s2s-oauth/",
        setup_guide=(
            "Sign in to https://marketplace.zoom.us/ as an account admin.",
            "Choose Develop → Build App → Server-to-Server OAuth and name the app.",
            "Copy the Account ID, Client ID and Client Secret from the app's credentials page.",
            "Add the scopes listed above (meetings, webinars, reports, recordings, users).",
            "Activate the app: tokens are refused until it is active.",
            "Set ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET, then run `engarde check`: "
            "it says how many hosts (active users) it reads.",
            "Optionally set ZOOM_USERS to the user ids or emails to read (or `me` for a user-level app).",
        ),
        client_factory="connectors.zoom:ZoomClient.from_settings",
    ),
    Integration(
        name="poshvip",
        title="Posh.VIP",
        category="events and ticketing",
        type="webhook",
        auth_method="HMAC SHA-256 signature with a shared webhook secret",
        capabilities=(
            "purchase.created",
            "purchase.updated",
            "purchase.refunded",
            "ticket.transferred",
            "ticket.checked_in",
            "revenue analytics",
            "contact extraction",
            "email list sync",
        ),
        required_settings=(("POSHVIP_WEBHOOK_SECRET",),),
        optional_settings=("POSHVIP_SIGNATURE_HEADER",),
        rate_limits="none on our side: Posh.VIP pushes events to the receiver",
        setup_difficulty="easy",
        pricing_model="free webhooks; Posh.VIP charges ticket fees",
        docs_url="https://posh.vip",
        setup_guide=(
            "Run the webhook receiver where Posh.VIP can reach it (`engarde webhooks serve`).",
            "In the Posh.VIP dashboard open Settings → Webhooks and add https://<your-domain>/webhooks/poshvip.",
            "Subscribe to purchase.* and ticket.* events.",
            "Copy the webhook secret and set POSHVIP_WEBHOOK_SECRET.",
            "Send a test event from the dashboard and check it appears with `engarde webhooks list`.",
        ),
        no_api_note="Posh.VIP has no pull API; the secret is set and deliveries are verified on receipt",
    ),
    Integration(
        name="brevo",
        title="Brevo",
        category="email marketing",
        type="sdk",
        auth_method="API key (api-key header)",
        capabilities=(
            "contacts import (batched, async)",
            "list membership",
            "contact attributes",
            "blocklist-safe sync",
            "transactional email",
        ),
        required_settings=(("BREVO_API_KEY",),),
        optional_settings=(
            "BREVO_API_URL",
            "BREVO_MASTER_LIST_ID",
            "BREVO_SENDER_EMAIL",
            "BREVO_INVITATION_TEMPLATE_ID",
        ),
        rate_limits="/v3/contacts/*: 10 requests/s and 36,000/h; other endpoints 100/h (general tier)",
        setup_difficulty="easy",
        pricing_model="freemium: free plan with a daily sending cap, paid plans by volume",
        docs_url="https://developers.brevo.com/",
        setup_guide=(
            "Sign in to Brevo and open SMTP & API → API Keys.",
            "Generate a new API key and set BREVO_API_KEY.",
            "Add and verify a sender, then set BREVO_SENDER_EMAIL (used for invitations without a template).",
            "Optionally set BREVO_MASTER_LIST_ID; otherwise the master list is found or created by name.",
            "Optionally create an invitation template and set BREVO_INVITATION_TEMPLATE_ID; "
            "it receives params FIRSTNAME, LINK and EXPIRES.",
            "Run `engarde check`.",
        ),
        client_factory="connectors.brevo:BrevoClient",
        settings_class="connectors.brevo:BrevoSettings",
    ),
    Integration(
        name="claude",
        title="Claude (Anthropic)",
        category="AI insights",
        type="sdk",
        auth_method="API key (x-api-key header)",
        capabilities=(
            "booking insights narration from aggregates",
            "structured output via a forced tool call",
        ),
        required_settings=(("ANTHROPIC_API_KEY",),),
        optional_settings=("ANTHROPIC_BASE_URL", "CLAUDE_MODEL"),
        rate_limits="per organization and model tier (requests, input and output tokens per minute)",
        setup_difficulty="easy",
        pricing_model="pay per token",
        docs_url="https://docs.anthropic.com/",
        setup_guide=(
            "Sign in to https://console.anthropic.com/ and open API Keys.",
            "Create a key for this project and set ANTHROPIC_API_KEY.",
            "Set a monthly spend limit in the console: requests over it fail and are not retried.",
            "Optionally choose the model with CLAUDE_MODEL, then run `engarde check`.",
        ),
        client_factory="connectors.claude:ClaudeClient",
        settings_class="connectors.claude:ClaudeSettings",
    ),
)


def get_integration(name: str) -> Integration:
    """The integration called ``name`` (case-insensitive); KeyError lists the known names."""
    for integration in INTEGRATIONS:
        if integration.name == name.strip().lower():
            return integration
    known = ", ".join(i.name for i in INTEGRATIONS)
    raise KeyError(f"unknown integration {name!r}; known: {known}")


def missing_settings(integration: Integration, env: Mapping[str, str] | None = None) -> list[str]:
    """Variables still to set for the closest alternative; empty when the integration is configured."""
    env = os.environ if env is None else env
    gaps = [[v for v in group if not env.get(v, "").strip()] for group in integration.required_settings]
    return min(gaps, key=len) if gaps else []


class CheckStatus(StrEnum):
    """The outcome of one connection check."""

    OK = "ok"
    NOT_CONFIGURED = "not configured"
    NOT_AVAILABLE = "not available"
    FAILING = "failing"


class CheckResult(BaseModel):
    """One line of ``engarde check``."""

    name: str
    status: CheckStatus
    detail: str = ""

    def line(self) -> str:
        """``name  status  detail`` for a terminal."""
        return f"{self.name:<17} {self.status.value:<15} {self.detail}".rstrip()


@runtime_checkable
class ConnectionTester(Protocol):
    """What a checked client offers: one cheap authenticated call that raises on failure."""

    def test_connection(self) -> Awaitable[object]: ...


def resolve(path: str) -> Any:
    """The object at ``module:attr[.attr...]``; ImportError or AttributeError when it does not exist."""
    module_name, _, attrs = path.partition(":")
    obj: Any = importlib.import_module(module_name)
    for attr in filter(None, attrs.split(".")):
        obj = getattr(obj, attr)
    return obj


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):  # never echo input values: they may be secrets
        fields = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        return f"invalid settings: {fields}"
    text = str(exc).strip() or "no message"
    return f"{type(exc).__name__}: {text}"


async def _close(client: object) -> None:
    for name in ("aclose", "close"):
        closer: Callable[[], Any] | None = getattr(client, name, None)
        if callable(closer):
            result = closer()
            if inspect.isawaitable(result):
                await result
            return


async def check_integration(
    integration: Integration, *, env: Mapping[str, str] | None = None, seconds: float = 30.0
) -> CheckResult:
    """Test one integration's connection: not configured / not available / failing (with why) / ok.

    ``env`` only decides "configured"; clients read their own settings from the process environment.
    ``seconds`` bounds the test call.
    """
    missing = missing_settings(integration, env)
    if missing:
        return CheckResult(
            name=integration.name, status=CheckStatus.NOT_CONFIGURED, detail="set " + ", ".join(missing)
        )
    if integration.client_factory is None:
        return CheckResult(name=integration.name, status=CheckStatus.OK, detail=integration.no_api_note or "")
    try:
        factory = resolve(integration.client_factory)
        settings_cls = resolve(integration.settings_class) if integration.settings_class else None
    except (ImportError, AttributeError) as exc:
        return CheckResult(name=integration.name, status=CheckStatus.NOT_AVAILABLE, detail=_describe(exc))
    try:
        client = factory(settings_cls()) if settings_cls is not None else factory()
    except Exception as exc:
        return CheckResult(name=integration.name, status=CheckStatus.FAILING, detail=_describe(exc))
    try:
        if not isinstance(client, ConnectionTester):
            return CheckResult(
                name=integration.name,
                status=CheckStatus.NOT_AVAILABLE,
                detail=f"{type(client).__name__} has no test_connection()",
            )
        try:
            answer = await asyncio.wait_for(client.test_connection(), seconds)
        except TimeoutError:
            return CheckResult(
                name=integration.name, status=CheckStatus.FAILING, detail=f"no answer within {seconds:g} s"
            )
        except Exception as exc:
            return CheckResult(name=integration.name, status=CheckStatus.FAILING, detail=_describe(exc))
    finally:
        await _close(client)
    # A client may say more than "it works" (Zoom: how many hosts it reads) via ``check_detail``.
    detail = getattr(answer, "check_detail", None)
    return CheckResult(
        name=integration.name,
        status=CheckStatus.OK,
        detail=detail if isinstance(detail, str) and detail else "connection works",
    )


async def check_all(
    integrations: tuple[Integration, ...] = INTEGRATIONS,
    *,
    env: Mapping[str, str] | None = None,
    seconds: float = 30.0,
) -> list[CheckResult]:
    """Check every integration concurrently; results in registry order."""
    return list(await asyncio.gather(*(check_integration(i, env=env, seconds=seconds) for i in integrations)))
