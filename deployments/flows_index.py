"""Every flow of the project by its Prefect name, as ``module:function`` (imported lazily)."""

from __future__ import annotations

import importlib
from typing import Any

FLOWS: dict[str, str] = {
    "audience-sync": "flows.audience_sync:audience_sync",
    "audience-backfill": "flows.audience_backfill:audience_backfill",
    "booking-insights": "flows.booking_insights:booking_insights",
    "booking-stats": "flows.booking_stats:booking_stats",
    "poshvip-events": "flows.poshvip_events:poshvip_events",
    "brevo-events": "flows.brevo_events:brevo_events",
    "add-bookers-to-queue": "flows.signup_queue:add_bookers_to_queue",
    "review-signup-queue": "flows.signup_queue:review_signup_queue",
    "platform-users-sync": "flows.platform_users_sync:platform_users_sync",
}


def load_flow(name: str) -> Any:
    """The flow object registered as ``name``; ValueError naming the known flows otherwise."""
    if name not in FLOWS:
        raise ValueError(f"unknown flow {name!r}; known flows: {', '.join(sorted(FLOWS))}")
    module, _, attr = FLOWS[name].partition(":")
    return getattr(importlib.import_module(module), attr)
