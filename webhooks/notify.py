"""Tell Prefect that deliveries arrived: a coalesced ``poshvip.webhook.received`` event.

At most one event per interval, sent from a worker thread after the rows are committed,
so emission never blocks or fails a request. Emission needs ``PREFECT_API_URL`` in the
receiver's environment (``engarde`` sets it when the local Prefect server runs); without it
Prefect is never imported (importing it costs seconds of CPU a busy receiver should not
spend) and the deployment's schedule picks the events up instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from typing import Any

log = logging.getLogger(__name__)

EVENT_NAME = "poshvip.webhook.received"
RESOURCE_ID = "engarde.webhooks.poshvip"


def prefect_api_configured() -> bool:
    """True when ``PREFECT_API_URL`` is set in the environment."""
    return bool(os.environ.get("PREFECT_API_URL"))


def warm_up() -> None:
    """Import Prefect's events module ahead of the first delivery (call at startup, in a thread)."""
    import prefect.events  # noqa: F401


def _emit(payload: dict[str, Any]) -> bool:
    """Emit one Prefect event; True when handed to Prefect's events worker."""
    from prefect.events import emit_event

    emit_event(
        event=EVENT_NAME,
        resource={"prefect.resource.id": RESOURCE_ID, "prefect.resource.name": "Posh.VIP webhooks"},
        payload=payload,
    )
    return True


class DeliveryNotifier:
    """Coalesces stored deliveries into one Prefect event per ``interval`` seconds."""

    def __init__(self, *, enabled: bool, interval: float = 1.0, timeout: float = 5.0) -> None:
        self.enabled = enabled
        self.interval = interval
        self.timeout = timeout
        self.pending = 0
        self.last_key: str | None = None
        self.emitted = 0
        self.failures = 0
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    def stored(self, event_key: str) -> None:
        """Note one newly stored delivery (called on the event loop, after the commit)."""
        if not self.enabled:
            return
        self.pending += 1
        self.last_key = event_key
        self._wake.set()

    async def start(self) -> None:
        """Start the background loop (inside the running event loop); imports Prefect first if enabled."""
        if self.enabled and not prefect_api_configured():
            self.enabled = False
            log.info(
                "PREFECT_API_URL is not set: no %s events; the scheduled run picks deliveries up", EVENT_NAME
            )
        if self.enabled:
            try:
                await asyncio.wait_for(asyncio.to_thread(warm_up), timeout=60)
            except Exception as exc:
                log.warning("Prefect could not be loaded (%s): no %s events", type(exc).__name__, EVENT_NAME)
                self.enabled = False
        if self.enabled and self._task is None:
            self._task = asyncio.create_task(self._run(), name="poshvip-notifier")

    async def stop(self) -> None:
        """Flush what is pending (bounded by the timeout) and stop."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._flush()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self._flush()
            await asyncio.sleep(self.interval)

    async def _flush(self) -> None:
        if not self.pending:
            return
        payload = {"deliveries": self.pending, "last_event_key": self.last_key}
        self.pending = 0
        try:
            sent = await asyncio.wait_for(asyncio.to_thread(_emit, payload), timeout=self.timeout)
        except Exception as exc:
            self.failures += 1
            log.warning(
                "could not emit %s to Prefect (%s); the scheduled run will pick the events up",
                EVENT_NAME,
                type(exc).__name__,
            )
            return
        if sent:
            self.emitted += 1
