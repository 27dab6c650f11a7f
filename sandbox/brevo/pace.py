"""How fast the Brevo twin answers: its rate budgets and how long an import takes.

Two paces. :data:`REAL`, the default, is Brevo's general tier (developers.brevo.com/docs/api-limits,
api-notes §5 "Rate limits"): 10 requests/s and 36,000/h on ``/v3/contacts/*``, 1,000/s and
3,600,000/h on ``POST /v3/smtp/email``, 100/h on every unlisted endpoint (``/processes``,
``/account``, ``/webhooks``); and imports that stay ``queued`` ``import_queued`` seconds, then
``in_process`` until ``import_delay`` seconds plus ``import_per_1000_rows`` per 1,000 rows have
passed since they were accepted. Brevo publishes no import timing: 10 s queued and 30 s + 2 s
per 1,000 rows processing is a plausible reading of imports of this size (tens of seconds to a
few minutes), to be adjusted on ``BrevoState`` when measured. ``failed_share`` is 0 (Brevo's
imports fail rarely and the share is not published); tests raise it where they need failures.

:data:`FAST` is for tests and the demo: budgets no run reaches and imports that complete by
the second poll or after 0.3 s. A sandbox is real unless it is asked to be fast
(``new_context(fast=True)``, ``ENGARDE_SANDBOX_FAST=1``, ``engarde sandbox --fast``,
``engarde demo``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: A route's tier -> the rate windows (names in ``rate_limits``) its requests count in.
TIER_WINDOWS: dict[str, tuple[str, ...]] = {
    "contacts": ("contacts", "contacts_hourly"),
    "unlisted": ("unlisted",),
    "smtp": ("smtp", "smtp_hourly"),
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
REAL = Pace(
    rate_limits={
        "contacts": (10, 1.0),
        "contacts_hourly": (36_000, 3600.0),
        "unlisted": (100, 3600.0),
        "smtp": (1000, 1.0),
        "smtp_hourly": (3_600_000, 3600.0),
    },
    import_queued=10.0,
    import_delay=30.0,
    import_per_1000_rows=2.0,
    complete_after_polls=None,
)
