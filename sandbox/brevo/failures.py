"""Brevo twin: import processes that fail, as Brevo's do now and then.

Brevo's process answer has ``status`` ``failed`` with an ``error`` text (SDK 5.1's recorded
stub: ``"error": "Processing timeout exceeded after 30 minutes"``). A share of the twin's
imports (``BrevoState.failed_share``, 0 by default) ends that way instead of completing:
nothing of the import is written, and the answer carries ``error`` and ``completed_at``.
Which imports fail depends only on the process id, so a run is reproducible.
"""

from __future__ import annotations

import random
import time
from typing import Any

FINAL = ("completed", "failed")
ERROR = "Processing timeout exceeded after 30 minutes"


def fails(share: float, process_id: int) -> bool:
    """Whether import ``process_id`` fails when ``share`` of imports do."""
    return share > 0 and random.Random(process_id).random() < share


def fail_if_drawn(share: float, process: dict[str, Any]) -> bool:
    """Fail ``process`` (drop its body, mark it failed) when drawn; True if it failed."""
    if not fails(share, int(process["id"])):
        return False
    process.pop("body", None)
    process["status"] = "failed"
    process["error"] = ERROR
    process["completed_at"] = time.time()
    return True
