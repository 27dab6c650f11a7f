"""Settings of the Brevo connector (environment variables ``BREVO_*``)."""

from __future__ import annotations

import hashlib

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Seconds added to the per-second window: the client counts a request when it leaves, Brevo when it
#: arrives, so without a margin network jitter lands an eleventh request in Brevo's second (seen
#: against the real-pace twin: 2 refusals in a 20,000-person sync).
SECOND_MARGIN = 0.1

#: Brevo refuses a ``jsonBody`` above 10 MB; it recommends staying around 8 MB.
IMPORT_BODY_HARD_LIMIT = 10_000_000


class BrevoSettings(BaseSettings):
    """How to reach one Brevo account, and how politely.

    Rate limits (general tier): ``/v3/contacts/*`` allows 10 requests/s and 36,000/h;
    every "unlisted" endpoint, which includes ``/v3/processes`` and ``/v3/account``,
    allows 100/h. Import processes are therefore polled with a growing interval
    (``process_poll_initial`` × ``process_poll_factor`` up to ``process_poll_max``)
    and given up after ``process_poll_timeout`` seconds.
    """

    model_config = SettingsConfigDict(env_prefix="BREVO_", extra="ignore")

    api_key: SecretStr = Field(description="API key (`xkeysib-…`)")
    api_url: str = Field(default="https://api.brevo.com/v3", description="API base URL")
    master_list_id: int | None = Field(
        default=None, description="the master list's id; unset: the list is found or created by name"
    )
    master_list_name: str = Field(
        default="En Garde master list",
        description="name of the master list, used to find or create it when its id is unset",
    )
    folder_name: str = Field(default="En Garde", description="folder holding the lists this project creates")
    import_chunk_max_bytes: int = Field(
        default=8_000_000,
        gt=0,
        le=IMPORT_BODY_HARD_LIMIT,
        description="largest import request body in bytes (Brevo: 10 MB maximum, about 8 MB recommended)",
    )
    process_poll_initial: float = Field(
        default=10.0, gt=0, description="seconds to wait before first polling an import process"
    )
    process_poll_factor: float = Field(
        default=1.5, ge=1.0, description="factor the poll interval grows by after each poll"
    )
    process_poll_max: float = Field(
        default=60.0, gt=0, description="longest wait between two polls, in seconds"
    )
    process_poll_timeout: float = Field(
        default=1800.0, gt=0, description="seconds after which waiting for an import process is given up"
    )
    contacts_per_second: int = Field(
        default=10, ge=1, description="requests per second allowed to `/contacts/*`"
    )
    contacts_per_hour: int = Field(
        default=36_000, ge=1, description="requests per hour allowed to `/contacts/*`"
    )
    unlisted_per_hour: int = Field(
        default=100,
        ge=1,
        description="requests per hour allowed to the other endpoints (`/processes`, `/account`, ...)",
    )
    timeout: float = Field(default=60.0, gt=0, description="seconds per HTTP request")
    sender_email: str | None = Field(
        default=None,
        description="From address of transactional emails; required for emails sent without a Brevo template",
    )
    sender_name: str | None = Field(default="En Garde", description="From name shown with the sender address")

    def budgets(self) -> dict[str, list[tuple[int, float]]]:
        """The client's rate budgets by limiter key (one account: API URL and key, hashed).

        Shared by the client's limiters and ``engarde setup``'s Prefect limits, so both name and
        size them alike: ``/contacts/*`` per second (with :data:`SECOND_MARGIN`) and per hour,
        every other endpoint per hour.
        """
        account = hashlib.sha256(f"{self.api_url}|{self.api_key.get_secret_value()}".encode()).hexdigest()[
            :16
        ]
        return {
            f"brevo-contacts:{account}": [
                (self.contacts_per_second, 1.0 + SECOND_MARGIN),
                (self.contacts_per_hour, 3600.0),
            ],
            f"brevo-unlisted:{account}": [(self.unlisted_per_hour, 3600.0)],
        }
