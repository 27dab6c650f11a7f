"""Request budgets: per-provider limiters (N requests per T seconds) shared in the process.

Who shares a budget beyond this process (e.g. Prefect global concurrency limits) is decided
by the process's entry point through :func:`share_budgets`; connectors stay unaware of it.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from connectors.http.waits import announce


@dataclass
class RateLimiter:
    """Request budgets (``(count, seconds)`` pairs) that every caller awaits before a request.

    A sliding-window log per budget: a request may go when, in every budget, fewer than
    ``count`` requests were sent in the last ``seconds``. ``clock`` and ``sleep`` are the
    injectable time (tests).
    """

    budgets: Sequence[tuple[int, float]]
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    _sent: list[deque[float]] = field(init=False, repr=False)
    _lock: asyncio.Lock | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self._sent = [deque() for _ in self.budgets]

    def _delay(self, now: float) -> float:
        wait = 0.0
        for (count, seconds), sent in zip(self.budgets, self._sent, strict=True):
            while sent and now - sent[0] >= seconds:
                sent.popleft()
            if len(sent) >= count:
                wait = max(wait, seconds - (now - sent[0]))
        return wait

    async def acquire(self) -> None:
        """Wait until every budget allows one more request, then count it."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            while (wait := self._delay(self.clock())) > 0:
                announce("request budget", wait, f"{_budgets_text(self.budgets)} used up")
                await self.sleep(wait)
            now = self.clock()
            for sent in self._sent:
                sent.append(now)


def _budgets_text(budgets: Sequence[tuple[int, float]]) -> str:
    return " and ".join(f"{count} requests per {seconds:g} s" for count, seconds in budgets)


_LIMITERS: dict[str, RateLimiter] = {}
#: Turns a process-wide limiter into one shared beyond this process (installed by the callers of
#: connectors, e.g. Prefect global concurrency limits); None: budgets are per process.
BudgetSharing = Callable[[str, RateLimiter], RateLimiter]
_sharing: BudgetSharing | None = None


def share_budgets(sharing: BudgetSharing | None) -> None:
    """Make every limiter :func:`shared_limiter` creates from now on go through ``sharing`` (None: off).

    Connectors stay unaware of who shares their budgets; the process's entry point decides.
    """
    global _sharing
    if sharing is not _sharing:
        _sharing = sharing
        _LIMITERS.clear()


def shared_limiter(key: str, budgets: Sequence[tuple[int, float]]) -> RateLimiter:
    """The process-wide limiter for ``key`` (e.g. ``"easyappointments"``), created once."""
    limiter = _LIMITERS.get(key)
    if limiter is None or list(limiter.budgets) != list(budgets):
        limiter = RateLimiter(budgets=list(budgets))
        limiter = _LIMITERS[key] = _sharing(key, limiter) if _sharing is not None else limiter
    return limiter
