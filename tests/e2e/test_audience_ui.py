"""The Prefect UI shows audience-sync's summary as tables and the audience trend, in a real headless
Chromium (the server, the CLI runs and the browser as in test_insights_ui.py).

Two ``engarde run audience-sync`` runs (one day apart) against a real ``prefect server`` and the
sandbox; Chromium opens the latest ``audience-sync-summary`` and ``audience-trend-chart``
artifacts: the rendered DOM holds HTML tables (not a clipped text block) and the chart image, and
the screenshots (``ENGARDE_SCREENSHOTS``, default ``.engarde/screenshots/``) are real renderings.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

import tests.e2e.test_insights_ui as ui
from sandbox.framework import RunningSandbox, new_context

pytestmark = pytest.mark.e2e

chromium = ui.chromium
prefect_server = ui.prefect_server


@pytest.fixture(autouse=True)
def _prefect() -> None:
    """This test talks to its own Prefect server, not the session's test harness."""
    return None


def _sync(base: str, database: str, sandbox: RunningSandbox, tmp_path: Path, as_of: str) -> None:
    env = ui.client_env(base, database, sandbox, tmp_path)
    done = subprocess.run(
        [str(ui.BIN / "engarde"), "run", "audience-sync", "-p", f"as_of={as_of}"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"engarde run failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"


def _latest_artifact(base: str, key: str) -> dict[str, Any]:
    found = httpx.post(
        f"{base}/api/artifacts/filter",
        json={"artifacts": {"key": {"any_": [key]}}, "sort": "CREATED_DESC", "limit": 1},
        timeout=30,
    ).json()
    assert found, f"no artifact {key}"
    artifact: dict[str, Any] = found[0]
    return artifact


def _render(chromium: str, url: str, png: Path, profile: Path) -> str:
    """Screenshot ``url`` to ``png``; return its rendered DOM."""
    png.unlink(missing_ok=True)
    cmd = ui._chromium_cmd(chromium, profile)
    shot = subprocess.run([*cmd, f"--screenshot={png}", url], capture_output=True, text=True, timeout=90)
    assert png.exists(), f"chromium wrote no screenshot:\n{shot.stderr[-2000:]}"
    return subprocess.run([*cmd, "--dump-dom", url], capture_output=True, text=True, timeout=90).stdout


def _cells(dom: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", dom, re.S)]


def test_prefect_ui_shows_the_audience_summary_tables_and_trend(
    chromium: str, prefect_server: str, database: str, tmp_path: Path
) -> None:
    with RunningSandbox(new_context(scale=600, seed=21)) as sandbox:
        _sync(prefect_server, database, sandbox, tmp_path, "2026-03-01T06:00:00+00:00")
        _sync(prefect_server, database, sandbox, tmp_path, "2026-03-02T06:00:00+00:00")
    shots = Path(os.environ.get("ENGARDE_SCREENSHOTS", ui.ROOT / ".engarde" / "screenshots"))
    shots.mkdir(parents=True, exist_ok=True)

    summary = _latest_artifact(prefect_server, "audience-sync-summary")
    assert "```" not in summary["data"] and "| source | window |" in summary["data"]
    dom = _render(
        chromium,
        f"{prefect_server}/artifacts/artifact/{summary['id']}",
        shots / "audience-sync-summary.png",
        tmp_path / "chrome",
    )
    # Tables, not a preformatted block: the sources, segments and Brevo counts are table cells.
    assert dom.count("<table") >= 3 and "<pre" not in dom, dom[-3000:]
    cells = _cells(dom)
    assert "easyappointments" in cells and "complete" in cells, cells[:40]
    assert any(c.startswith("returning") for c in cells) and any(c.startswith("new") for c in cells), cells

    chart = _latest_artifact(prefect_server, "audience-trend-chart")
    dom = _render(
        chromium,
        f"{prefect_server}/artifacts/artifact/{chart['id']}",
        shots / "audience-trend.png",
        tmp_path / "chrome",
    )
    svgs = [
        base64.b64decode(m).decode()
        for m in re.findall(r'<img[^>]+src="data:image/svg\+xml;base64,([^"]+)"', dom)
    ]
    assert len(svgs) == 1 and svgs[0].count("<polyline") >= 2, dom[-3000:]
    cells = _cells(dom)
    assert "2026-03-01 06:00" in cells and "2026-03-02 06:00" in cells, cells[:40]
    table = _latest_artifact(prefect_server, "audience-trend")
    assert table["type"] == "table"

    pixels = ui._png_pixels(shots / "audience-trend.png")
    assert len(np.unique(pixels[::5, ::5].reshape(-1, 3), axis=0)) > 50
    assert float((pixels == 255).all(axis=2).mean()) > 0.02, "no white chart background in the screenshot"
