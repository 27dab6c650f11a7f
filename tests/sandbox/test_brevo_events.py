"""``engarde sandbox brevo-event``: the twin changes the contact, then delivers one event in Brevo's shape."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx
import pytest
from typer.testing import CliRunner

from deployments.cli_sandbox import app
from sandbox.brevo_twin import API_KEY, BrevoState
from sandbox.framework import RunningSandbox, new_context

runner = CliRunner()


class Inbox(BaseHTTPRequestHandler):
    """Keeps every POST it receives (body and Authorization header), answers 202."""

    received: ClassVar[list[tuple[str, Any]]] = []

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers["content-length"]))
        self.received.append((self.headers.get("authorization", ""), json.loads(raw)))
        self.send_response(202)
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def inbox() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Inbox)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Inbox.received.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks/brevo"
    server.shutdown()
    server.server_close()


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningSandbox]:
    with RunningSandbox(new_context(scale=60, seed=6)) as running:
        monkeypatch.setenv("ENGARDE_SANDBOX_URL", running.env["ENGARDE_SANDBOX_URL"])
        yield running


def test_unsubscribe_blocklists_then_reaches_the_webhook(sandbox: RunningSandbox, inbox: str) -> None:
    state: BrevoState = sandbox.ctx.state["brevo"]
    hook = {
        "url": inbox,
        "events": ["unsubscribed"],
        "type": "marketing",
        "auth": {"type": "bearer", "token": "t"},
    }
    with httpx.Client(base_url=sandbox.env["BREVO_API_URL"], headers={"api-key": API_KEY}) as http:
        assert http.post("/webhooks", json=hook).status_code == 201
    email = next(e for e, c in state.contacts.items() if not c["emailBlacklisted"])

    result = runner.invoke(app, ["brevo-event", "--kind", "unsubscribed", "--email", email.upper()])

    assert result.exit_code == 0, result.output
    assert "delivered to 1 webhook(s)" in result.output
    assert state.contacts[email]["emailBlacklisted"] is True
    [(auth, payload)] = Inbox.received
    assert auth == "Bearer t"
    assert payload["event"] == "unsubscribe" and payload["email"] == email  # Brevo's delivered name
    assert payload["list_id"] == [state.master_list_id] and isinstance(payload["ts_event"], int)


def test_contact_deleted_and_unknown_kinds(sandbox: RunningSandbox) -> None:
    state: BrevoState = sandbox.ctx.state["brevo"]
    email = next(iter(state.contacts))
    result = runner.invoke(app, ["brevo-event", "--kind", "contactDeleted", "--email", email])
    assert result.exit_code == 0, result.output
    assert email not in state.contacts and email not in state.deleted
    assert "delivered to 0 webhook(s)" in result.output
    refused = runner.invoke(app, ["brevo-event", "--kind", "resubscribed", "--email", email])
    assert refused.exit_code == 2 and "kind must be one of" in refused.output
