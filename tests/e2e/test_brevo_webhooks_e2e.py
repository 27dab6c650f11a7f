"""Brevo's webhooks through the receiver: an unsubscribe keeps the person out of every later push; an
invitation that hard-bounces shows as bounced in the sign-up queue."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from typer.testing import CliRunner

from connectors.brevo import BrevoClient, BrevoSettings
from deployments.cli_queue import app as engarde_app
from flows.audience_sync import audience_sync
from flows.brevo_events import brevo_events
from sandbox.brevo.webhooks import deliver
from sandbox.brevo_twin import BrevoState
from sandbox.framework import RunningSandbox
from store import signups as repo
from store.db import session_scope
from tasks.invitations import InvitationSettings, invite_approved
from tests.e2e.conftest import serve_world
from webhooks.app import create_app
from webhooks.brevo import WEBHOOK_PATH
from webhooks.server import RunningReceiver
from webhooks.settings import ReceiverSettings

AS_OF = datetime.now(UTC).replace(second=0, microsecond=0)
TOKEN = "e2e-brevo-token"


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, database: str) -> Iterator[tuple[RunningSandbox, RunningReceiver]]:
    sandbox = serve_world(monkeypatch, scale=150, seed=4)
    monkeypatch.setenv("BREVO_WEBHOOK_TOKEN", TOKEN)
    settings = ReceiverSettings(database_url=database, receiver_emit_events=False, receiver_insecure_dev=True)
    receiver = RunningReceiver(create_app(settings)).start()
    yield sandbox, receiver
    receiver.stop()
    sandbox.stop()


async def test_an_unsubscribe_webhook_keeps_the_person_out_of_every_later_push(
    world: tuple[RunningSandbox, RunningReceiver],
) -> None:
    sandbox, receiver = world
    brevo: BrevoState = sandbox.ctx.state["brevo"]
    first = await audience_sync(as_of=AS_OF)
    master = first.brevo.list_id
    assert master is not None
    async with BrevoClient(BrevoSettings()) as client:
        await client.ensure_webhooks(receiver.base_url + WEBHOOK_PATH, TOKEN)
    # A booker on the list whose attributes change from one day to the next (their reason ages).
    email = next(
        c["email"]
        for c in brevo.members(master)
        if c["attributes"].get("TOTAL_BOOKINGS") and not c["emailBlacklisted"]
    )
    held = dict(brevo.contacts[email]["attributes"])

    # The person unsubscribes in Brevo; its webhook reaches the receiver and the flow applies it.
    assert await asyncio.to_thread(deliver, brevo.webhooks, "unsubscribed", email, list_ids=[master]) == [
        202,
        202,
    ]
    applied = await brevo_events()
    assert applied.opted_out == 1 and applied.unmapped == 0

    later = await audience_sync(as_of=AS_OF + timedelta(days=3))

    assert later.brevo.updated > 0, "other people's attributes changed: the day moved"
    assert later.brevo.skipped_consent >= 1
    assert brevo.contacts[email]["attributes"] == held, "nothing was sent for the person who opted out"
    sent = [
        row["email"]
        for r in brevo.received
        if r["path"].endswith("/contacts/import")
        for row in r["body"]["jsonBody"]
    ]
    assert sent.count(email) == 1, "imported once, before the unsubscribe, never again"


async def test_an_invitation_that_hard_bounces_shows_bounced_in_the_queue(
    world: tuple[RunningSandbox, RunningReceiver], monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox, receiver = world
    brevo: BrevoState = sandbox.ctx.state["brevo"]
    monkeypatch.setenv("BREVO_SENDER_EMAIL", "hello@engarde.example")
    email = "gone@engarde-bounce.example"
    with session_scope() as session:
        repo.enqueue_signups(
            session, pd.DataFrame([{"email": email, "first_name": "Gone", "total_bookings": 2}])
        )
        repo.decide_signups(session, emails=[email], decision="approved", decided_by="lee", note="ok")
    async with BrevoClient(BrevoSettings()) as client:
        await client.ensure_webhooks(receiver.base_url + WEBHOOK_PATH, TOKEN)
        settings = InvitationSettings(signup_url="https://app.example.org/signup")
        assert (await invite_approved(client, invited_by="lee", settings=settings)).counts == {"sent": 1}
    message_id = brevo.emails_sent[-1]["messageId"]

    # The mailbox does not exist: Brevo tells both webhooks (transactional with the message id).
    delivered = await asyncio.to_thread(deliver, brevo.webhooks, "hardBounce", email, message_id=message_id)
    assert delivered == [202, 202]
    applied = await brevo_events()

    assert applied.invitations == {"bounced": 1} and applied.opted_out == 1 and applied.unmapped == 0
    listed = CliRunner().invoke(engarde_app, ["queue", "list"])
    assert listed.exit_code == 0, listed.output
    line = next(row for row in listed.output.splitlines() if row.startswith(email))
    assert "invitation bounced" in line
