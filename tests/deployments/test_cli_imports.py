"""The ``engarde`` CLI starts without Prefect, pandas and the connectors' HTTP stack (timings: bench/cli_startup.py)."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("prefect", "pandas", "numpy", "httpx", "sqlalchemy", "brevo", "anthropic")


def test_importing_the_cli_imports_no_heavy_library() -> None:
    code = f"import sys, deployments.cli; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def test_help_and_config_import_no_heavy_library() -> None:
    code = (
        "import sys\n"
        "from deployments.cli import app\n"
        "for args in (['--help'], ['config'], ['appointments', '--help'], ['queue', '--help']):\n"
        "    try:\n"
        "        app(args)\n"
        "    except SystemExit:\n"
        "        pass\n"
        f"print('LOADED=' + ','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "LOADED=\n" in done.stdout or done.stdout.rstrip().endswith("LOADED="), done.stdout[-500:]
