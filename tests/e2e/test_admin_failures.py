"""Failures an admin can fix end ``engarde run`` with one sentence, and the Prefect run says the same.

Each row runs the real CLI (``run_cli(app)``, in this process so the session's Prefect test server
is its API) with stderr captured at the file-descriptor level: the exit code, no traceback, the
sentence naming the variable or the service, and the flow run's state message in the API equal to
it (and its first error log line). One test runs the installed ``engarde`` as a whole process.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from deployments.cli import app
from deployments.cli_errors import run_cli
from sandbox.framework import RunningSandbox

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent


def _api_url() -> str:
    from prefect.settings import PREFECT_API_URL

    return str(PREFECT_API_URL.value())


def engarde(args: list[str], capfd: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run the ``engarde`` CLI in-process; its exit code and stderr."""
    import logging

    capfd.readouterr()
    for handler in logging.getLogger().handlers:  # Prefect's console: to this test's stderr
        if type(handler).__name__ == "PrefectConsoleHandler":
            handler.stream = sys.stderr
            handler.console.file = sys.stderr  # type: ignore[attr-defined]
    argv = sys.argv
    sys.argv = ["engarde", *args]
    try:
        run_cli(app)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.argv = argv
    return code, capfd.readouterr().err


async def _latest_run(flow_name: str) -> tuple[Any, list[Any]]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName, LogFilter, LogFilterFlowRunId
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.logging.handlers import APILogHandler

    await APILogHandler.aflush()
    async with get_client() as client:
        runs = await client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=[flow_name])),
            sort=FlowRunSort.EXPECTED_START_TIME_DESC,
            limit=1,
        )
        logs = await client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[runs[0].id])))
    return runs[0], logs


def latest_run(flow_name: str) -> tuple[Any, list[Any]]:
    """The newest run of ``flow_name`` in the API, and its logs."""
    return asyncio.run(_latest_run(flow_name))


def assert_explained(
    code: int, err: str, expected_code: int, *words: str, flow: str = "audience-sync"
) -> str:
    """One sentence on stderr naming ``words``; the flow run failed with exactly that sentence."""
    assert code == expected_code, err
    assert "Traceback" not in err and "│" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert 1 <= len(lines) <= 2, err
    sentence = lines[-1]
    for word in words:
        assert word in sentence, sentence
    run, logs = latest_run(flow)
    assert run.state.type.value == "FAILED"
    assert run.state.message == sentence
    errors = [log.message for log in sorted(logs, key=lambda x: x.timestamp) if log.level >= 40]
    assert errors and errors[0] == sentence, errors
    assert not any("Traceback" in log.message for log in logs)
    return sentence


@pytest.fixture
def sandbox_env(world: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> RunningSandbox:
    """The sandbox world, its variables set, Prefect's API the session's test server."""
    monkeypatch.setenv("PREFECT_API_URL", _api_url())
    monkeypatch.delenv("ENGARDE_DEBUG", raising=False)
    return world


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unmigrated_database_names_the_command(
    sandbox_env: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: Any
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'never-migrated.db'}")
    code, err = engarde(["run", "audience-sync", "-p", "dry_run=true"], capfd)
    assert_explained(code, err, 2, "never been migrated", "engarde db upgrade")


def test_missing_settings_are_listed_at_once_before_anything_is_extracted(
    sandbox_env: RunningSandbox, monkeypatch: pytest.MonkeyPatch, capfd: Any
) -> None:
    monkeypatch.delenv("BREVO_API_KEY")
    monkeypatch.delenv("ZOOM_CLIENT_SECRET")
    code, err = engarde(["run", "audience-sync", "-p", 'sources=["easyappointments", "zoom"]'], capfd)
    sentence = assert_explained(code, err, 2, "BREVO_API_KEY", "ZOOM_CLIENT_SECRET", "not set")
    # No Secret block exists either: the sentence says which block would supply each secret.
    assert "`brevo-api-key`" in sentence and "`zoom-client-secret`" in sentence
    assert "engarde sandbox" in sentence
    stats = sandbox_env.ctx.stats()
    assert stats["easyappointments"]["requests"] == 0 and stats["zoom"]["requests"] == 0


def test_a_flow_that_does_not_use_zoom_does_not_need_its_settings(
    sandbox_env: RunningSandbox, monkeypatch: pytest.MonkeyPatch, capfd: Any
) -> None:
    monkeypatch.delenv("ZOOM_CLIENT_SECRET")
    code, err = engarde(
        ["run", "audience-sync", "-p", 'sources=["easyappointments"]', "-p", "dry_run=true"], capfd
    )
    assert code == 0, err


def test_unreachable_service_names_it_and_its_url_variable(
    sandbox_env: RunningSandbox, monkeypatch: pytest.MonkeyPatch, capfd: Any
) -> None:
    monkeypatch.setenv("EASYAPPOINTMENTS_URL", f"http://127.0.0.1:{_closed_port()}")
    code, err = engarde(
        ["run", "audience-sync", "-p", 'sources=["easyappointments"]', "-p", "dry_run=true"], capfd
    )
    sentence = assert_explained(code, err, 1, "EasyAppointments", "could not connect", "EASYAPPOINTMENTS_URL")
    assert err.strip() == sentence  # the task's failure line stays in the API, off the terminal


@pytest.mark.parametrize(
    ("variable", "sources", "words"),
    [
        (
            "EASYAPPOINTMENTS_API_TOKEN",
            ["easyappointments"],
            ("EasyAppointments", "EASYAPPOINTMENTS_API_TOKEN"),
        ),
        ("EVENTBRITE_OAUTH_TOKEN", ["eventbrite"], ("Eventbrite", "EVENTBRITE_OAUTH_TOKEN")),
        ("ZOOM_CLIENT_SECRET", ["zoom"], ("Zoom", "ZOOM_CLIENT_SECRET")),
        ("BREVO_API_KEY", ["easyappointments"], ("Brevo", "BREVO_API_KEY")),
    ],
)
def test_wrong_credentials_name_the_service_and_its_variables(
    sandbox_env: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
    capfd: Any,
    variable: str,
    sources: list[str],
    words: tuple[str, ...],
) -> None:
    monkeypatch.setenv(variable, "wrong-credential")
    code, err = engarde(["run", "audience-sync", "-p", f"sources={sources!r}".replace("'", '"')], capfd)
    sentence = assert_explained(code, err, 1, "refused the credentials", *words)
    assert "wrong-credential" not in sentence


def test_parameter_out_of_range_is_the_run_s_message(sandbox_env: RunningSandbox, capfd: Any) -> None:
    code, err = engarde(["run", "audience-sync", "-p", 'sources=["nowhere"]', "-p", "dry_run=true"], capfd)
    assert_explained(code, err, 2, "Invalid parameter", "nowhere")


def test_invalid_parameter_value_is_refused_before_a_run_exists(
    sandbox_env: RunningSandbox, capfd: Any
) -> None:
    before, _ = latest_run("audience-sync")
    code, err = engarde(["run", "audience-sync", "-p", "date_from=2026-13-01"], capfd)
    assert code == 2 and "Traceback" not in err, err
    assert err.strip().startswith("Invalid parameter:") and "date_from" in err, err
    assert len(err.strip().splitlines()) == 1, err
    after, _ = latest_run("audience-sync")
    assert after.id == before.id


def test_unknown_flow_lists_the_known_ones(capfd: Any) -> None:
    code, err = engarde(["run", "audience-snyc"], capfd)
    assert code == 2 and "Traceback" not in err
    assert "audience-sync" in err and "booking-insights" in err


def test_a_bug_keeps_its_traceback() -> None:
    def broken() -> None:
        raise KeyError("a bug")

    with pytest.raises(KeyError):
        run_cli(broken)


def test_debug_shows_the_traceback_of_an_explained_failure(
    sandbox_env: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from store.db import DatabaseNotMigrated

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'never-migrated.db'}")
    monkeypatch.setenv("ENGARDE_DEBUG", "0")  # --debug sets it to 1; restored after the test
    monkeypatch.setattr(sys, "argv", ["engarde", "--debug", "run", "audience-sync", "-p", "dry_run=true"])
    with pytest.raises(DatabaseNotMigrated):
        run_cli(app)


def test_whole_process_missing_setting(sandbox_env: RunningSandbox, tmp_path: Path) -> None:
    env = {**os.environ, "PREFECT_API_URL": _api_url(), "ENGARDE_HOME": str(tmp_path / "home")}
    env.pop("BREVO_API_KEY")
    done = subprocess.run(
        [str(BIN / "engarde"), "run", "audience-sync", "-p", 'sources=["easyappointments"]'],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    sentence = assert_explained(
        done.returncode, done.stderr, 2, "BREVO_API_KEY is not set", "`brevo-api-key`"
    )
    assert done.stderr.strip() == sentence and done.stdout == ""
