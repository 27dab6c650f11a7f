"""The versioned Posh.VIP payload adapter: raw body -> :class:`PoshEvent`, pure parsing.

Posh.VIP publishes no payload schema (api-notes §4), so every value is looked up in a
short list of candidate field paths, tried in order, under the event's data root
(the payload itself, ``data``, ``data.object``, ``payload`` or ``object``). A body
whose event type or essential fields cannot be found raises :class:`UnmappableEvent`
with a reason an admin can act on; the raw event stays stored and is re-processed
(``replay``) once this adapter learns its shape. Bump :data:`ADAPTER_VERSION` whenever
a mapping changes.

Decoding is bounded: a body over :data:`MAX_BODY_BYTES` or nested deeper than
:data:`MAX_DEPTH` is refused before ``json.loads`` sees it (1,000 nested arrays would
otherwise raise ``RecursionError``), and numbers must be finite and plausible, so no
input raises anything but :class:`UnmappableEvent`.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from datetime import UTC, datetime
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict

ADAPTER_VERSION: Final = 1
#: Largest body decoded (the receiver stores at most 1 MiB by default).
MAX_BODY_BYTES: Final = 1024 * 1024
#: Deepest nesting of objects and arrays decoded (real payloads nest 3 or 4 levels).
MAX_DEPTH: Final = 32
#: Largest ticket quantity and absolute amount believed; beyond, the field is treated as absent.
MAX_QUANTITY: Final = 100_000
MAX_AMOUNT: Final = 1e12
#: A JSON string, or an unterminated one up to the end: every match attempt succeeds (linear time).
_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+(?:"|\\?\Z)', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")

EventType = Literal[
    "purchase.created", "purchase.updated", "purchase.refunded", "ticket.transferred", "ticket.checked_in"
]
EVENT_TYPES: Final[tuple[str, ...]] = (
    "purchase.created",
    "purchase.updated",
    "purchase.refunded",
    "ticket.transferred",
    "ticket.checked_in",
)
#: Spellings seen in the wild for the same event names (``order.created``, ``purchase_created``...).
_TYPE_ALIASES: Final[dict[str, str]] = {
    "order.created": "purchase.created",
    "order.updated": "purchase.updated",
    "order.refunded": "purchase.refunded",
    "refund.created": "purchase.refunded",
    "ticket.transfer": "ticket.transferred",
    "ticket.checkin": "ticket.checked_in",
    "ticket.checkedin": "ticket.checked_in",
    "attendee.checked_in": "ticket.checked_in",
}

_ID_FIELDS: Final = ("id", "event_id", "webhook_id", "eventId", "webhookId")
_MAX_KEY_ID = 100

Path = tuple[str, ...]


def _p(*dotted: str) -> tuple[Path, ...]:
    return tuple(tuple(d.split(".")) for d in dotted)


_TYPE: Final = _p("type", "event", "event_type", "eventType", "topic", "action")
_ROOTS: Final = _p("data.object", "data", "payload", "object")
_ORDER_ID: Final = _p(
    "order_id", "orderId", "order.id", "purchase_id", "purchaseId", "purchase.id", "order.number", "id"
)
_CONTACT_ROOTS: Final = _p(
    "buyer", "customer", "purchaser", "user", "account", "order.buyer", "order.customer"
)
_HOLDER_ROOTS: Final = _p("attendee", "holder", "ticket.holder", "ticket.attendee", "guest")
_FROM_ROOTS: Final = _p("from", "previous_holder", "previousHolder", "transferor", "sender", "old_holder")
_TO_ROOTS: Final = _p("to", "new_holder", "newHolder", "transferee", "recipient")
_EMAIL: Final = _p("email", "email_address", "emailAddress")
_FIRST: Final = _p("first_name", "firstName", "given_name")
_LAST: Final = _p("last_name", "lastName", "family_name")
_FULL: Final = _p("name", "full_name", "fullName")
_PHONE: Final = _p("phone", "phone_number", "phoneNumber", "mobile")
_QUANTITY: Final = _p(
    "quantity", "ticket_count", "ticketCount", "num_tickets", "order.quantity", "tickets", "order.tickets"
)
_AMOUNT: Final = _p(
    "amount", "total", "total_amount", "totalAmount", "amount_paid", "order.total", "order.amount", "price"
)
_AMOUNT_MINOR: Final = _p("amount_cents", "total_cents", "totalCents", "order.total_cents")
_REFUND: Final = _p("refund_amount", "refunded_amount", "amount_refunded", "refund.amount", "refundAmount")
_CURRENCY: Final = _p(
    "currency", "currency_code", "currencyCode", "order.currency", "amount.currency", "total.currency"
)
_EVENT_ID: Final = _p("event.id", "event_id", "eventId", "party.id", "event.slug")
_EVENT_NAME: Final = _p("event.name", "event.title", "event_name", "eventName", "party.name", "event.slug")
_EVENT_START: Final = _p(
    "event.start", "event.start_date", "event.starts_at", "event.startDate", "event_start"
)
_TICKET_ID: Final = _p("ticket_id", "ticketId", "ticket.id")
_WHEN: Final = _p(
    "occurred_at",
    "created_at",
    "createdAt",
    "purchased_at",
    "updated_at",
    "refunded_at",
    "transferred_at",
    "checked_in_at",
    "checkedInAt",
    "timestamp",
    "time",
)
_WHEN_TOP: Final = _p("created_at", "createdAt", "timestamp", "occurred_at", "time", "created")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class UnmappableEvent(ValueError):
    """The adapter cannot map this body; ``reason`` says what is missing, in plain words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Contact(BaseModel):
    """A person as a payload names them; ``email`` as given (normalised later, in ``audience``)."""

    model_config = ConfigDict(frozen=True)

    email: str
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None


class PoshEvent(BaseModel):
    """One mapped Posh.VIP event. Amounts are major units; datetimes are UTC-aware."""

    model_config = ConfigDict(frozen=True)

    event_type: EventType
    event_ref: str | None = None
    order_id: str
    buyer: Contact | None = None
    holder: Contact | None = None
    from_holder: Contact | None = None
    to_holder: Contact | None = None
    quantity: int | None = None
    amount: float | None = None
    refund_amount: float | None = None
    currency: str | None = None
    event_id: str | None = None
    event_name: str | None = None
    event_start: datetime | None = None
    ticket_id: str | None = None
    occurred_at: datetime | None = None
    adapter_version: int = ADAPTER_VERSION


# --------------------------------------------------------------------------- lookups


def _get(obj: Any, path: Path) -> Any:
    for part in path:
        if not isinstance(obj, dict) or part not in obj:
            return None
        obj = obj[part]
    return obj


def _first(obj: Any, paths: tuple[Path, ...]) -> Any:
    for path in paths:
        value = _get(obj, path)
        if value is not None and value != "":
            return value
    return None


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def _number(value: Any) -> float | None:
    if isinstance(value, dict):
        value = _first(value, _p("value", "amount", "total"))
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(str(value).replace(",", "")) if isinstance(value, str) else float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) and abs(number) <= MAX_AMOUNT else None


def _when(value: Any) -> datetime | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        if isinstance(value, int | float):
            seconds = value / 1000 if value > 1e11 else value
            return datetime.fromtimestamp(seconds, tz=UTC)
        parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _contact(obj: Any, roots: tuple[Path, ...], *, flat_prefixes: tuple[str, ...] = ()) -> Contact | None:
    """A contact from the first root holding an email, or from flat ``<prefix>email`` fields."""
    for root in roots:
        node = _get(obj, root)
        if isinstance(node, str) and "@" in node:
            return Contact(email=node.strip())
        if isinstance(node, dict):
            email = _text(_first(node, _EMAIL))
            if email:
                return _contact_from(node, email)
    for prefix in flat_prefixes:
        email = _text(_get(obj, (f"{prefix}email",)))
        if email:
            flat = {
                k[len(prefix) :]: v for k, v in obj.items() if isinstance(k, str) and k.startswith(prefix)
            }
            return _contact_from(flat, email)
    return None


def _contact_from(node: dict[str, Any], email: str) -> Contact:
    first, last = _text(_first(node, _FIRST)), _text(_first(node, _LAST))
    full = _text(_first(node, _FULL))
    if full and not (first or last):
        first, _, rest = full.partition(" ")
        last = rest or None
    return Contact(email=email, first_name=first, last_name=last, phone=_text(_first(node, _PHONE)))


def _quantity(value: Any) -> int | None:
    if isinstance(value, list):
        return len(value)
    number = _number(value)
    return int(number) if number is not None and 0 <= number <= MAX_QUANTITY else None


# --------------------------------------------------------------------------- public


def nesting_depth(body: bytes, *, stop_above: int | None = None) -> int:
    """How deep objects and arrays nest in ``body`` (brackets inside strings ignored), in linear time.

    With ``stop_above``, returns as soon as the depth passes it (the rest is not scanned).
    """
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub(b"", body)):
        if match.group() in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
            if stop_above is not None and deepest > stop_above:
                break
        else:
            depth -= 1
    return deepest


def decode_body(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or :class:`UnmappableEvent` saying why it is not one.

    Bounded: larger than :data:`MAX_BODY_BYTES` or nested deeper than :data:`MAX_DEPTH` is refused.
    """
    if not body.strip():
        raise UnmappableEvent("empty body")
    if len(body) > MAX_BODY_BYTES:
        raise UnmappableEvent(f"body of {len(body):,} bytes is larger than {MAX_BODY_BYTES:,}")
    if nesting_depth(body, stop_above=MAX_DEPTH) > MAX_DEPTH:
        raise UnmappableEvent(f"body nests more than {MAX_DEPTH} levels deep (not decoded)")
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, ValueError) as exc:
        raise UnmappableEvent(f"body is not JSON ({type(exc).__name__})") from None
    if not isinstance(payload, dict):
        raise UnmappableEvent(f"body is JSON {type(payload).__name__}, not an object")
    return payload


def event_type_of(payload: dict[str, Any]) -> str | None:
    """The payload's event type, normalised (``Purchase_Created`` -> ``purchase.created``), or None."""
    raw = _text(_first(payload, _TYPE))
    if raw is None:
        return None
    name = raw.strip().lower().replace("_", ".").replace("-", ".").replace(" ", ".")
    name = name.replace("checked.in", "checked_in")
    return _TYPE_ALIASES.get(name, name)


def delivery_event_id(payload: Any) -> str | None:
    """The sender's event id (``id``, ``event_id``, ``webhook_id``) at the top level, if any."""
    if not isinstance(payload, dict):
        return None
    for name in _ID_FIELDS:
        value = payload.get(name)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
    return None


def dedupe_key(body: bytes) -> str:
    """The delivery's dedupe key: ``id:<event id>`` when the JSON body names one, else ``sha256:<hex>``.

    Only the top-level id is read (one cheap JSON decode); anything else is the flow's job.
    """
    event_id: str | None = None
    try:
        event_id = delivery_event_id(json.loads(body))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        event_id = None
    if event_id is not None:
        if len(event_id) <= _MAX_KEY_ID:
            return f"id:{event_id}"
        return "idsha256:" + hashlib.sha256(event_id.encode()).hexdigest()
    return "sha256:" + hashlib.sha256(body).hexdigest()


def map_event(body: bytes) -> PoshEvent:
    """Map one raw delivery to a :class:`PoshEvent`, or raise :class:`UnmappableEvent`."""
    payload = decode_body(body)
    kind = event_type_of(payload)
    if kind is None:
        raise UnmappableEvent("no event type (looked for: type, event, event_type, topic, action)")
    if kind not in EVENT_TYPES:
        raise UnmappableEvent(f"unknown event type {kind!r}")
    root: dict[str, Any] = payload
    for path in _ROOTS:
        node = _get(payload, path)
        if isinstance(node, dict) and node:
            root = node
            break
    order_id = _text(_first(root, _ORDER_ID))
    if order_id is None or (root is payload and _first(root, _ORDER_ID[:-1]) is None):
        raise UnmappableEvent(f"{kind}: no order id (looked for: order_id, order.id, purchase_id, data id)")
    buyer = _contact(root, _CONTACT_ROOTS, flat_prefixes=("buyer_", "customer_", "purchaser_", ""))
    holder = _contact(root, _HOLDER_ROOTS, flat_prefixes=("attendee_", "holder_"))
    from_holder = _contact(root, _FROM_ROOTS, flat_prefixes=("from_", "previous_holder_", "old_holder_"))
    to_holder = _contact(root, _TO_ROOTS, flat_prefixes=("to_", "new_holder_"))
    minor = _number(_first(root, _AMOUNT_MINOR))
    amount = minor / 100 if minor is not None else _number(_first(root, _AMOUNT))
    currency = _text(_first(root, _CURRENCY))
    if kind in ("purchase.created", "purchase.updated") and buyer is None:
        raise UnmappableEvent(f"{kind}: no buyer email (looked for: buyer/customer/purchaser email, email)")
    if kind == "ticket.transferred" and (to_holder is None or from_holder is None):
        missing = "new holder" if to_holder is None else "previous holder"
        raise UnmappableEvent(f"{kind}: no {missing} email (looked for: from/to, previous_holder/new_holder)")
    for contact in (buyer, holder, from_holder, to_holder):
        if contact is not None and not _EMAIL_RE.match(contact.email.strip()):
            raise UnmappableEvent(f"{kind}: {contact.email!r} is not an email address")
    return PoshEvent(
        event_type=kind,
        event_ref=delivery_event_id(payload),
        order_id=order_id,
        buyer=buyer,
        holder=holder,
        from_holder=from_holder,
        to_holder=to_holder,
        quantity=_quantity(_first(root, _QUANTITY)),
        amount=amount,
        refund_amount=_number(_first(root, _REFUND)),
        currency=currency.upper() if currency else None,
        event_id=_text(_first(root, _EVENT_ID)),
        event_name=_text(_first(root, _EVENT_NAME)),
        event_start=_when(_first(root, _EVENT_START)),
        ticket_id=_text(_first(root, _TICKET_ID)),
        occurred_at=_when(_first(root, _WHEN)) or _when(_first(payload, _WHEN_TOP)),
    )
