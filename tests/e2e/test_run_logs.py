"""A run started with ``engarde run`` sends its INFO lines to the Prefect API; the terminal stays quiet.

The installed ``engarde`` runs as a whole process against the session's Prefect server (a real
server in a subprocess) and the sandbox, with the environment a user has: no logging variables.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.framework import RunningSandbox
from tests.e2e.test_admin_failures import latest_run

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent


def test_engarde_run_logs_info_lines_to_the_api_not_the_terminal(
    world: RunningSandbox, tmp_path: Path
) -> None:
    from prefect.settings import PREFECT_API_URL

    env = {
        **os.environ,
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        "ENGARDE_HOME": str(tmp_path / "home"),
    }
    for name in list(env):
        if name.startswith("PREFECT_LOGGING"):
            env.pop(name)
    done = subprocess.run(
        [
            str(BIN / "engarde"),
            "run",
            "audience-sync",
            "-p",
            'sources=["easyappointments"]',
            "-p",
            "dry_run=true",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "INFO" not in done.stderr, done.stderr[-3000:]
    run, logs = latest_run("audience-sync")
    assert run.state.type.value == "COMPLETED"
    info = [log.message for log in logs if log.level == 20]
    assert any(m.startswith("Beginning flow run") for m in info), info
    # The project's own INFO lines, from the flow and from its tasks.
    assert any("EasyAppointments" in m and "bookings from" in m for m in info), info
    assert any("audience-sync (dry run)" in m for m in info), info
