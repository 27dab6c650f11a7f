"""The Brevo-webhooks step of ``engarde setup``: Brevo tells the receiver about consent and bounces.

Brevo posts unsubscribes, hard bounces, spam complaints and deleted contacts (marketing) and the
invitation emails' delivery events (transactional) to ``BREVO_WEBHOOK_URL`` with the bearer token
``BREVO_WEBHOOK_TOKEN``, which the receiver requires (webhooks/brevo.py). Registration goes through
``POST /v3/webhooks`` (connectors.brevo ``ensure_webhooks``): a webhook already right is left alone,
one with other events is updated, a missing one is created, so the step is safe on every deploy.
Without a Brevo key, token or URL the step says what to set and is skipped.
"""

from __future__ import annotations

import os

from deployments.cli_setup import Outcome

WHAT = "Brevo webhooks"


async def ensure_brevo_webhooks() -> Outcome:
    """Brevo's marketing and transactional webhooks post to the receiver (created / changed / ok)."""
    from connectors.brevo import BrevoClient, BrevoSettings
    from webhooks.brevo import BrevoWebhookSettings

    settings = BrevoWebhookSettings()
    if not (os.environ.get("BREVO_API_KEY") and settings.brevo_webhook_token and settings.brevo_webhook_url):
        return Outcome(WHAT, "skipped", "set BREVO_API_KEY, BREVO_WEBHOOK_TOKEN and BREVO_WEBHOOK_URL")
    url = settings.brevo_webhook_url
    async with BrevoClient(BrevoSettings()) as brevo:
        done = await brevo.ensure_webhooks(url, settings.brevo_webhook_token.get_secret_value())
    action = "created" if "created" in done.values() else "changed" if "updated" in done.values() else "ok"
    kinds = ", ".join(f"{kind} {what}" for kind, what in sorted(done.items()))
    return Outcome(WHAT, action, f"{url}: {kinds}")
