"""The Brevo twin's state: contacts, lists, processes and what tests inspect, seeded from the world."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.brevo.pace import REAL, Pace
from sandbox.framework import SandboxContext

SERVICE = "brevo"
API_KEY = "xkeysib-sandbox"
MASTER_LIST_NAME = "En Garde master list"
FOLDER_NAME = "En Garde"


@dataclass
class EventRate:
    """Random events (:mod:`sandbox.brevo.random_events`): how many a minute, when the next is due, what they did."""

    #: Events per minute of the twin's clock (0: none).
    per_minute: float = 0.0
    #: Seconds (wall time) between two looks at the twin's clock by the background loop.
    poll_seconds: float = 1.0
    #: When the next event is due on the twin's clock (None: not scheduled yet).
    next_at: float | None = None
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    #: Events sent per subscription name, and the webhooks' answers (``2xx``, ``4xx``, ``no answer``...).
    sent: Counter[str] = field(default_factory=Counter)
    answers: Counter[str] = field(default_factory=Counter)
    #: Events not drawn: no contact to pick; due beyond one tick's cap (the twin fell behind).
    no_contact: int = 0
    dropped: int = 0
    #: Ticks that raised (the loop goes on); the last error, for ``engarde sandbox stats``.
    errors: int = 0
    last_error: str | None = None
    running: bool = False

    def stats(self) -> dict[str, Any]:
        """What the random events did, for the twin's stats."""
        return {
            "per_minute": self.per_minute,
            "sent": dict(self.sent),
            "answers": dict(self.answers),
            "no_contact": self.no_contact,
            "dropped": self.dropped,
            "errors": self.errors,
            "running": self.running,
        }


@dataclass
class BrevoState:
    """Everything the twin knows; tests read and tweak it.

    The pace fields (``rate_limits``, ``import_queued``, ``import_delay``,
    ``import_per_1000_rows``, ``complete_after_polls``, ``failed_share``) start from a
    :class:`sandbox.brevo.pace.Pace`: Brevo's real one unless the sandbox was asked to be fast.
    """

    api_key: str = API_KEY
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    attributes: dict[str, dict[str, Any]] = field(default_factory=dict)
    folders: dict[int, str] = field(default_factory=dict)
    lists: dict[int, dict[str, Any]] = field(default_factory=dict)
    processes: dict[int, dict[str, Any]] = field(default_factory=dict)
    emails_sent: list[dict[str, Any]] = field(default_factory=list)
    webhooks: dict[int, dict[str, Any]] = field(default_factory=dict)
    received: list[dict[str, Any]] = field(default_factory=list)
    forbidden_fields: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    consent_violations: list[dict[str, Any]] = field(default_factory=list)
    type_errors: list[dict[str, Any]] = field(default_factory=list)
    import_log: list[dict[str, Any]] = field(default_factory=list)
    imported_states: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: window name -> (requests, seconds); a route's tier counts in the windows of
    #: :data:`sandbox.brevo.pace.TIER_WINDOWS` that are present here.
    rate_limits: dict[str, tuple[int, float]] = field(default_factory=lambda: dict(REAL.rate_limits))
    #: Seconds an import stays ``queued`` after it is accepted.
    import_queued: float = REAL.import_queued
    #: Seconds from acceptance to ``completed`` (plus ``import_per_1000_rows`` per 1,000 rows).
    import_delay: float = REAL.import_delay
    import_per_1000_rows: float = REAL.import_per_1000_rows
    #: Share of imports that end ``failed`` (sandbox.brevo.failures).
    failed_share: float = REAL.failed_share
    #: Polls after which an import completes whatever the time (None: only time counts).
    complete_after_polls: int | None = REAL.complete_after_polls
    master_list_id: int | None = None
    #: Random webhook events at a rate (off by default).
    event_rate: EventRate = field(default_factory=EventRate)
    #: Requests refused with 429 for being over a budget, per route tier.
    refused: Counter[str] = field(default_factory=Counter)
    #: The clock of rate windows and import timing (tests move it instead of waiting).
    clock: Callable[[], float] = time.time
    _windows: dict[str, tuple[float, int]] = field(default_factory=dict)
    _next_id: Counter[str] = field(default_factory=Counter)

    def use_pace(self, pace: Pace) -> None:
        """Take the budgets and import timing of ``pace``."""
        self.rate_limits = dict(pace.rate_limits)
        self.import_queued, self.import_delay = pace.import_queued, pace.import_delay
        self.import_per_1000_rows = pace.import_per_1000_rows
        self.failed_share, self.complete_after_polls = pace.failed_share, pace.complete_after_polls

    def next_id(self, kind: str, start: int = 1) -> int:
        """A fresh id for ``kind`` (contacts, lists, folders, processes)."""
        if kind not in self._next_id:
            self._next_id[kind] = start
        value = self._next_id[kind]
        self._next_id[kind] += 1
        return value

    def members(self, list_id: int) -> list[dict[str, Any]]:
        """Contacts on ``list_id``."""
        return [c for c in self.contacts.values() if list_id in c["listIds"]]

    def repeated_imports(self) -> dict[str, int]:
        """Emails imported more than once in the same state (email → times)."""
        return {email: n for (email, _), n in self.imported_states.items() if n > 1}

    def stats(self) -> dict[str, Any]:
        """The twin's state in numbers (``engarde sandbox stats``)."""
        return {
            "contacts": len(self.contacts),
            "blocklisted": sum(1 for c in self.contacts.values() if c["emailBlacklisted"]),
            "list_members": {lst["name"]: len(self.members(i)) for i, lst in self.lists.items()},
            "imports": len(self.import_log),
            "rows_imported": sum(len(i["touched"]) for i in self.import_log),
            "repeated_same_state": len(self.repeated_imports()),
            "emails_sent": len(self.emails_sent),
            "consent_violations": len(self.consent_violations),
            "blocklist_fields_received": len(self.forbidden_fields),
            "contacts_deleted": len(self.deleted),
            "refused_over_budget": dict(self.refused),
            "random_events": self.event_rate.stats(),
        }


def new_contact(state: BrevoState, email: str, ts: float) -> dict[str, Any]:
    """A fresh contact record (on no list, not blocklisted) with the next contact id."""
    return {
        "id": state.next_id("contact"),
        "email": email,
        "emailBlacklisted": False,
        "smsBlacklisted": False,
        "whatsappBlacklisted": False,
        "createdAt": ts,
        "modifiedAt": ts,
        "listIds": set(),
        "listUnsubscribed": set(),
        "attributes": {},
    }


def seed_state(ctx: SandboxContext, pace: Pace = REAL) -> BrevoState:
    """State seeded from ``ctx.world.brevo_contacts``: a folder, the master list, consent cases."""
    state = BrevoState()
    state.use_pace(pace)
    state.event_rate.rng = ctx.world.rng_for("brevo-events")
    for name, kind in (("FIRSTNAME", "text"), ("LASTNAME", "text"), ("SMS", "text"), ("EXT_ID", "text")):
        state.attributes[name] = {"name": name, "category": "normal", "type": kind}
    folder_id = state.next_id("folder")
    state.folders[folder_id] = FOLDER_NAME
    created = ctx.world.anchor.timestamp() - 400 * 86400
    master = state.next_id("list", start=2)
    state.lists[master] = {
        "id": master,
        "name": MASTER_LIST_NAME,
        "folderId": folder_id,
        "createdAt": created,
    }
    state.master_list_id = master
    for i, seed in enumerate(ctx.world.brevo_contacts):
        contact = new_contact(state, str(seed["email"]).strip().lower(), created + i * 60.0)
        contact["attributes"] = dict(seed.get("attributes") or {})
        if seed.get("emailBlacklisted"):
            contact["emailBlacklisted"] = True
        elif seed.get("unsubscribedFromMaster"):
            contact["listUnsubscribed"].add(master)
        else:
            contact["listIds"].add(master)
        state.contacts[contact["email"]] = contact
    return state
