"""The failure alert ``engarde setup`` installs: one email per failed or crashed engarde run.

A Prefect automation reacts to each ``prefect.flow-run.Failed`` / ``Crashed`` event of the
project's flows and calls a Webhook block pointed at Brevo's transactional email endpoint
(``POST /smtp/email``) with a templated body: flow, deployment, parameters, the error's first line
and the run's UI link, to ``ADMIN_NOTIFICATION_EMAILS``. The server sends it, so it works for any
worker and needs no flow of its own; a successful run emits neither event and sends nothing.
The Brevo key sits in the block's secret headers, never in the automation.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from deployments.flows_index import FLOWS

NAME = "engarde-failure-alert"

BODY = (
    "{% set text %}"
    "The run {{ flow_run.name }} of flow {{ flow.name }} ended {{ flow_run.state.name }}.\n"
    "Deployment: {{ deployment.name if deployment else '(none)' }}\n"
    "Parameters: {{ flow_run.parameters | tojson }}\n"
    "Error: {{ (flow_run.state.message or 'no message').split('\\n')[0] }}\n"
    "Run: {{ flow_run | ui_url }}\n"
    "{% endset %}"
)


def alert_payload(recipients: list[str], sender_email: str, sender_name: str) -> str:
    """The Jinja template of the Brevo ``/smtp/email`` body (JSON once rendered)."""
    fixed = {
        "sender": {"email": sender_email, "name": sender_name},
        "to": [{"email": r} for r in recipients],
    }
    head = json.dumps(fixed)[:-1]
    subject = '{{ ("engarde: " ~ flow.name ~ " run " ~ flow_run.name ~ " " ~ flow_run.state.name) | tojson }}'
    return f'{BODY}{head}, "subject": {subject}, "textContent": {{{{ text | tojson }}}}}}'


async def ensure_failure_automation(client: Any) -> Any:  # noqa: ARG001 (one signature for every setup step)
    """Create or update the webhook block and the automation; an Outcome says which."""
    from prefect.automations import Automation, CallWebhook, EventTrigger, Posture
    from prefect.blocks.webhook import Webhook

    from connectors.brevo import BrevoSettings
    from deployments.cli_setup import Outcome
    from tasks.admin_notifications import AdminNotificationSettings

    recipients = AdminNotificationSettings().recipients()
    if not recipients or not os.environ.get("BREVO_API_KEY"):
        return Outcome(f"automation {NAME}", "skipped", "set ADMIN_NOTIFICATION_EMAILS and BREVO_API_KEY")
    brevo = BrevoSettings()
    if not brevo.sender_email:
        return Outcome(f"automation {NAME}", "skipped", "set BREVO_SENDER_EMAIL (the alert's From)")
    block = Webhook(
        method="POST",
        url=f"{brevo.api_url.rstrip('/')}/smtp/email",
        headers={
            "api-key": brevo.api_key.get_secret_value(),
            "content-type": "application/json",
            "accept": "application/json",
        },
        allow_private_urls=True,
    )
    block_id = await block.save(NAME, overwrite=True)
    payload = alert_payload(recipients, brevo.sender_email, brevo.sender_name or "En Garde")
    fingerprint = hashlib.sha256(f"{payload}|{block_id}".encode()).hexdigest()[:12]
    description = f"email {', '.join(recipients)} when an engarde run fails or crashes [{fingerprint}]"
    try:
        existing: Automation | None = await Automation.aread(name=NAME)
    except ValueError:
        existing = None
    if existing is not None and existing.description == description:
        return Outcome(f"automation {NAME}", "ok", description)
    automation = Automation(
        name=NAME,
        description=description,
        trigger=EventTrigger(
            expect={"prefect.flow-run.Failed", "prefect.flow-run.Crashed"},
            match={"prefect.resource.id": "prefect.flow-run.*"},
            match_related={"prefect.resource.role": "flow", "prefect.resource.name": sorted(FLOWS)},
            posture=Posture.Reactive,
            threshold=1,
        ),
        actions=[CallWebhook(block_document_id=block_id, payload=payload)],
    )
    if existing is not None:
        await existing.adelete()
    await automation.acreate()
    return Outcome(f"automation {NAME}", "changed" if existing else "created", description)
