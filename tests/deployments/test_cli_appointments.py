"""``engarde appointments``: a whole listing (the server's JSON, no models) shows the same rows as
a typed page, in the instance's time zone."""

from __future__ import annotations

import csv
import io

import pytest
from typer.testing import CliRunner

from deployments.cli import app
from sandbox.framework import RunningSandbox

runner = CliRunner()
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
