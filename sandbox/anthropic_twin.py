"""Offline twin of the Anthropic Messages API (``POST /v1/messages``) for tests, demo and bench.

Mounted by the sandbox framework under ``/anthropic``, so the SDK's ``base_url`` is
``http://127.0.0.1:PORT/anthropic``. Answers in the real response shape (``id``, ``type``, ``role``,
``content`` blocks incl. ``tool_use``, ``model``, ``stop_reason``, ``usage`` with ``cache_*``
fields) and error shape (``{"type": "error", "error": {...}, "request_id": ...}``).

It plays a well-behaved narrator: it reads the facts table inside ``<facts>`` from the user
message and returns insights whose numbers are copied from the facts they cite.

Faults come two ways. The framework's generic ones (``ctx.faults.queue("anthropic", "429"|"5xx")``
or a random rate) answer with :data:`FAULTS`: a real-shaped 429 ``rate_limit_error`` with
``retry-after`` and a 529 ``overloaded_error``. Anthropic-specific knobs live in
``ctx.state["anthropic"]`` (see :func:`twin_state`):

- ``faults``: a queue consumed one per request: ``"rate_limit"`` (429 ``rate_limit_error`` with
  ``retry-after``), ``"overloaded"`` (529 ``overloaded_error``), ``"spend_limit"`` (429 with
  ``error.details.error_code = "enforced_spend_limit_reached"``), ``"server_error"`` (500);
- ``retry_after``: the ``retry-after`` seconds sent with rate limits (default ``"0"``);
- ``ungrounded``: ``"never"`` (default), ``"once"`` (the first answer slips an invented number into
  one insight; the re-ask is answered correctly) or ``"always"`` (every answer, re-asks included);
- records: ``requests`` (parsed bodies), ``raw_bodies`` (exact request bodies as text),
  ``calls``, ``usage`` (per response).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from typing import Any

import fastapi
from fastapi.responses import JSONResponse

from sandbox.framework import FaultProfile, SandboxContext

SLIPPED_NUMBER = "987,654"
_FACTS = re.compile(r"<facts>\s*(.*?)\s*</facts>", re.DOTALL)
_FEEDBACK = re.compile(r"<feedback>\s*(.*?)\s*</feedback>", re.DOTALL)


#: The key the twin accepts (what ``engarde sandbox`` hands to the connectors).
API_KEY = "sk-ant-sandbox"


def twin_state(ctx: SandboxContext) -> dict[str, Any]:
    """This twin's mutable state inside ``ctx.state`` (created with defaults on first use)."""
    state: dict[str, Any] = ctx.state.setdefault("anthropic", {})
    state.setdefault("faults", [])
    state.setdefault("retry_after", "0")
    state.setdefault("ungrounded", "never")
    state.setdefault("requests", [])
    state.setdefault("raw_bodies", [])
    state.setdefault("usage", [])
    state.setdefault("calls", 0)
    state.setdefault("slipped", 0)
    state.setdefault("cache", set())
    state.setdefault("api_key", API_KEY)
    return state


def _unauthorised(request: fastapi.Request, state: dict[str, Any]) -> JSONResponse | None:
    """The real API's 401 unless the request carries the twin's key."""
    key = request.headers.get("x-api-key") or request.headers.get("authorization", "").removeprefix("Bearer ")
    if not key:
        return _error(401, "authentication_error", "x-api-key header is required")
    if key != state["api_key"]:
        return _error(401, "authentication_error", "invalid x-api-key")
    return None


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


def _error(
    status: int, kind: str, message: str, *, headers: dict[str, str] | None = None, details: Any = None
) -> JSONResponse:
    rid = f"req_twin_{random.getrandbits(48):012x}"
    error: dict[str, Any] = {"type": kind, "message": message}
    if details is not None:
        error["details"] = details
    return JSONResponse(
        {"type": "error", "error": error, "request_id": rid},
        status_code=status,
        headers={"request-id": rid, **(headers or {})},
    )


def _fault_response(fault: str, state: dict[str, Any]) -> JSONResponse:
    if fault == "rate_limit":
        return _error(
            429,
            "rate_limit_error",
            "This request would exceed your organization's rate limit (twin).",
            headers={"retry-after": str(state["retry_after"]), "x-should-retry": "true"},
        )
    if fault == "spend_limit":
        return _error(
            429,
            "rate_limit_error",
            "You have reached your specified API usage limits (twin).",
            details={"error_code": "enforced_spend_limit_reached"},
        )
    if fault == "overloaded":
        return _error(529, "overloaded_error", "Overloaded")
    return _error(500, "api_error", "Internal server error (twin)")


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(b.get("text", "")) for b in content if isinstance(b, dict))
    return ""


def _facts(text: str) -> list[dict[str, Any]]:
    match = _FACTS.search(text)
    if not match:
        return []
    table = json.loads(match.group(1))
    return [dict(zip(table["columns"], row, strict=True)) for row in table["rows"]]


def _num(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _insight(fact: dict[str, Any]) -> dict[str, Any]:
    text = f"{fact['label']} was {_num(fact['value'])}"
    if fact.get("previous") is not None:
        text += f", compared with {_num(fact['previous'])} in the previous window"
    if fact.get("change_pct") is not None:
        text += f" ({fact['change_pct']:+.1f}%)"
    return {
        "title": f"{fact['label']} {'changed' if fact.get('change') else 'held'}",
        "text": text + ".",
        "fact_ids": [fact["id"]],
        "suggested_action": "Review this number with the team.",
    }


def _insights(facts: list[dict[str, Any]], feedback: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    by_id = {f["id"]: f for f in facts}
    if feedback is not None:
        out = []
        for item in feedback:
            cited = [i for i in item["insight"].get("fact_ids", []) if i in by_id]
            fact = by_id[cited[0]] if cited else next(iter(by_id.values()))
            out.append(_insight(fact))
        return out
    numeric = [
        f for f in facts if isinstance(f.get("value"), int | float) and not isinstance(f["value"], bool)
    ]
    numeric.sort(key=lambda f: abs(f.get("change_pct") or 0.0), reverse=True)
    return [_insight(f) for f in numeric[:5]]


FAULTS = FaultProfile(
    rate_limited=lambda: _fault_response("rate_limit", {"retry_after": "2"}),
    server_error=lambda: _fault_response("overloaded", {}),
)


def build_app(ctx: SandboxContext) -> fastapi.FastAPI:
    """The twin's ASGI app (``GET /v1/models/{id}``, ``POST /v1/messages``); state in ``ctx.state["anthropic"]``."""
    app = fastapi.FastAPI(title="Anthropic twin")
    state = twin_state(ctx)
    ctx.stats_hooks["anthropic"] = lambda: {
        "calls": state["calls"],
        "messages": len(state["requests"]),
        "pending_faults": list(state["faults"]),
        "ungrounded": state["ungrounded"],
    }

    @app.get("/v1/models/{model_id}")
    async def get_model(model_id: str, request: fastapi.Request) -> JSONResponse:
        if (refused := _unauthorised(request, twin_state(ctx))) is not None:
            return refused
        if not model_id.startswith("claude-"):
            return _error(404, "not_found_error", f"model: {model_id}")
        return JSONResponse(
            {"type": "model", "id": model_id, "display_name": model_id, "created_at": "2025-09-29T00:00:00Z"}
        )

    @app.post("/v1/messages")
    async def create_message(request: fastapi.Request) -> JSONResponse:
        return await _create_message(request, twin_state(ctx))

    return app


async def _create_message(request: fastapi.Request, state: dict[str, Any]) -> JSONResponse:
    """``POST /v1/messages``: record the call, refuse or fault it, else answer with grounded insights."""
    raw = await request.body()
    state["calls"] += 1
    state["raw_bodies"].append(raw.decode("utf-8"))
    if (refused := _unauthorised(request, state)) is not None:
        return refused
    if state["faults"]:
        return _fault_response(str(state["faults"].pop(0)), state)
    try:
        body = json.loads(raw)
    except json.JSONDecodeError:
        return _error(400, "invalid_request_error", "body is not JSON")
    state["requests"].append(body)
    missing = [k for k in ("model", "max_tokens", "messages") if k not in body]
    if missing:
        return _error(400, "invalid_request_error", f"{missing[0]}: Field required")
    usage = _input_usage(body, state)
    content, stop_reason = _content(body, state, _answer_insights(body, state))
    usage["output_tokens"] = _tokens(json.dumps(content))
    state["usage"].append(usage)
    return JSONResponse(
        {
            "id": f"msg_twin_{state['calls']:06d}",
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": usage,
        },
        headers={"request-id": f"req_twin_{state['calls']:06d}"},
    )


def _input_usage(body: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    """The ``usage`` of the request's input, with prompt caching of a ``cache_control`` system prefix."""
    system_blocks = body.get("system") or []
    system_text = system_blocks if isinstance(system_blocks, str) else _text_of(system_blocks)
    tools_text = json.dumps(body.get("tools") or [], separators=(",", ":"))
    user_text = "\n".join(_text_of(m.get("content")) for m in body["messages"])
    cached = isinstance(system_blocks, list) and any(
        isinstance(b, dict) and b.get("cache_control") for b in system_blocks
    )
    prefix_tokens = _tokens(tools_text + system_text)
    usage: dict[str, Any] = {
        "input_tokens": _tokens(user_text) + (0 if cached else prefix_tokens),
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
        "output_tokens": 0,
        "service_tier": "standard",
    }
    if cached:
        key = hashlib.sha256((tools_text + system_text).encode()).hexdigest()
        if key in state["cache"]:
            usage["cache_read_input_tokens"] = prefix_tokens
        else:
            state["cache"].add(key)
            usage["cache_creation_input_tokens"] = prefix_tokens
            usage["cache_creation"] = {
                "ephemeral_5m_input_tokens": prefix_tokens,
                "ephemeral_1h_input_tokens": 0,
            }
    return usage


def _answer_insights(body: dict[str, Any], state: dict[str, Any]) -> list[dict[str, Any]]:
    """Insights for the facts in the last user message (a re-ask answers its feedback), maybe slipped."""
    last_user = _text_of(body["messages"][-1].get("content"))
    feedback_match = _FEEDBACK.search(last_user)
    feedback = json.loads(feedback_match.group(1)) if feedback_match else None
    insights = _insights(_facts(last_user), feedback)
    mode = state["ungrounded"]
    if insights and (mode == "always" or (mode == "once" and state["slipped"] == 0 and feedback is None)):
        state["slipped"] += 1
        insights[0]["text"] += f" That is about {SLIPPED_NUMBER} more than planned."
    return insights


def _content(
    body: dict[str, Any], state: dict[str, Any], insights: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], str]:
    """The answer's content blocks and stop reason: a forced tool call, or JSON text."""
    choice = body.get("tool_choice") or {}
    if choice.get("type") == "tool":
        payload = {"insights": insights}
        content: list[dict[str, Any]] = [
            {
                "type": "tool_use",
                "id": f"toolu_twin_{state['calls']:06d}",
                "name": choice["name"],
                "input": payload,
                "caller": {"type": "direct"},
            }
        ]
        return content, "tool_use"
    return [{"type": "text", "text": json.dumps({"insights": insights})}], "end_turn"
