"""Which sources exist, which are configured, and the extraction task of each."""

from __future__ import annotations

import importlib
import os
from typing import Any

#: source -> (extraction task as module:attribute, environment variables that must be set to use it)
SOURCES: dict[str, tuple[str, tuple[str, ...]]] = {
    "easyappointments": ("tasks.easyappointments:extract_easyappointments", ("EASYAPPOINTMENTS_URL",)),
    "eventbrite": ("tasks.eventbrite:extract_eventbrite", ("EVENTBRITE_OAUTH_TOKEN",)),
    "zoom": ("tasks.zoom:extract_zoom", ("ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET")),
}
ALL_SOURCES = tuple(SOURCES)


def configured_sources() -> list[str]:
    """Sources whose settings are present in the environment (EasyAppointments first)."""
    return [name for name, (_, needs) in SOURCES.items() if all(os.environ.get(v) for v in needs)]


def extract_source(name: str) -> Any:
    """The Prefect task that extracts ``name`` for a window: ``task(date_from, date_to) -> SourceExtract``."""
    module, _, attr = SOURCES[name][0].partition(":")
    return getattr(importlib.import_module(module), attr)
