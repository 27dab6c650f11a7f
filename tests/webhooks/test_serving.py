"""How ``engarde receiver`` serves: several workers answer as fast as one on a kept-alive connection."""

from __future__ import annotations

import statistics

from tests.webhooks.conftest import SECRET
from tests.webhooks.spawn import sequential_latencies_ms, spawned_receiver
from webhooks.app import WEBHOOK_PATH

#: Nagle's algorithm waiting for the client's delayed ACK costs ~40 ms a request; a few ms is noise.
TOLERANCE_MS = 10


def test_two_workers_add_no_latency_on_a_kept_alive_connection(db_url: str) -> None:
    env = {"DATABASE_URL": db_url, "POSHVIP_WEBHOOK_SECRET": SECRET}
    latencies: dict[int, list[float]] = {1: [], 2: []}
    with spawned_receiver(env, workers=1) as one, spawned_receiver(env, workers=2) as two:
        # Interleaved, so load from elsewhere on the machine hits both alike. Forged deliveries
        # (401): the answer path without the database, as the issue measured.
        for _ in range(6):
            for workers, base in ((1, one), (2, two)):
                latencies[workers] += sequential_latencies_ms(base, WEBHOOK_PATH, b'{"id": "evt"}', 12)[2:]
    medians = {workers: statistics.median(values) for workers, values in latencies.items()}
    assert medians[2] <= medians[1] + TOLERANCE_MS, medians
