"""Outside API budgets shared by every worker through Prefect global concurrency limits.

Each connector budget (``N`` requests per ``T`` seconds, per instance, token, plan category or
account) is one Prefect global concurrency limit with slot decay, named from the connector's
limiter key (:func:`budgets_for`). When a Prefect API server is configured, every outside call
first waits for its process-wide limiter, then takes one slot of each of its Prefect limits
(``rate_limit``), so N workers together stay inside what one token or instance allows. Without
a server (``engarde run`` on a temporary one has no ``PREFECT_API_URL``) the process-wide limiter
alone applies, as before. ``engarde setup`` creates the limits (:func:`configured_budgets`).

A decaying limit is a token bucket: ``limit`` slots, refilled at ``slot_decay_per_second``. In
any window of ``T`` seconds it lets through at most ``limit + decay * T`` requests, so the
bucket is sized ``burst + decay * T == N``: a fifth of the budget as burst, the rest as the
steady rate. (Prefect's server frees decayed slots in whole units measured from the limit's
last update, so the real rate is at most this, never above.)
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from connectors.http import RateLimiter, share_budgets

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Budget:
    """One outside budget as a Prefect limit: ``requests`` per ``seconds`` for ``key``."""

    key: str
    requests: int
    seconds: float

    @property
    def name(self) -> str:
        """The Prefect limit's name: ``engarde-<provider>-<hash of the key>-<window>s``."""
        digest = hashlib.sha256(self.key.encode()).hexdigest()[:8]
        return f"engarde-{self.key.split(':', 1)[0]}-{digest}-{self.seconds:g}s"

    @property
    def burst(self) -> int:
        """Slots of the limit: a fifth of the budget (at least one)."""
        return max(1, self.requests // 5)

    @property
    def decay(self) -> float:
        """Slots freed per second, so that burst + decay * window equals the budget."""
        # Rounded down: the bucket must never let more than the budget through.
        return math.floor((self.requests - self.burst) / self.seconds * 1e6) / 1e6


def budgets_for(key: str, budgets: list[tuple[int, float]]) -> list[Budget]:
    """The Prefect limits of one connector limiter (one per window of its budget)."""
    return [Budget(key, count, seconds) for count, seconds in budgets]


def prefect_api_configured() -> bool:
    """Whether this process talks to a Prefect API server (workers, ``engarde ui``), not a temporary one.

    Answered without importing Prefect (2 s) when nothing else could set the API's address: a
    command that runs no flow (``engarde appointments``) must start at once.
    """
    if os.environ.get("PREFECT_API_URL"):
        return True
    if "prefect" not in sys.modules and not _prefect_settings_files():
        return False
    from prefect.settings import get_current_settings

    return bool(get_current_settings().api.url)


@functools.cache
def _prefect_settings_files() -> tuple[Path, ...]:
    """The files other than the environment Prefect 3 reads settings from that exist here: the
    profiles file, and ``.env``, ``prefect.toml`` and a ``pyproject.toml`` with ``[tool.prefect]``
    in the working directory (docs.prefect.io, "Settings and profiles", settings sources).

    Looked for once per process: it is asked before every outside request."""
    home = Path(os.environ.get("PREFECT_HOME", Path.home() / ".prefect"))
    profiles = Path(os.environ.get("PREFECT_PROFILES_PATH", home / "profiles.toml"))
    found = [path for path in (profiles, Path(".env"), Path("prefect.toml")) if path.is_file()]
    pyproject = Path("pyproject.toml")
    if pyproject.is_file() and "[tool.prefect" in pyproject.read_text(encoding="utf-8", errors="replace"):
        found.append(pyproject)
    return tuple(found)


@dataclass
class PrefectSharedLimiter(RateLimiter):
    """The process-wide limiter, then one slot of each of the key's Prefect limits."""

    local: RateLimiter | None = None
    limits: list[Budget] = field(default_factory=list)
    _missing: bool = field(default=False, init=False)

    async def acquire(self) -> None:
        """Wait for the process-wide budget, then (with a Prefect server) for the shared ones."""
        await (self.local.acquire() if self.local is not None else super().acquire())
        if self._missing or not self.limits or not prefect_api_configured():
            return
        from prefect.concurrency.asyncio import ConcurrencySlotAcquisitionError, rate_limit

        try:
            await rate_limit([b.name for b in self.limits], occupy=1, strict=True)
        except ConcurrencySlotAcquisitionError as exc:
            self._missing = True
            # INFO, not a warning: a local `engarde ui` server has no limits either, and `engarde
            # setup` lists what a production server lacks.
            log.info(
                "the shared budget %s is not in Prefect (%s): this process keeps its own budget only; "
                "run `engarde setup` against this server",
                ", ".join(b.name for b in self.limits),
                str(exc).splitlines()[0][:200],
            )


def _share(key: str, local: RateLimiter) -> RateLimiter:
    return PrefectSharedLimiter(
        budgets=list(local.budgets), local=local, limits=budgets_for(key, list(local.budgets))
    )


def use_prefect_budgets() -> None:
    """Route every connector's budget through Prefect limits when a Prefect API is configured."""
    share_budgets(_share)


def configured_budgets() -> list[Budget]:
    """Every budget the configured connectors use (what ``engarde setup`` creates in Prefect).

    The keys are the connectors' own limiter keys, so the names match what runs take.
    """
    out: list[Budget] = []
    if os.environ.get("EASYAPPOINTMENTS_URL"):
        from connectors.easyappointments import EasyAppointmentsSettings

        ea = EasyAppointmentsSettings()
        out += budgets_for(
            f"easyappointments:{ea.api_url}", [(ea.rate_limit_requests, ea.rate_limit_seconds)]
        )
    from connectors.eventbrite import EventbriteSettings

    out += budgets_for("eventbrite", [(EventbriteSettings().calls_per_hour, 3600.0)])
    if os.environ.get("ZOOM_ACCOUNT_ID"):
        from connectors.zoom import PLAN_BUDGETS, ZoomSettings

        for category, windows in PLAN_BUDGETS[ZoomSettings().plan].items():
            out += budgets_for(f"zoom:{category}", windows)
    if os.environ.get("BREVO_API_KEY"):
        from connectors.brevo import BrevoSettings

        for key, windows in BrevoSettings().budgets().items():
            out += budgets_for(key, windows)
    return out
