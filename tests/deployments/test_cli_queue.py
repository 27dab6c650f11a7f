"""`engarde queue ...`, `engarde integrations` and `engarde check` through Typer's test runner."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from connectors.registry import INTEGRATIONS
from deployments.cli_queue import app
from sandbox.framework import RunningSandbox
from store import signups as repo
from store.db import make_engine, session_scope
from store.migrate import upgrade

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    engine = make_engine(url)
    upgrade(engine)
    people = pd.DataFrame(
        [
            {"email": "ana@x.org", "first_name": "Ana", "total_bookings": 3, "services_used": '["Sabre"]'},
            {"email": "bo@x.org", "first_name": "Bo", "total_bookings": 1, "services_used": '["Epee"]'},
            {"email": "cy@x.org", "first_name": "Cy", "total_bookings": 2, "services_used": None},
        ]
    )
    with session_scope(engine) as s:
        repo.enqueue_signups(s, people)
    engine.dispose()
    yield url


def rows(status: str | None = None) -> list[dict[str, object]]:
    args = ["queue", "list", "--json", *(["--status", status] if status else [])]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


def test_list_approve_reject_with_who_and_why(db: str) -> None:
    assert [r["email"] for r in rows("pending")] == ["ana@x.org", "bo@x.org", "cy@x.org"]
    assert rows()[0]["services_used"] == ["Sabre"]

    out = runner.invoke(
        app,
        ["queue", "approve", "ana@x.org", "nobody@x.org", "--note", "regular", "--by", "lee", "--no-invite"],
    )
    assert (
        out.exit_code == 0 and "approved: 1" in out.output and "nobody@x.org: not in the queue" in out.output
    )
    out = runner.invoke(app, ["queue", "reject", "--all", "--note", "no bookings this year", "--by", "kim"])
    assert out.exit_code == 0 and "rejected: 2" in out.output
    out = runner.invoke(app, ["queue", "reject", "ana@x.org", "--by", "kim"])
    assert "already approved" in out.output

    by_email = {r["email"]: r for r in rows()}
    assert (
        by_email["ana@x.org"]["status"],
        by_email["ana@x.org"]["decided_by"],
        by_email["ana@x.org"]["note"],
    ) == ("approved", "lee", "regular")
    assert by_email["cy@x.org"]["status"] == "rejected" and by_email["cy@x.org"]["decided_at"]
    text = runner.invoke(app, ["queue", "list", "--status", "rejected"]).output
    assert "bo@x.org" in text and "by kim" in text and "2 entries" in text


def test_bad_usage_is_refused(db: str) -> None:
    assert runner.invoke(app, ["queue", "approve", "--no-invite"]).exit_code != 0
    assert runner.invoke(app, ["queue", "reject", "ana@x.org", "--all"]).exit_code != 0
    assert runner.invoke(app, ["queue", "list", "--status", "maybe"]).exit_code != 0
    assert rows("pending") and len(rows("pending")) == 3


def test_unmigrated_database_says_how_to_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    result = runner.invoke(app, ["queue", "list"])
    assert result.exit_code != 0 and "engarde db upgrade" in str(result.exception)


def test_integrations_list_and_guide() -> None:
    out = runner.invoke(app, ["integrations"])
    assert out.exit_code == 0
    assert [line.split()[0] for line in out.output.splitlines()[: len(INTEGRATIONS)]] == [
        i.name for i in INTEGRATIONS
    ]
    guide = runner.invoke(app, ["integrations", "show", "zoom"])
    assert guide.exit_code == 0 and "Server-to-Server OAuth" in guide.output and "  1. " in guide.output
    assert "meeting:read:admin" in guide.output
    assert runner.invoke(app, ["integrations", "show", "myspace"]).exit_code != 0


def test_check_with_nothing_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    for i in INTEGRATIONS:
        for group in i.required_settings:
            for var in group:
                monkeypatch.delenv(var, raising=False)
    out = runner.invoke(app, ["check"])
    assert out.exit_code == 0
    lines = out.output.strip().splitlines()
    assert len(lines) == len(INTEGRATIONS) and all("not configured" in line for line in lines)
    assert "set ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET" in out.output


def test_approve_sends_invitations_through_brevo(
    db: str, sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BREVO_SENDER_EMAIL", "hello@engarde.example")
    out = runner.invoke(app, ["queue", "approve", "ana@x.org", "bo@x.org", "--by", "lee", "--note", "ok"])
    assert out.exit_code == 0, out.output
    assert "invitations: sent 2" in out.output
    twin = sandbox.ctx.state["brevo"]
    assert sorted(t["email"] for e in twin.emails_sent for t in e["to"]) == ["ana@x.org", "bo@x.org"]
    assert {r["email"]: r["invitation"] for r in rows("invited")} == {"ana@x.org": "sent", "bo@x.org": "sent"}
    again = runner.invoke(app, ["queue", "invite"])
    assert "none to send" in again.output and len(twin.emails_sent) == 2


def test_check_against_the_sandbox_names_the_wrong_credential(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSHVIP_WEBHOOK_SECRET", "s")
    ok = runner.invoke(app, ["check", "--json"])
    by_name = {r["name"]: r for r in json.loads(ok.output)}
    assert ok.exit_code == 0, ok.output
    assert by_name["brevo"]["status"] == "ok" and by_name["poshvip"]["status"] == "ok"
    assert all(r["status"] in ("ok", "not available") for r in by_name.values()), ok.output
    monkeypatch.setenv("BREVO_API_KEY", "xkeysib-wrong")
    bad = runner.invoke(app, ["check"])
    assert bad.exit_code == 1
    failing = [line for line in bad.output.splitlines() if "failing" in line]
    assert len(failing) == 1 and failing[0].startswith("brevo") and "401" in failing[0]
    assert "xkeysib-wrong" not in bad.output
