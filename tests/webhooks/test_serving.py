"""How ``engarde receiver`` serves: several workers answer as fast as one on a kept-alive connection."""

from __future__ import annotations

import statistics

from webhooks.app import WEBHOOK_PATH

from .conftest import SECRET
from .spawn import sequential_latencies_ms, spawned_receiver

#: Nagle's algorithm waiting for the client's delayed ACK costs ~40 ms a request; a few ms is noise.
TOLERANCE_MS = 10


def test_two_workers_add_no_latency_on_a_kept_alive_connection(db_url: str) -> None:
    env = {"DATABASE_URL": db_url, "POSHVIP_WEBHOOK_SECRET": SECRET}
    medians: dict[int, float] = {}
    for workers in (1, 2):
        with spawned_receiver(env, workers=workers) as base:
            # Forged deliveries (401): the answer path without the database, as the issue measured.
            latencies = sequential_latencies_ms(base, WEBHOOK_PATH, b'{"id": "evt"}', 60)
        medians[workers] = statistics.median(latencies[10:])
    assert medians[2] <= medians[1] + TOLERANCE_MS, medians
