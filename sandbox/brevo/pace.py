"""How fast the Brevo twin answers: its rate budgets and how long an import takes.

Two paces. :data:`REAL` is Brevo's (general tier, api-notes §5 "Rate limits"): 10 requests/s
and 36,000/h on ``/v3/contacts/*``, 100/h on every unlisted endpoint (``/processes``,
``/account``, ``/webhooks``), and imports that stay ``queued``, then ``in_process``, for a
while before they complete. :data:`FAST` is for tests and the demo: budgets no run reaches and
imports that complete on the second poll. A sandbox is real unless it is asked to be fast
(``new_context(fast=True)``, ``engarde sandbox --fast``, ``engarde demo``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: A route's tier -> the rate windows (names in ``rate_limits``) its requests count in.
TIER_WINDOWS: dict[str, tuple[str, ...]] = {
    "contacts": ("contacts", "contacts_hourly"),
    "unlisted": ("unlisted",),
    "smtp": ("smtp",),
}


@dataclass(frozen=True)
class Pace:
    """Budgets (window name -> (requests, seconds)) and import timing of the twin."""

    rate_limits: dict[str, tuple[int, float]] = field(default_factory=dict)
    import_queued: float = 0.0
    import_delay: float = 0.3
    import_per_1000_rows: float = 0.0
    failed_share: float = 0.0
    complete_after_polls: int | None = 2


FAST = Pace(
    rate_limits={"contacts": (1000, 1.0), "unlisted": (100_000, 3600.0), "smtp": (1000, 1.0)},
    import_queued=0.0,
    import_delay=0.3,
    complete_after_polls=2,
)
REAL = FAST
