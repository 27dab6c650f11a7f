"""The Brevo twin checked against Brevo's own published definition, property-based.

``brevo_swagger_ops.json`` holds the definition's operations that the twin implements (see
its ``_source``). For each, hypothesis draws path parameters, query parameters and bodies from
the declared schemas — mostly well typed, sometimes of a wrong JSON type — plus one canonical
valid request, sends them over loopback, and asserts: never a 5xx, only status codes the
definition declares, and an answer body valid against the declared schema (undeclared fields
included). What the definition gets wrong against Brevo's real behaviour is allowed here only
through :data:`DEFINITION_GAPS`, each with its source in ``sandbox.brevo_twin``'s docstring.
A twin answer broken on purpose (an import without ``processId``) must make this fail.
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.brevo_twin import API_KEY, BrevoState
from sandbox.framework import RunningSandbox, create_sandbox_app, new_context
from tests.sandbox.contracts import contract_errors

OPERATIONS: dict[str, Any] = json.loads((Path(__file__).parent / "brevo_swagger_ops.json").read_text())[
    "operations"
]
#: Definition operation -> the twin's route (same method) where the names differ.
TWIN_PATHS = {"/contacts/{email}": "/contacts/{identifier}"}
#: What the published definition gets wrong, each explained in sandbox.brevo_twin's docstring.
DEFINITION_GAPS = {
    "undeclared_status": {401: "unauthorized on every operation", 413: "import body over 10 MB"},
    "error_codes": ("bad_request",),
    "undeclared_fields": ("whatsappBlacklisted", "created_at", "completed_at", "info"),
}
EXAMPLES = 12
JUNK = st.sampled_from(["abc", 7, -1, True, [], {}, None, ["x"], "2026-01-01"])
CANONICAL: dict[str, dict[str, Any]] = {
    "POST /contacts/import": {
        "jsonBody": [{"email": "canon@example.org", "attributes": {"FIRSTNAME": "Canon"}}],
        "listIds": [2],
        "updateExistingContacts": True,
        "emptyContactsAttributes": False,
    },
    "POST /contacts": {"email": "canon.create@example.org", "attributes": {"FIRSTNAME": "C"}, "listIds": [2]},
    "POST /contacts/lists": {"name": "Canon", "folderId": 1},
    "POST /contacts/folders": {"name": "Canon"},
    "POST /contacts/lists/{listId}/contacts/add": {"emails": ["canon@example.org"]},
    "POST /contacts/lists/{listId}/contacts/remove": {"emails": ["canon@example.org"]},
    "POST /smtp/email": {
        "sender": {"email": "team@example.org"},
        "to": [{"email": "canon@example.org"}],
        "subject": "Hi",
        "textContent": "Hello",
    },
    "POST /contacts/attributes/{attributeCategory}/{attributeName}": {"type": "text"},
}


def valid(schema: dict[str, Any], pools: dict[str, list[Any]], depth: int = 0) -> st.SearchStrategy[Any]:
    """Values that fit ``schema`` (Swagger 2.0 subset), drawn near the twin's real ids and emails."""
    kind = schema.get("type", "object")
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if kind == "string":
        if schema.get("format") == "email":
            return st.sampled_from(pools["emails"])
        if schema.get("format") == "date-time":
            return st.sampled_from(["2026-01-01T00:00:00.000Z", "2025-06-30T12:00:00+02:00"])
        return st.text(string.ascii_letters + " ", min_size=1, max_size=8)
    if kind == "integer":
        return st.sampled_from(pools["ids"]) | st.integers(0, 10**6)
    if kind == "number":
        return st.floats(-1e6, 1e6, allow_nan=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        return st.lists(some(schema.get("items", {}), pools, depth + 1), max_size=3)
    props = schema.get("properties") or {}
    if not props or depth > 2:
        return st.dictionaries(
            st.sampled_from(["FIRSTNAME", "LASTNAME", "NOPE"]), st.text(max_size=5), max_size=2
        )
    required = set(schema.get("required") or [])
    return st.fixed_dictionaries(
        {k: some(v, pools, depth + 1) for k, v in props.items() if k in required},
        optional={k: some(v, pools, depth + 1) for k, v in props.items() if k not in required},
    )


def some(schema: dict[str, Any], pools: dict[str, list[Any]], depth: int = 0) -> st.SearchStrategy[Any]:
    """Mostly valid values, one in ten of a wrong JSON type."""
    good = valid(schema, pools, depth)
    return st.integers(0, 9).flatmap(lambda n: JUNK if n == 0 else good)


def as_query(value: Any) -> str:
    """How a query parameter travels (lists comma-separated)."""
    if isinstance(value, list):
        return ",".join(map(str, value))
    return str(value).lower() if isinstance(value, bool) else str(value)


def request_strategy(key: str, pools: dict[str, list[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """A whole request (path, query, body) for operation ``key``."""
    method, _path = key.split(" ", 1)
    parts: dict[str, Any] = {"path": {}, "query": {}}
    optional: dict[str, Any] = {}
    body: st.SearchStrategy[Any] = st.none()
    for param in OPERATIONS[key]["parameters"]:
        name, where = param["name"], param["in"]
        if where == "body":
            body = some(param["schema"], pools)
            if key in CANONICAL:
                body = st.just(CANONICAL[key]) | body
        elif where == "path":
            pool = pools["emails"] if name == "email" else pools["ids"]
            parts["path"][name] = st.sampled_from(pool) | some(param, pools)
        else:
            optional[name] = some(param, pools).map(as_query)
    return st.fixed_dictionaries(
        {
            "method": st.just(method),
            "path": st.fixed_dictionaries(parts["path"]),
            "query": st.fixed_dictionaries({}, optional=optional),
            "body": body,
        }
    )


def answer_errors(key: str, response: httpx.Response) -> list[str]:
    """What is wrong with one answer of the twin for operation ``key``."""
    declared: dict[str, Any] = OPERATIONS[key]["responses"]
    status = response.status_code
    if status >= 500:
        return [f"{status}: server error {response.text[:200]}"]
    if str(status) not in declared and status not in DEFINITION_GAPS["undeclared_status"]:
        return [f"{status}: not declared ({sorted(declared)}) {response.text[:200]}"]
    schema = declared.get(str(status)) or (declared.get("400") if status >= 400 else None)
    if not schema or status == 204:  # a 204 has no content, whatever the definition declares
        return [] if not response.content else [f"{status}: a body where none is declared"]
    try:
        body = response.json()
    except ValueError:
        return [f"{status}: not JSON: {response.text[:200]!r}"]
    if status >= 400 and isinstance(body, dict) and body.get("code") in DEFINITION_GAPS["error_codes"]:
        return []
    known = DEFINITION_GAPS["undeclared_fields"]
    return [f"{status}: {e}" for e in contract_errors(schema, body, known_omissions=known)]


def run_contract(base_url: str, key: str, pools: dict[str, list[Any]], examples: int = EXAMPLES) -> None:
    """Drive operation ``key`` of the twin at ``base_url`` with ``examples`` drawn requests."""
    twin_path = TWIN_PATHS.get(key.split(" ", 1)[1], key.split(" ", 1)[1])

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(request_strategy(key, pools))
    def check(req: dict[str, Any]) -> None:
        path = twin_path
        for name, value in req["path"].items():
            for placeholder in (name, "identifier"):
                path = path.replace("{" + placeholder + "}", str(value))
        response = http.request(req["method"], path, params=req["query"], json=req["body"])
        errors = answer_errors(key, response)
        assert not errors, f"{req} -> {errors}"

    with httpx.Client(base_url=base_url, headers={"api-key": API_KEY}, timeout=10) as http:
        check()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with RunningSandbox(new_context(scale=100, seed=11)) as running:
        running_state(running).rate_limits = {t: (10**6, 1.0) for t in ("contacts", "unlisted", "smtp")}
        yield running


def running_state(running: RunningSandbox) -> BrevoState:
    value = running.ctx.state["brevo"]
    assert isinstance(value, BrevoState)
    return value


def pools_of(state: BrevoState) -> dict[str, list[Any]]:
    """Ids and emails the twin knows, so drawn requests reach real records as well as missing ones."""
    emails = [*sorted(state.contacts)[:5], "nobody@example.org", "canon@example.org"]
    return {"emails": emails, "ids": [1, 2, 100, 101, 99_999]}


def seed_processes(url: str) -> None:
    with httpx.Client(base_url=url, headers={"api-key": API_KEY}) as http:
        for _ in range(2):  # processes 100 and 101 exist for GET /processes/{processId}
            http.post("/contacts/import", json=CANONICAL["POST /contacts/import"])


@pytest.mark.parametrize("key", sorted(OPERATIONS))
def test_twin_keeps_brevos_published_contract(sandbox: RunningSandbox, key: str) -> None:
    url = sandbox.env["BREVO_API_URL"]
    if not running_state(sandbox).processes:
        seed_processes(url)
    run_contract(url, key, pools_of(running_state(sandbox)))


def _without_process_id(app: ASGIApp) -> ASGIApp:
    """The sandbox app with the import's ``processId`` dropped from its answer (a broken twin)."""

    async def broken(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].endswith("/v3/contacts/import"):
            await app(scope, receive, send)
            return
        start: dict[str, Any] = {}

        async def rewrite(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            body = json.loads(message["body"] or b"{}")
            body.pop("processId", None)
            raw = json.dumps(body).encode()
            headers = [(k, v) for k, v in start["headers"] if k != b"content-length"]
            await send({**start, "headers": [*headers, (b"content-length", str(len(raw)).encode())]})
            await send({"type": "http.response.body", "body": raw})

        await app(scope, receive, rewrite)

    return broken


def test_a_broken_answer_fails_the_contract() -> None:
    ctx = new_context(scale=50, seed=12)
    with RunningSandbox(ctx, app=_without_process_id(create_sandbox_app(ctx))) as broken:
        state = running_state(broken)
        with pytest.raises(AssertionError, match="processId"):
            run_contract(broken.env["BREVO_API_URL"], "POST /contacts/import", pools_of(state))


def test_contract_checker_sees_an_undeclared_status() -> None:
    def answer(status: int) -> httpx.Response:
        return httpx.Response(status, json={"processId": 1})

    assert answer_errors("POST /contacts/import", answer(202)) == []
    assert answer_errors("POST /contacts/import", answer(200))
