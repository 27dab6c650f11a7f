"""Whether a process talks to a Prefect API server is read from every place Prefect reads it, and
answered without importing Prefect when none of those places exists."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ASK = (
    "import sys; from tasks.budgets import prefect_api_configured as c; print(c(), 'prefect' in sys.modules)"
)


def _ask(cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", ASK],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str]:
    return {"PREFECT_HOME": str(tmp_path / "prefect")}


def test_nothing_configured_answers_no_without_prefect(tmp_path: Path, home: dict[str, str]) -> None:
    assert _ask(tmp_path, home) == "False False"


def test_the_environment_answers_yes_without_prefect(tmp_path: Path, home: dict[str, str]) -> None:
    assert _ask(tmp_path, {**home, "PREFECT_API_URL": "http://127.0.0.1:9/api"}) == "True False"


def test_a_profile_or_a_project_file_is_read(tmp_path: Path, home: dict[str, str]) -> None:
    profile = Path(home["PREFECT_HOME"]) / "profiles.toml"
    profile.parent.mkdir()
    profile.write_text('active = "prod"\n[profiles.prod]\nPREFECT_API_URL = "http://127.0.0.1:9/api"\n')
    assert _ask(tmp_path, home) == "True True"
    profile.unlink()
    (tmp_path / "prefect.toml").write_text('[api]\nurl = "http://127.0.0.1:9/api"\n')
    assert _ask(tmp_path, home) == "True True"
    (tmp_path / "prefect.toml").unlink()
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert _ask(tmp_path, home) == "False False"  # a pyproject without [tool.prefect] says nothing
