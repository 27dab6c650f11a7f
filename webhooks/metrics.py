"""Delivery counters in Prometheus text format (hand-written; no client library needed).

Counts are per process: with ``--workers N`` each worker keeps its own, labelled ``pid``.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field

OUTCOMES = ("accepted", "duplicate", "rejected", "failed")


@dataclass
class DeliveryMetrics:
    """Counters of accepted, duplicate, rejected (by reason) and failed deliveries."""

    provider: str = "poshvip"
    outcomes: Counter[str] = field(default_factory=Counter)
    rejections: Counter[str] = field(default_factory=Counter)

    def accepted(self) -> None:
        """A new delivery was stored."""
        self.outcomes["accepted"] += 1

    def duplicate(self) -> None:
        """A redelivery of a stored key was acknowledged."""
        self.outcomes["duplicate"] += 1

    def rejected(self, reason: str) -> None:
        """A delivery was refused (``reason``: too_large, bad_signature, stale_timestamp, ...)."""
        self.outcomes["rejected"] += 1
        self.rejections[reason] += 1

    def failed(self) -> None:
        """A valid delivery could not be stored (503)."""
        self.outcomes["failed"] += 1

    def render(self) -> str:
        """The counters in Prometheus text exposition format 0.0.4."""
        pid = os.getpid()
        base = f'provider="{self.provider}",pid="{pid}"'
        lines = [
            "# HELP engarde_webhook_deliveries_total Webhook deliveries by outcome.",
            "# TYPE engarde_webhook_deliveries_total counter",
        ]
        lines += [
            f'engarde_webhook_deliveries_total{{{base},outcome="{o}"}} {self.outcomes[o]}' for o in OUTCOMES
        ]
        lines += [
            "# HELP engarde_webhook_rejected_total Rejected webhook deliveries by reason.",
            "# TYPE engarde_webhook_rejected_total counter",
        ]
        lines += [
            f'engarde_webhook_rejected_total{{{base},reason="{r}"}} {n}'
            for r, n in sorted(self.rejections.items())
        ]
        return "\n".join(lines) + "\n"
