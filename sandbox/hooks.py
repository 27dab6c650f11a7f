"""Deterministic crash hooks: a twin kills (``SIGKILL``) a given process at a named instant.

Reliability tests need a real ``kill -9`` at an exact point of a conversation (before an
import is accepted, right after, while its process is polled), not "about now" after a sleep.
A test arms a hook (``POST /_sandbox/hooks`` ``{"at": "brevo.import.accepted", "pid": 1234,
"nth": 1}``); the twin calls :meth:`Hooks.reach` at that instant, and on the ``nth`` time the
process is killed and the twin waits until it is really gone before answering (nobody reads
that answer). ``"signal": "SIGQUIT"`` sends another signal instead (e.g. a PostgreSQL server's
immediate shutdown, a database outage at that instant). Instants the Brevo twin offers:

- ``brevo.import.received``: ``POST /contacts/import`` arrived, nothing started;
- ``brevo.import.accepted``: the import process exists in Brevo, the 202 not yet sent;
- ``brevo.process.polled``: ``GET /processes/{id}`` arrived, not yet answered.
"""

from __future__ import annotations

import asyncio
import os
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: How long a hook waits for a killed process to be gone (it always is, within milliseconds).
GONE_TIMEOUT = 10.0


@dataclass
class Hook:
    """Kill ``pid`` (with ``signal``) the ``nth`` time ``at`` is reached."""

    at: str
    pid: int
    nth: int = 1
    signal: signal.Signals = signal.SIGKILL
    seen: int = 0
    fired: bool = False


@dataclass
class Hooks:
    """Armed hooks and what fired (``fired`` lists instants, for tests to assert on)."""

    armed: list[Hook] = field(default_factory=list)
    fired: list[str] = field(default_factory=list)

    def arm(self, body: dict[str, Any]) -> Hook:
        """Arm a hook from ``{"at", "pid", "nth", "signal"}`` (``nth`` 1 and ``SIGKILL`` by default)."""
        hook = Hook(
            at=str(body["at"]),
            pid=int(body["pid"]),
            nth=int(body.get("nth", 1)),
            signal=signal.Signals[str(body.get("signal", "SIGKILL"))],
        )
        if hook.nth < 1:
            raise ValueError("nth counts from 1")
        self.armed.append(hook)
        return hook

    async def reach(self, at: str) -> None:
        """A twin reached instant ``at``: fire the hooks due now."""
        for hook in self.armed:
            if hook.fired or hook.at != at:
                continue
            hook.seen += 1
            if hook.seen == hook.nth:
                hook.fired = True
                self.fired.append(at)
                await kill_and_wait(hook.pid, hook.signal)


def _gone(pid: int) -> bool:
    """True once ``pid`` no longer runs (exited, or a zombie waiting for its parent)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


async def kill_and_wait(pid: int, sent: signal.Signals = signal.SIGKILL) -> None:
    """Send ``sent`` (``SIGKILL``) to ``pid`` and return once it is gone."""
    try:
        os.kill(pid, sent)
    except ProcessLookupError:
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + GONE_TIMEOUT
    while not _gone(pid) and loop.time() < deadline:
        await asyncio.sleep(0.005)


def hooks_of(state: dict[str, Any]) -> Hooks:
    """The sandbox's hooks (created on first use) in a context's ``state``."""
    hooks = state.get("_hooks")
    if not isinstance(hooks, Hooks):
        hooks = state["_hooks"] = Hooks()
    return hooks
