"""store imports none of the rooms beside or above it; webhooks imports nothing above store and connectors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imported_rooms(package: str) -> set[str]:
    """The project's top-level packages loaded by importing every module of ``package`` in a fresh interpreter."""
    code = (
        "import importlib, json, pkgutil, sys\n"
        f"import {package}\n"
        f"for m in pkgutil.iter_modules({package}.__path__):\n"
        f"    importlib.import_module('{package}.' + m.name)\n"
        "print(json.dumps(sorted({n.split('.')[0] for n in sys.modules})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    rooms = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}
    return set(json.loads(out.stdout)) & rooms


def test_store_imports_no_other_room() -> None:
    assert imported_rooms("store") == {"store"}


def test_webhooks_import_nothing_above_store_and_connectors() -> None:
    assert (
        imported_rooms("webhooks") & {"tasks", "flows", "deployments", "sandbox", "audience", "insights"}
        == set()
    )
