"""Long waits visible and bounded: what a retry is about to wait for, why, until when; and a cap.

Order, and why:

1. **The run's allowance first.** Waits on a provider's rate limit add up in the client's
   :class:`~connectors.http.CallStats` (one client per provider per extraction). A wait that
   would take the total past the provider's cap (``ENGARDE_MAX_RATE_LIMIT_WAIT``, or its entry
   in ``ENGARDE_MAX_RATE_LIMIT_WAIT_PER_PROVIDER``) is not waited:
   :class:`~connectors.http.WaitCapReached` (a ``RateLimitError``) is raised instead, so the
   extraction returns an incomplete source whose checkpoint does not advance.
2. **Then a long wait is announced** (at least :data:`LONG_WAIT_SECONDS`; a warning on a rate limit,
   INFO before retrying an error) naming the
   call, the reason and the UTC time it will end, on the run's logger when the process's entry
   point installed one (:func:`log_waits_with`; ``tasks`` installs the Prefect run's logger, so the
   run page shows it and the terminal gets it on stderr, never mixed into ``--json`` on stdout),
   else through :mod:`logging`. A silent 15-minute wait looks exactly like a hung run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger("connectors.waits")

#: Waits at least this long are logged.
LONG_WAIT_SECONDS = 5.0


class WaitSettings(BaseSettings):
    """How long one run may wait, in total, on one provider's rate limits."""

    model_config = SettingsConfigDict(env_prefix="ENGARDE_", extra="ignore")

    max_rate_limit_wait: float = Field(
        default=600.0,
        ge=0,
        description="seconds one run may wait in total on a provider's rate limits before leaving "
        "that source for the next run",
    )
    max_rate_limit_wait_per_provider: dict[str, float] = Field(
        default_factory=dict,
        description='per-provider overrides of the cap above, as JSON: `{"eventbrite": 1800}`',
    )

    def cap(self, provider: str) -> float:
        """The cap for ``provider``, in seconds."""
        return self.max_rate_limit_wait_per_provider.get(provider, self.max_rate_limit_wait)


class _Waited(Protocol):
    waited: float


#: Gives the logger of the run in progress, or None outside one (then :data:`log` is used).
RunLogger = Callable[[], logging.Logger | logging.LoggerAdapter[logging.Logger] | None]
_run_logger: RunLogger | None = None


def log_waits_with(run_logger: RunLogger | None) -> None:
    """Announce waits on the logger ``run_logger`` gives when it gives one (None: this module's only).

    Connectors stay unaware of who runs them; the process's entry point decides (``tasks``
    routes the announcements to the Prefect run's log, so the run page shows them).
    """
    global _run_logger
    _run_logger = run_logger


def wait_logger() -> logging.Logger | logging.LoggerAdapter[logging.Logger]:
    """The logger waits are announced on: the run's (see :func:`log_waits_with`), else ``connectors.waits``."""
    found = _run_logger() if _run_logger is not None else None
    return found if found is not None else log


def before_wait(
    failure: Exception,
    delay: float,
    stats: _Waited,
    *,
    provider: str,
    rate_limited: bool,
    now: Callable[[], float] = time.time,
) -> str | None:
    """Account for a wait of ``delay`` s about to start after ``failure``, and announce it when long.

    Returns why the wait must not happen instead (nothing is counted then) when it is on a
    rate limit and would take ``stats.waited`` past the provider's cap; else None.
    """
    if rate_limited:
        cap = WaitSettings().cap(provider)
        if stats.waited + delay > cap:
            return (
                f"gave up waiting on {provider}'s rate limit: another {delay:.0f} s would take this run "
                f"past its {cap:.0f} s allowance ({stats.waited:.0f} s waited already); "
                "the rest is left for the next run"
            )
        stats.waited += delay
    kind = "rate limit" if rate_limited else "error"
    level = logging.WARNING if rate_limited else logging.INFO
    announce(provider, delay, f"{kind}, then retrying: {failure}", now=now, level=level)
    return None


def announce(
    who: str, delay: float, why: str, *, now: Callable[[], float] = time.time, level: int = logging.WARNING
) -> None:
    """Log a wait of ``delay`` s (if at least :data:`LONG_WAIT_SECONDS`): who waits, until when, why.

    Rate-limit waits are warnings (the terminal shows them); a retry after an error logs at
    ``level`` INFO (the run's page shows it, the terminal keeps to the final sentence).
    """
    if delay < LONG_WAIT_SECONDS:
        return
    until = datetime.fromtimestamp(now() + delay, UTC).strftime("%Y-%m-%d %H:%M:%S")
    wait_logger().log(level, "%s: waiting %.0f s, until %s UTC (%s)", who, delay, until, why)
