"""Registering this project's webhooks in Brevo (``/webhooks``), idempotently."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from connectors.brevo._base import NO_SDK_RETRIES, BrevoBase

#: What the receiver wants to hear about, per webhook type (Brevo's subscription names).
WANTED_EVENTS: Final[dict[str, tuple[str, ...]]] = {
    "marketing": ("unsubscribed", "hardBounce", "spam", "contactDeleted", "listAddition"),
    "transactional": ("delivered", "softBounce", "hardBounce", "blocked", "invalid", "spam", "unsubscribed"),
}


class WebhooksMixin(BrevoBase):
    """Create or update the marketing and transactional webhooks pointing at the receiver."""

    async def ensure_webhooks(
        self, url: str, token: str, *, wanted: dict[str, tuple[str, ...]] | None = None
    ) -> dict[str, str]:
        """One webhook per type at ``url`` with the wanted events and bearer ``token``.

        Idempotent: an existing webhook of that type and url is left alone when its events
        already match (``unchanged``), updated otherwise (``updated``), created when missing
        (``created``). Returns type -> what was done.
        """
        done: dict[str, str] = {}
        auth: Any = {"type": "bearer", "token": token}
        for kind, events in (wanted or WANTED_EVENTS).items():
            listing = await self._call(
                "GET",
                "/webhooks",
                lambda kind=kind: self.sdk.webhooks.get_webhooks(type=kind),  # type: ignore[misc]
                limiter=self._unlisted_limiter,
            )
            found = next((h for h in listing.webhooks if h.url == url), None)
            if found is None:
                await self._call(
                    "POST",
                    "/webhooks",
                    lambda kind=kind, events=events: self.sdk.webhooks.create_webhook(  # type: ignore[misc]
                        url=url,
                        events=list(events),
                        type=kind,
                        auth=auth,
                        description="En Garde receiver",
                        request_options=NO_SDK_RETRIES,
                    ),
                    idempotent=False,
                    limiter=self._unlisted_limiter,
                )
                done[kind] = "created"
            elif sorted(_names(found.events)) != sorted(events):
                await self._call(
                    "PUT",
                    "/webhooks/{webhookId}",
                    lambda hook=found, events=events: self.sdk.webhooks.update_webhook(  # type: ignore[misc]
                        hook.id, events=list(events), auth=auth, request_options=NO_SDK_RETRIES
                    ),
                    limiter=self._unlisted_limiter,
                )
                done[kind] = "updated"
            else:
                done[kind] = "unchanged"
        return done


def _names(events: Sequence[Any] | None) -> list[str]:
    return [str(getattr(e, "value", e)) for e in events or []]
