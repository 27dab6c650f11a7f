"""Settings of the EasyAppointments connector (environment variables ``EASYAPPOINTMENTS_*``)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Where the REST API lives below the instance's root URL.
API_PATH = "/index.php/api/v1"


class EasyAppointmentsSettings(BaseSettings):
    """How to reach one EasyAppointments instance.

    ``url`` is the instance root (``https://book.example.org``); the connector appends
    ``/index.php/api/v1`` unless the URL already ends with ``/api/v1``. Authenticate with
    the API token (Settings → API) or, as the server also allows, an admin user's
    username and password (HTTP basic). Datetimes in this API carry no zone: they are
    read as local times in ``timezone`` (the instance's ``default_timezone``) and
    converted to UTC by the connector.

    The real server allows 100 requests per 120 s per client IP by default, so the
    request budget defaults to exactly that, and pages are large (``page_length``).
    """

    model_config = SettingsConfigDict(env_prefix="EASYAPPOINTMENTS_", extra="ignore")

    url: str = Field(
        description="instance root URL; `/index.php/api/v1` is appended unless it already ends with `/api/v1`"
    )
    api_token: SecretStr | None = Field(
        default=None,
        description="API token (Settings → API); needed unless the admin user and password are set",
    )
    admin_user: str | None = Field(
        default=None, description="admin username for HTTP basic auth, alternative to the token"
    )
    admin_password: SecretStr | None = Field(
        default=None, description="admin password, used with the admin username"
    )
    timezone: str = Field(
        default="UTC",
        description="IANA time zone of the instance's zone-less datetimes (its `default_timezone`); they are converted to UTC",
    )
    page_length: int = Field(
        default=1000, ge=1, description="records per page of a list request (the API's `length` parameter)"
    )
    history_page_length: int = Field(
        default=20_000,
        ge=1,
        description="records per request when booking insights read a whole booking history (few, large pages: "
        "the rate limit, not the server, is what costs)",
    )
    rate_limit_requests: int = Field(
        default=100,
        ge=1,
        description="requests allowed per rate-limit window (the server's default: 100 per 120 s per IP)",
    )
    rate_limit_seconds: float = Field(default=120.0, gt=0, description="the rate-limit window in seconds")
    timeout: float = Field(default=30.0, gt=0, description="seconds per HTTP request")
    max_span_days: int = Field(
        default=1,
        ge=0,
        description="longest appointment span in days past midnight; widens `till` so such appointments stay in",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _some_credentials(self) -> EasyAppointmentsSettings:
        if self.api_token is None and not (self.admin_user and self.admin_password):
            raise ValueError(
                "set EASYAPPOINTMENTS_API_TOKEN, or EASYAPPOINTMENTS_ADMIN_USER and "
                "EASYAPPOINTMENTS_ADMIN_PASSWORD"
            )
        return self

    @property
    def zone(self) -> ZoneInfo:
        """The instance's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def api_url(self) -> str:
        """The REST API's base URL."""
        root = self.url.rstrip("/")
        if root.endswith("/api/v1"):
            return root
        return root + API_PATH
