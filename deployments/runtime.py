"""Process-level defaults applied before Prefect is imported: project-local Prefect home, no telemetry,
and the local Prefect UI server (``engarde ui``) used as the API when it is running."""

from __future__ import annotations

import os
import socket
from pathlib import Path

PROJECT_HOME = Path(os.environ.get("ENGARDE_HOME", ".engarde"))
UI_HOST = "127.0.0.1"
UI_PORT = int(os.environ.get("ENGARDE_UI_PORT", "4200"))
UI_API_URL = f"http://{UI_HOST}:{UI_PORT}/api"


def prefect_defaults() -> dict[str, str]:
    """Environment defaults for Prefect in this project (each may be overridden by the user)."""
    home = (PROJECT_HOME / "prefect").resolve()
    return {
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        # INFO reaches the Prefect API (the run's logs in the UI); the terminal shows WARNING and up.
        "PREFECT_LOGGING_LEVEL": "INFO",
        "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "WARNING",
        "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
    }


def ui_is_running(timeout: float = 0.5) -> bool:
    """True when the local Prefect server started by ``engarde ui`` answers its health check."""
    # A bare connect first, http.client then, never httpx: every command asks this at start.
    try:
        socket.create_connection((UI_HOST, UI_PORT), timeout=timeout).close()
    except OSError:
        return False
    import http.client

    connection = http.client.HTTPConnection(UI_HOST, UI_PORT, timeout=timeout)
    try:
        connection.request("GET", "/api/health")
        return connection.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def apply_defaults() -> None:
    """Set the Prefect defaults (without overriding the user's) and point at the local UI if it runs."""
    for key, value in prefect_defaults().items():
        os.environ.setdefault(key, value)
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
    if "PREFECT_API_URL" not in os.environ and ui_is_running():
        os.environ["PREFECT_API_URL"] = UI_API_URL


def load_env_file(path: Path) -> dict[str, str]:
    """Read ``KEY=VALUE`` lines from ``path`` into the environment (existing variables win)."""
    loaded: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key, value = key.strip(), value.strip().strip('"').strip("'")
        loaded[key] = value
        os.environ.setdefault(key, value)
    return loaded
