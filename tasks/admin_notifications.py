"""Who the admins are: ``ADMIN_NOTIFICATION_EMAILS``, read once for every message sent to them.

Two messages go there: the Posh.VIP events run's digest (tasks/poshvip_digest.py, which also
counts what Brevo's webhooks brought) and the failure alert of any run (the automation
``engarde setup`` creates, deployments/setup_alerts.py). Their subjects tell them apart.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class AdminNotificationSettings(BaseSettings):
    """``ADMIN_NOTIFICATION_EMAILS``: comma-separated admin recipients (optional)."""

    model_config = SettingsConfigDict(extra="ignore")

    admin_notification_emails: str | None = Field(
        default=None,
        description=(
            "comma-separated admins who receive the Posh.VIP events run's digest and every run's failure "
            "alert; unset: neither is emailed"
        ),
    )

    def recipients(self) -> list[str]:
        """The recipients, trimmed, empties dropped."""
        return [e.strip() for e in (self.admin_notification_emails or "").split(",") if e.strip()]
