"""Which request headers are stored with a delivery, and how much of them.

In this order: headers whose name suggests a credential are left out; each remaining value is
cut to :data:`MAX_VALUE_CHARS` (marked with a trailing ``…[cut]``); headers stop being added
once :data:`MAX_TOTAL_CHARS` are stored (``x-engarde-headers-dropped`` then counts the rest).
The raw body is what processing reads; headers are kept for diagnosis, so a sender (or an
attacker with a valid signature) cannot make every stored row carry kilobytes of junk.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

SECRET_HEADER_WORDS = ("authorization", "cookie", "secret", "token", "password", "api-key", "apikey")
_SECRET_NAME = re.compile("|".join(re.escape(word) for word in SECRET_HEADER_WORDS))
MAX_VALUE_CHARS = 1024
MAX_TOTAL_CHARS = 8192
CUT_MARK = "…[cut]"
DROPPED = "x-engarde-headers-dropped"


def stored_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """The headers as stored: no credentials, each value and the whole capped (see the module docstring)."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    kept: dict[str, str] = {}
    total = dropped = 0
    for raw_name, raw_value in items:
        name = raw_name.lower()[:MAX_VALUE_CHARS]
        if _SECRET_NAME.search(name) is not None:
            continue
        value = raw_value if len(raw_value) <= MAX_VALUE_CHARS else raw_value[:MAX_VALUE_CHARS] + CUT_MARK
        size = len(name) + len(value)
        if total + size > MAX_TOTAL_CHARS or name in kept:
            dropped += 1
            continue
        kept[name] = value
        total += size
    if dropped:
        kept[DROPPED] = str(dropped)
    return kept
