"""The Prefect UI shows the booking-insights artifact with its charts, in a real headless Chromium.

A local Prefect server runs in a subprocess, ``engarde run booking-insights`` runs against it and the
sandbox, then Chromium opens the artifact's page: the screenshot is kept (``ENGARDE_SCREENSHOTS``,
default ``.engarde/screenshots/``) and the rendered DOM must hold the report and its chart images.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from sandbox.framework import RunningSandbox, new_context
from tests.e2e.conftest import prefect_server_process

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
WINDOW = (1400, 2400)
SERVER_STARTUP_SECONDS = 180


@pytest.fixture(autouse=True)
def _prefect() -> None:
    """This test talks to its own Prefect server, not the session's test harness."""
    return None


@pytest.fixture
def chromium() -> str:
    """The Chromium binary: a skip outside CI when missing (before the slow server start), a failure in CI."""
    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if found is None:
        reason = "no chromium on PATH (Debian: apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must provide Chromium: {reason}")
        pytest.skip(reason)
    return found


@pytest.fixture
def prefect_server(tmp_path: Path) -> Iterator[str]:
    """A real ``prefect server start`` on a free loopback port; yields its base URL."""
    with prefect_server_process(tmp_path / "prefect-server") as base:
        yield base


def client_env(base: str, database: str, sandbox: RunningSandbox, tmp_path: Path) -> dict[str, str]:
    """The environment of an ``engarde run`` subprocess against the server, the sandbox and ``database``."""
    return {
        **os.environ,
        **sandbox.env,
        "PREFECT_API_URL": f"{base}/api",
        "PREFECT_HOME": str(tmp_path / "prefect-client"),
        "DATABASE_URL": database,
        "EASYAPPOINTMENTS_RATE_LIMIT_SECONDS": "1",
    }


def _run_flow(base: str, database: str, sandbox: RunningSandbox, tmp_path: Path) -> dict[str, Any]:
    """``engarde run booking-insights`` in a subprocess against the server and the sandbox."""
    env = client_env(base, database, sandbox, tmp_path)
    done = subprocess.run(
        [
            str(BIN / "engarde"),
            "run",
            "booking-insights",
            "-p",
            "refresh=true",
            "-p",
            f"reports_dir={tmp_path / 'reports'}",
            "--json",
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert done.returncode == 0, f"engarde run failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    result: dict[str, Any] = json.loads(done.stdout[done.stdout.index("{") :])
    return result


def _artifact(base: str) -> dict[str, Any]:
    """The markdown artifact of the (only) booking-insights flow run, via the REST API."""
    runs = httpx.post(
        f"{base}/api/flow_runs/filter",
        json={"flows": {"name": {"any_": ["booking-insights"]}}, "limit": 10},
        timeout=30,
    ).json()
    assert len(runs) == 1 and runs[0]["state_type"] == "COMPLETED", runs
    artifacts = httpx.post(
        f"{base}/api/artifacts/filter",
        json={"artifacts": {"flow_run_id": {"any_": [runs[0]["id"]]}, "type": {"any_": ["markdown"]}}},
        timeout=30,
    ).json()
    assert len(artifacts) == 1, artifacts
    artifact: dict[str, Any] = artifacts[0]
    return artifact


def _chromium_cmd(chromium: str, profile: Path) -> list[str]:
    return [
        chromium,
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        "--virtual-time-budget=15000",
    ]


def _png_pixels(path: Path) -> Any:
    """The RGB pixels (a height x width x 3 numpy array) of an 8-bit RGB(A) PNG, decoded with zlib
    and numpy (no imaging library)."""

    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, bytearray(), b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, (depth, colour_type, interlace)
    bpp = 4 if colour_type == 6 else 3
    raw = np.frombuffer(zlib.decompress(bytes(idat)), dtype=np.uint8).reshape(height, 1 + width * bpp)
    image = np.zeros((height, width * bpp), dtype=np.uint8)
    prev = np.zeros(width * bpp, dtype=np.int32)
    for y in range(height):
        filter_type, line = int(raw[y, 0]), raw[y, 1:].astype(np.int32)
        if filter_type == 0:
            row = line
        elif filter_type == 1:  # Sub: running sum along each channel
            row = np.cumsum(line.reshape(width, bpp), axis=0).reshape(-1) % 256
        elif filter_type == 2:  # Up
            row = (line + prev) % 256
        else:  # Average or Paeth: sequential along the row
            out, up, cur = [0] * (width * bpp), prev.tolist(), line.tolist()
            for i in range(width * bpp):
                left = out[i - bpp] if i >= bpp else 0
                if filter_type == 3:
                    out[i] = (cur[i] + (left + up[i]) // 2) & 0xFF
                else:
                    upleft = up[i - bpp] if i >= bpp else 0
                    p = left + up[i] - upleft
                    pa, pb, pc = abs(p - left), abs(p - up[i]), abs(p - upleft)
                    pred = left if pa <= pb and pa <= pc else up[i] if pb <= pc else upleft
                    out[i] = (cur[i] + pred) & 0xFF
            row = np.array(out, dtype=np.int32)
        image[y] = row
        prev = row
    return image.reshape(height, width, bpp)[:, :, :3]


def test_prefect_ui_shows_the_insights_artifact_with_charts(
    chromium: str, prefect_server: str, database: str, tmp_path: Path
) -> None:
    with RunningSandbox(new_context(scale=1500)) as sandbox:
        result = _run_flow(prefect_server, database, sandbox, tmp_path)
    assert result["insights"] and result["tables"]
    artifact = _artifact(prefect_server)
    assert artifact["key"] == "booking-insights"
    assert "data:image/svg+xml;base64," in artifact["data"]
    url = f"{prefect_server}/artifacts/artifact/{artifact['id']}"

    shots = Path(os.environ.get("ENGARDE_SCREENSHOTS", ROOT / ".engarde" / "screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    png = shots / "booking-insights-artifact.png"
    png.unlink(missing_ok=True)
    cmd = _chromium_cmd(chromium, tmp_path / "chrome")
    shot = subprocess.run(
        [*cmd, f"--screenshot={png}", url], capture_output=True, text=True, timeout=90, check=False
    )
    assert png.exists(), f"chromium wrote no screenshot:\n{shot.stderr[-2000:]}"
    dom = subprocess.run(
        [*cmd, "--dump-dom", url], capture_output=True, text=True, timeout=90, check=False
    ).stdout

    # The UI rendered the artifact's markdown: the title, the window line and the narrator ...
    assert "Booking insights" in dom and "narrated by" in dom, dom[-3000:]
    assert result["window"]["date_from"] in dom
    # ... and every chart as an image (the SVGs are data: URIs in the markdown).
    titles = [t["title"] for t in result["tables"] if t["id"].startswith("patterns.")]
    charts = [
        base64.b64decode(m).decode()
        for m in re.findall(r'<img[^>]+src="data:image/svg\+xml;base64,([^"]+)"', dom)
    ]
    assert len(charts) == 3, f"{len(charts)} chart images in the DOM; chart tables: {titles}"
    # Each chart brings its own white background: the UI's dark theme would hide its dark labels.
    assert all(c.startswith("<svg") and '<rect width="' in c and 'fill="#fff"' in c for c in charts)

    # The screenshot is a real rendering, not a blank page: many colours, and the charts' white
    # backgrounds on the dark page.
    assert png.stat().st_size > 20_000
    pixels = _png_pixels(png)
    assert pixels.shape == (WINDOW[1], WINDOW[0], 3)
    colours = len(np.unique(pixels[::5, ::5].reshape(-1, 3), axis=0))
    white = float((pixels == 255).all(axis=2).mean())
    assert colours > 50, f"only {colours} colours in {png}"
    assert white > 0.04, f"{white:.1%} white pixels: no chart backgrounds in {png}"
