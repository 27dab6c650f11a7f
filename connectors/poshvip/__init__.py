"""Posh.VIP: signature verification and the versioned payload adapter (pure parsing, no I/O).

Posh.VIP has no pull API; its webhooks are received by ``webhooks/`` and mapped here later.
"""

from connectors.poshvip.adapter import (
    ADAPTER_VERSION,
    EVENT_TYPES,
    Contact,
    PoshEvent,
    UnmappableEvent,
    decode_body,
    dedupe_key,
    delivery_event_id,
    event_type_of,
    map_event,
)
from connectors.poshvip.signature import compute_signature, sign, signed_content, verify_signature

__all__ = [
    "ADAPTER_VERSION",
    "EVENT_TYPES",
    "Contact",
    "PoshEvent",
    "UnmappableEvent",
    "compute_signature",
    "decode_body",
    "dedupe_key",
    "delivery_event_id",
    "event_type_of",
    "map_event",
    "sign",
    "signed_content",
    "verify_signature",
]
