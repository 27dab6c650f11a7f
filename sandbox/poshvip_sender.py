"""A Posh.VIP stand-in: signed webhook deliveries about the shared world's Posh.VIP buyers.

Posh.VIP has no public payload schema (api-notes §4, "contract unknown"), so the sender uses
ONE plausible shape (below); the adapter's tests cover other shapes. The story is
deterministic for a seed: purchases first, then updates, refunds, transfers and check-ins of
earlier orders. Duplicates resend an earlier delivery byte for byte; forged ones are fresh
events signed with the wrong secret.

Shape: ``{"id", "type", "created_at", "data": {"order": {"id", "quantity", "total", "currency"},
"buyer": {...}, "event": {"id", "name", "start"}, "ticket": {"id"}, "from": {...}, "to": {...},
"attendee": {...}, "refund": {"amount"}}}``.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from connectors.poshvip import sign
from sandbox.world import Person, World

POSH_EVENTS = (
    ("posh-friday-bouts", "Friday Night Bouts", 25.0),
    ("posh-open-salle", "Open Salle Social", 15.0),
    ("posh-saber-gala", "Saber Gala", 60.0),
    ("posh-summer-cup", "Summer Cup Finals", 35.0),
)
SIGNATURE_HEADER = "X-Posh-Signature"


@dataclass(frozen=True, slots=True)
class Delivery:
    """One HTTP delivery: body, signature, and what it is (``valid``, ``duplicate``, ``forged``)."""

    body: bytes
    signature: str
    kind: str
    event_id: str
    event_type: str


@dataclass
class SendReport:
    """What was sent and what came back."""

    sent: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    by_kind: dict[str, Counter[int]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def percentile(self, q: float) -> float:
        """Latency percentile in ms (0 when nothing was sent)."""
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly summary."""
        total = sum(self.sent.values())
        return {
            "sent": dict(self.sent),
            "statuses": dict(self.statuses),
            "by_kind": {k: {str(s): n for s, n in v.items()} for k, v in self.by_kind.items()},
            "errors": dict(self.errors),
            "seconds": round(self.seconds, 3),
            "deliveries_per_s": round(total / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": round(self.percentile(50), 2),
            "p99_ms": round(self.percentile(99), 2),
        }


def _contact(world: World, person: Person, rng: random.Random) -> dict[str, Any]:
    return {
        "email": world.email_variant(person, rng),
        "first_name": person.first_name,
        "last_name": person.last_name,
        "phone": person.phone,
    }


def build_events(
    world: World, count: int, *, seed: int = 1, start: datetime | None = None
) -> list[dict[str, Any]]:
    """``count`` Posh.VIP event payloads telling one plausible story about the world's buyers."""
    rng = random.Random(f"{world.seed}:poshvip:{seed}")
    buyers = world.pick_people(world.rng_for("poshvip"), max(4, min(len(world.people), count // 2 + 4)))
    when = start or datetime.now(UTC) - timedelta(days=7)
    orders: list[dict[str, Any]] = []
    payloads: list[dict[str, Any]] = []
    for n in range(count):
        when += timedelta(seconds=rng.randint(5, 120))
        kind = _event_kind(rng.random() if orders else 0.0)
        if kind == "purchase.created":
            order = _new_order(world, rng, buyers, f"ord_{seed}_{n:06d}", when)
            orders.append(order)
        else:
            order = rng.choice(orders)
        payloads.append(
            {
                "id": f"evt_{seed}_{n:06d}",
                "type": kind,
                "created_at": when.isoformat(),
                "data": _event_data(world, rng, kind, order, buyers),
            }
        )
    return payloads


def _event_kind(roll: float) -> str:
    """The event a roll in [0, 1) picks: mostly purchases, then transfers, check-ins, refunds."""
    if roll < 0.55:
        return "purchase.created"
    if roll < 0.62:
        return "purchase.updated"
    if roll < 0.70:
        return "purchase.refunded"
    if roll < 0.82:
        return "ticket.transferred"
    return "ticket.checked_in"


def _new_order(
    world: World, rng: random.Random, buyers: list[Person], order_id: str, when: datetime
) -> dict[str, Any]:
    """A new order by one of ``buyers`` (its first holder) for one of the Posh.VIP events."""
    slug, name, price = rng.choice(POSH_EVENTS)
    person = rng.choice(buyers)
    quantity = rng.choice((1, 1, 1, 2, 2, 4))
    return {
        "id": order_id,
        "quantity": quantity,
        "price": price,
        "currency": "USD",
        "buyer": _contact(world, person, rng),
        "holders": [person],
        "event": {
            "id": slug,
            "name": name,
            "start": (when + timedelta(days=rng.randint(3, 40))).isoformat(),
        },
    }


def _event_data(
    world: World, rng: random.Random, kind: str, order: dict[str, Any], buyers: list[Person]
) -> dict[str, Any]:
    """The ``data`` of a ``kind`` event about ``order`` (a transfer adds the new holder to it)."""
    base = {
        "order": {
            "id": order["id"],
            "quantity": order["quantity"],
            "total": order["quantity"] * order["price"],
            "currency": "USD",
        },
        "buyer": order["buyer"],
        "event": order["event"],
    }
    if kind == "purchase.updated":
        return {**base, "order": {**base["order"], "status": "paid", "note": "details updated"}}
    if kind == "purchase.refunded":
        return {**base, "refund": {"amount": base["order"]["total"], "reason": "requested_by_customer"}}
    if kind == "ticket.transferred":
        giver = rng.choice(order["holders"])
        taker = rng.choice(buyers + rng.sample(world.people, 3))
        if not taker.valid_email or taker is giver:
            taker = rng.choice(buyers)
        order["holders"].append(taker)
        return {
            **base,
            "ticket": {"id": f"tkt_{order['id']}_{rng.randint(1, 9)}"},
            "from": _contact(world, giver, rng),
            "to": _contact(world, taker, rng),
        }
    if kind == "ticket.checked_in":
        holder = rng.choice(order["holders"])
        return {**base, "ticket": {"id": f"tkt_{order['id']}_1"}, "attendee": _contact(world, holder, rng)}
    return dict(base)


def build_deliveries(
    world: World,
    count: int,
    *,
    secret: str,
    duplicate_rate: float = 0.0,
    forged_rate: float = 0.0,
    seed: int = 1,
) -> list[Delivery]:
    """``count`` deliveries: valid events, plus byte-identical redeliveries and forged ones at the given rates."""
    rng = random.Random(f"{world.seed}:poshvip-send:{seed}")
    n_dup = round(count * duplicate_rate)
    n_forged = round(count * forged_rate)
    n_valid = max(0, count - n_dup - n_forged)
    valid = []
    for payload in build_events(world, n_valid, seed=seed):
        body = json.dumps(payload, separators=(",", ":")).encode()
        valid.append(Delivery(body, sign(body, secret), "valid", payload["id"], payload["type"]))
    forged = []
    for i, payload in enumerate(build_events(world, n_forged, seed=seed + 10_000)):
        payload["id"] = f"forged_{seed}_{i:06d}"
        body = json.dumps(payload, separators=(",", ":")).encode()
        forged.append(Delivery(body, sign(body, secret + "-wrong"), "forged", payload["id"], payload["type"]))
    out: list[Delivery] = list(valid)
    for _ in range(n_dup if valid else 0):
        original = rng.choice(valid)
        at = rng.randint(0, len(out))
        out.insert(
            at,
            Delivery(original.body, original.signature, "duplicate", original.event_id, original.event_type),
        )
    for delivery in forged:
        out.insert(rng.randint(0, len(out)), delivery)
    return out


async def send_deliveries(
    url: str,
    deliveries: list[Delivery],
    *,
    concurrency: int = 16,
    request_timeout: float = 30.0,
    client: httpx.AsyncClient | None = None,
) -> SendReport:
    """POST every delivery to ``url`` with up to ``concurrency`` in flight; collect statuses and latencies."""
    report = SendReport()
    queue: asyncio.Queue[Delivery] = asyncio.Queue()
    for delivery in deliveries:
        queue.put_nowait(delivery)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    own = client is None
    http = client or httpx.AsyncClient(timeout=request_timeout, limits=limits)

    async def worker() -> None:
        while not queue.empty():
            delivery = queue.get_nowait()
            report.sent[delivery.kind] += 1
            started = time.perf_counter()
            try:
                response = await http.post(
                    url,
                    content=delivery.body,
                    headers={"Content-Type": "application/json", SIGNATURE_HEADER: delivery.signature},
                )
            except httpx.HTTPError as exc:
                report.errors[type(exc).__name__] += 1
                continue
            report.latencies_ms.append((time.perf_counter() - started) * 1000)
            report.statuses[str(response.status_code)] += 1
            report.by_kind.setdefault(delivery.kind, Counter())[response.status_code] += 1

    started = time.perf_counter()
    try:
        await asyncio.gather(*[worker() for _ in range(max(1, concurrency))])
    finally:
        if own:
            await http.aclose()
    report.seconds = time.perf_counter() - started
    return report
