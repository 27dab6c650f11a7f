"""``engarde appointments``: a whole listing (the server's JSON, no models) shows the same rows as
a typed page, in the instance's time zone."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deployments.cli import app
from deployments.cli_appointments import COLUMNS
from sandbox.framework import RunningSandbox

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
WINDOW = ["--from", "2000-01-01", "--till", "2100-12-31"]


def _csv(args: list[str]) -> list[dict[str, str]]:
    out = runner.invoke(app, ["appointments", *WINDOW, "--format", "csv", *args])
    assert out.exit_code == 0, out.output
    return list(csv.DictReader(io.StringIO(out.stdout)))


@pytest.mark.parametrize("zone", ["UTC", "America/New_York"])
def test_listing_equals_the_typed_pages(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch, zone: str
) -> None:
    monkeypatch.setenv("EASYAPPOINTMENTS_TIMEZONE", zone)
    everything = _csv([])
    assert len(everything) == sum(1 for _ in sandbox.ctx.world.appointments)
    first_pages = _csv(["--page", "1", "--page-size", "40"]) + _csv(["--page", "2", "--page-size", "40"])
    assert everything[:80] == first_pages
    assert {r["status"] for r in everything} >= {"booked", "cancelled"}


def test_missing_url_is_the_admin_s_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    from deployments.cli_errors import run_cli

    monkeypatch.delenv("EASYAPPOINTMENTS_URL", raising=False)
    monkeypatch.delenv("ENGARDE_DEBUG", raising=False)
    monkeypatch.setattr("sys.argv", ["engarde", "appointments"])
    with pytest.raises(SystemExit) as caught:
        run_cli(app)
    assert caught.value.code == 2


def test_table_json_and_status_filter_show_the_same_rows(sandbox: RunningSandbox) -> None:
    rows = _csv([])
    as_json = runner.invoke(app, ["appointments", *WINDOW, "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    listed = json.loads(as_json.stdout)
    assert [r["id"] for r in listed] == [int(r["id"]) for r in rows]
    assert listed[0] == {**rows[0], "id": int(rows[0]["id"])}
    table = runner.invoke(app, ["appointments", *WINDOW]).stdout.splitlines()
    assert table[0].split() == [c.upper() for c in COLUMNS]
    assert len(table) == len(rows) + 1
    assert table[1].split()[0] == rows[0]["id"] and rows[0]["email"] in table[1]
    cancelled = _csv(["--status", "cancelled"])
    assert cancelled == [r for r in rows if r["status"] == "cancelled"] and cancelled


def test_a_listing_never_imports_prefect(sandbox: RunningSandbox, tmp_path: Path) -> None:
    """A command that runs no flow must not load Prefect (2 s of start): not through ``tasks``, not
    through the shared budgets (no Prefect API configured: no environment variable, no settings file)."""
    code = (
        "import sys\n"
        "from deployments.cli import app\n"
        f"try:\n    app(['appointments', *{WINDOW!r}, '--format', 'csv'])\n"
        "except SystemExit as done:\n    assert not done.code, done.code\n"
        "print('LOADED=' + ','.join(m for m in ('prefect', 'pandas', 'sqlalchemy') if m in sys.modules))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {"PREFECT_HOME": str(tmp_path / "prefect"), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.rstrip().endswith("LOADED="), done.stdout[-300:]
    assert done.stdout.count("\n") > 100  # the listing itself ran
