"""The twins' real API budgets, per client, and the most requests seen inside any window.

Each budgeted service counts the requests of each client (its credential: the ``Authorization``
or ``api-key`` header) in a sliding window; past the real budget it answers with the service's
own 429 (EasyAppointments' empty body, Eventbrite's ``HIT_RATE_LIMIT``, Brevo's headers). A
sliding window is stricter than the fixed windows the services use, so a client that stays
inside it stays inside theirs. ``stats()`` reports per service the most requests any client sent
inside one window, so a test or bench can show a budget was never exceeded.
"""

from __future__ import annotations

import hashlib
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: service -> (requests, seconds, path part that the budget covers; "" = every path)
REAL_BUDGETS: dict[str, tuple[int, float, str]] = {
    "easyappointments": (100, 120.0, ""),
    "eventbrite": (2000, 3600.0, ""),
    "brevo": (10, 1.0, "/v3/contacts"),
}


@dataclass
class BudgetMeter:
    """Sliding-window counts per service and client; optionally refuses past the budget."""

    enforce: bool = False
    budgets: dict[str, tuple[int, float, str]] = field(default_factory=lambda: dict(REAL_BUDGETS))
    clock: Callable[[], float] = time.monotonic
    _sent: dict[tuple[str, str], deque[float]] = field(default_factory=dict)
    _max: dict[str, int] = field(default_factory=dict)
    _refused: dict[str, int] = field(default_factory=dict)

    def admit(self, service: str, path: str, headers: dict[str, str]) -> bool:
        """Count one request; False when it is over the client's budget (and enforcing)."""
        budget = self.budgets.get(service)
        if budget is None or budget[2] not in path:
            return True
        count, seconds, _ = budget
        credential = headers.get("authorization") or headers.get("api-key") or ""
        client = hashlib.sha256(credential.encode()).hexdigest()[:12]
        sent = self._sent.setdefault((service, client), deque())
        now = self.clock()
        while sent and now - sent[0] >= seconds:
            sent.popleft()
        if self.enforce and len(sent) >= count:
            self._refused[service] = self._refused.get(service, 0) + 1
            return False
        sent.append(now)
        self._max[service] = max(self._max.get(service, 0), len(sent))
        return True

    def stats(self, service: str) -> dict[str, Any] | None:
        """``{"limit", "seconds", "max_in_window", "refused", "enforced"}`` for a budgeted service."""
        budget = self.budgets.get(service)
        if budget is None:
            return None
        return {
            "limit": budget[0],
            "seconds": budget[1],
            "paths": budget[2] or "all",
            "max_in_window": self._max.get(service, 0),
            "refused": self._refused.get(service, 0),
            "enforced": self.enforce,
        }


@dataclass
class FixedWindow:
    """A server's own fixed window (EasyAppointments'): ``count`` requests from the first one for ``seconds``.

    Global, not per client, and only when a test asks for it (:class:`BudgetMeter` is the
    per-client meter every twin shares).
    """

    clock: Callable[[], float] = time.monotonic
    _started: float = 0.0
    _used: int = 0

    def admit(self, limit: tuple[int, float] | None) -> bool:
        """Count one request; False when it is over ``limit`` (``(count, seconds)``; None: no limit)."""
        if limit is None:
            return True
        count, seconds = limit
        now = self.clock()
        if now - self._started >= seconds:
            self._started, self._used = now, 0
        self._used += 1
        return self._used - 1 < count
