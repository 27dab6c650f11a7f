"""The Brevo twin answered over loopback with plain httpx (no connector in between)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sandbox.brevo_twin import API_KEY, MASTER_LIST_NAME, BrevoState
from sandbox.framework import RunningSandbox, new_context

H = {"api-key": API_KEY}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with RunningSandbox(new_context(scale=600, seed=3)) as running:
        yield running


def _import(http: httpx.Client, rows: list[dict[str, Any]], list_ids: list[int], **extra: Any) -> int:
    response = http.post("/contacts/import", json={"jsonBody": rows, "listIds": list_ids, **extra})
    assert response.status_code == 202, response.text
    return int(response.json()["processId"])


def _finish(http: httpx.Client, process_id: int) -> dict[str, Any]:
    for _ in range(5):
        body = http.get(f"/processes/{process_id}").json()
        if body["status"] == "completed":
            return dict(body)
    raise AssertionError("import never completed")


def test_auth_and_rate_limit_headers(sandbox: RunningSandbox) -> None:
    url = sandbox.env["BREVO_API_URL"]
    for headers in ({}, {"api-key": "xkeysib-nope"}):
        response = httpx.get(f"{url}/account", headers=headers)
        assert response.status_code == 401
        assert response.json() == {"code": "unauthorized", "message": "Key not found"}
    ok = httpx.get(f"{url}/contacts/attributes", headers=H)
    assert ok.status_code == 200
    for name in ("x-sib-ratelimit-limit", "x-sib-ratelimit-remaining", "x-sib-ratelimit-reset"):
        assert name in ok.headers
    assert "retry-after" not in ok.headers


def test_seeded_consent_cases(http: httpx.Client, state: BrevoState, sandbox: RunningSandbox) -> None:
    master = state.master_list_id
    assert master is not None
    lists = http.get("/contacts/lists", params={"limit": 50}).json()
    assert [x["name"] for x in lists["lists"]].count(MASTER_LIST_NAME) == 1
    contacts = http.get("/contacts", params={"limit": 1000}).json()["contacts"]
    assert len(contacts) == len(sandbox.ctx.world.brevo_contacts)
    blocked = [c for c in contacts if c["emailBlacklisted"]]
    unsub = [c for c in contacts if master in c["listUnsubscribed"]]
    assert blocked and unsub
    assert all(master not in c["listIds"] for c in unsub)
    one = http.get(f"/contacts/{unsub[0]['email']}").json()
    assert one["listUnsubscribed"] == [master]
    stats = sandbox.ctx.stats()["brevo"]["state"]
    assert stats["blocklisted"] == len(blocked)
    assert stats["list_members"][MASTER_LIST_NAME] == len(state.members(master))


def test_import_is_asynchronous_and_reports_invalid_emails(http: httpx.Client, state: BrevoState) -> None:
    state.import_delay = 60.0  # complete by polls only
    try:
        rows = [
            {"email": "new.one@example.org", "attributes": {"FIRSTNAME": "New", "NOPE": 1}},
            {"email": "broken@@example", "attributes": {}},
        ]
        pid = _import(http, rows, [state.master_list_id or 2])
        assert "new.one@example.org" not in state.contacts
        first = http.get(f"/processes/{pid}").json()
        assert first["status"] == "in_process" and "info" not in first
        done = http.get(f"/processes/{pid}").json()
        assert done["status"] == "completed"
    finally:
        state.import_delay = 0.3
    assert state.contacts["new.one@example.org"]["attributes"] == {"FIRSTNAME": "New"}
    report = done["info"]["import"]
    assert report["duplicate_email_id"] is None
    csv = httpx.get(report["invalid_emails"])
    assert csv.status_code == 200 and csv.text.splitlines() == ["EMAIL", "broken@@example"]
    assert http.get("/processes/99999").status_code == 404


def test_import_never_unblocklists_nor_resubscribes(http: httpx.Client, state: BrevoState) -> None:
    master = state.master_list_id or 2
    blocked = next(c for c in state.contacts.values() if c["emailBlacklisted"] and not c["listIds"])
    unsub = next(c for c in state.contacts.values() if master in c["listUnsubscribed"])
    violations = len(state.consent_violations)
    rows = [{"email": blocked["email"], "attributes": {}}, {"email": unsub["email"], "attributes": {}}]
    _finish(http, _import(http, rows, [master], emailBlacklist=False))
    assert blocked["emailBlacklisted"] is True
    assert master in blocked["listIds"]  # Brevo keeps blocklisted contacts in lists, still blocklisted
    assert master not in unsub["listIds"] and master in unsub["listUnsubscribed"]
    kinds = sorted(v["kind"] for v in state.consent_violations[violations:])
    assert kinds == ["blocklisted", "unsubscribed"]
    assert state.forbidden_fields  # the twin noticed the blocklist field in that body


def test_wrong_attribute_types_and_duplicate_attributes(http: httpx.Client, state: BrevoState) -> None:
    assert http.post("/contacts/attributes/normal/VISIT_DATE", json={"type": "date"}).status_code == 201
    again = http.post("/contacts/attributes/normal/VISIT_DATE", json={"type": "text"})
    assert again.status_code == 400 and again.json()["code"] == "duplicate_parameter"
    bad = http.post("/contacts/attributes/normal/ODD", json={"type": "banana"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_parameter"
    errors = len(state.type_errors)
    rows = [
        {"email": "dates.ok@example.org", "attributes": {"VISIT_DATE": "2026-01-31"}},
        {"email": "dates.bad@example.org", "attributes": {"VISIT_DATE": "next tuesday"}},
    ]
    _finish(http, _import(http, rows, [state.master_list_id or 2]))
    assert state.contacts["dates.ok@example.org"]["attributes"] == {"VISIT_DATE": "2026-01-31"}
    assert state.contacts["dates.bad@example.org"]["attributes"] == {}
    assert len(state.type_errors) == errors + 1


def test_empty_values_erase_only_when_the_import_asks(http: httpx.Client, state: BrevoState) -> None:
    for name, kind in (("LAPSE_TEXT", "text"), ("LAPSE_DATE", "date"), ("LAPSE_NUMBER", "float")):
        assert http.post(f"/contacts/attributes/normal/{name}", json={"type": kind}).status_code == 201
    master = state.master_list_id or 2
    full = {"LAPSE_TEXT": "recent", "LAPSE_DATE": "2026-03-01", "LAPSE_NUMBER": 3, "FIRSTNAME": "Ana"}
    email = "lapsing@example.org"
    _finish(http, _import(http, [{"email": email, "attributes": full}], [master]))
    empty = {"LAPSE_TEXT": "", "LAPSE_DATE": "", "LAPSE_NUMBER": ""}
    # Without the flag, empty values change nothing.
    _finish(http, _import(http, [{"email": email, "attributes": empty}], [master]))
    assert state.contacts[email]["attributes"] == full
    # The flag without updateExistingContacts is not available: nothing is updated.
    kept = {"updateExistingContacts": False, "emptyContactsAttributes": True}
    _finish(http, _import(http, [{"email": email, "attributes": empty}], [master], **kept))
    assert state.contacts[email]["attributes"] == full
    # With it, every type is erased by "" (and null); an absent attribute is untouched.
    erase = {"emptyContactsAttributes": True}
    _finish(
        http,
        _import(http, [{"email": email, "attributes": {**empty, "LAPSE_NUMBER": None}}], [master], **erase),
    )
    assert state.contacts[email]["attributes"] == {"FIRSTNAME": "Ana"}


def test_body_and_batch_limits(http: httpx.Client, state: BrevoState) -> None:
    master = state.master_list_id or 2
    big = [{"email": f"x{i}@example.org", "attributes": {"FIRSTNAME": "y" * 1100}} for i in range(10_000)]
    assert len(json.dumps({"jsonBody": big})) > 10 * 1024 * 1024
    too_big = http.post("/contacts/import", json={"jsonBody": big, "listIds": [master]})
    assert too_big.status_code == 413
    emails = [f"p{i}@example.org" for i in range(151)]
    for verb in ("add", "remove"):
        response = http.post(f"/contacts/lists/{master}/contacts/{verb}", json={"emails": emails})
        assert response.status_code == 400 and response.json()["code"] == "out_of_range"
    nothing = http.post(f"/contacts/lists/{master}/contacts/remove", json={"emails": ["ghost@example.org"]})
    assert nothing.status_code == 400 and nothing.json()["code"] == "invalid_parameter"
    assert http.get("/contacts", params={"limit": 1001}).status_code == 400
    assert http.get("/contacts/lists", params={"limit": 51}).status_code == 400
    assert http.post("/contacts/import", json={"jsonBody": [{"email": "a@b.co"}]}).status_code == 400


def test_contacts_paging_and_modified_since(http: httpx.Client, state: BrevoState) -> None:
    total = len(state.contacts)
    seen: list[int] = []
    offset = 0
    while True:
        page = http.get("/contacts", params={"limit": 50, "offset": offset, "sort": "asc"}).json()
        assert page["count"] == total
        seen.extend(c["id"] for c in page["contacts"])
        offset += 50
        if offset >= page["count"]:
            break
    assert seen == sorted(seen) and len(set(seen)) == total
    mark = time.time()
    since = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(mark - 1))
    _finish(
        http,
        _import(http, [{"email": "late.change@example.org", "attributes": {}}], [state.master_list_id or 2]),
    )
    recent = http.get("/contacts", params={"limit": 1000, "modifiedSince": since}).json()
    assert "late.change@example.org" in {c["email"] for c in recent["contacts"]}
    assert recent["count"] < total


def test_same_state_imported_twice_is_detected(http: httpx.Client, state: BrevoState) -> None:
    rows = [{"email": "twice@example.org", "attributes": {"FIRSTNAME": "Two"}}]
    _finish(http, _import(http, rows, [state.master_list_id or 2]))
    assert "twice@example.org" not in state.repeated_imports()
    _finish(http, _import(http, rows, [state.master_list_id or 2]))
    assert state.repeated_imports()["twice@example.org"] == 2


def test_real_429_when_budget_exceeded(http: httpx.Client, state: BrevoState) -> None:
    saved = state.rate_limits["unlisted"]
    state.rate_limits["unlisted"] = (2, 3600.0)
    state._windows.pop("unlisted", None)
    try:
        codes = [http.get("/account").status_code for _ in range(3)]
        limited = http.get("/account")
    finally:
        state.rate_limits["unlisted"] = saved
        state._windows.pop("unlisted", None)
    assert codes == [200, 200, 429]
    assert limited.status_code == 429
    assert limited.headers["x-sib-ratelimit-remaining"] == "0"
    assert 3500 <= int(limited.headers["x-sib-ratelimit-reset"]) <= 3600
    assert "retry-after" not in limited.headers


def test_injected_faults_have_brevo_shapes(http: httpx.Client, sandbox: RunningSandbox) -> None:
    sandbox.ctx.faults.queue("brevo", "429", 1)
    limited = http.get("/contacts/attributes")
    assert limited.status_code == 429 and "x-sib-ratelimit-reset" in limited.headers
    assert "retry-after" not in limited.headers
    sandbox.ctx.faults.queue("brevo", "5xx", 1)
    assert http.get("/contacts/attributes").status_code == 500


def test_transactional_email_is_stored(http: httpx.Client, state: BrevoState) -> None:
    missing = http.post("/smtp/email", json={"to": [{"email": "a@example.org"}], "subject": "Hi"})
    assert missing.status_code == 400 and missing.json()["code"] == "missing_parameter"
    body = {
        "sender": {"email": "hello@engarde.example", "name": "En Garde"},
        "to": [{"email": "a@example.org", "name": "A"}],
        "subject": "Hi",
        "textContent": "Hello",
    }
    sent = http.post("/smtp/email", json=body)
    assert sent.status_code == 201
    stored = state.emails_sent[-1]
    assert stored["messageId"] == sent.json()["messageId"]
    assert stored["to"] == body["to"] and stored["textContent"] == "Hello"
    templated = http.post("/smtp/email", json={"to": [{"email": "b@example.org"}], "templateId": 7})
    assert templated.status_code == 201


def test_create_contact_ignores_wrong_types_and_false_unblocklists(
    http: httpx.Client, state: BrevoState
) -> None:
    if "VISIT_DATE" not in state.attributes:
        http.post("/contacts/attributes/normal/VISIT_DATE", json={"type": "date"})
    errors = len(state.type_errors)
    odd = {"VISIT_DATE": "soon", "FIRSTNAME": "One"}
    created = http.post("/contacts", json={"email": "one@example.org", "attributes": odd})
    assert created.status_code == 201 and created.json()["id"] == state.contacts["one@example.org"]["id"]
    assert state.contacts["one@example.org"]["attributes"] == {"FIRSTNAME": "One"}  # the date is ignored
    assert state.type_errors[errors:] == [
        {"email": "one@example.org", "attribute": "VISIT_DATE", "value": "soon"}
    ]
    dup = http.post("/contacts", json={"email": "one@example.org"})
    assert dup.status_code == 400 and dup.json()["code"] == "duplicate_parameter"
    state.contacts["one@example.org"]["emailBlacklisted"] = True
    update = {"email": "one@example.org", "updateEnabled": True, "emailBlacklisted": False}
    assert http.post("/contacts", json=update).status_code == 204
    assert state.contacts["one@example.org"]["emailBlacklisted"] is False


def test_webhooks_are_created_listed_updated_and_checked(http: httpx.Client, state: BrevoState) -> None:
    body = {"url": "http://127.0.0.1:9/hook", "events": ["hardBounce", "unsubscribed"], "type": "marketing"}
    created = http.post("/webhooks", json={**body, "auth": {"type": "bearer", "token": "t"}})
    assert created.status_code == 201
    hook_id = created.json()["id"]
    bad = http.post("/webhooks", json={**body, "events": ["reply"]})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_parameter"
    listed = http.get("/webhooks", params={"type": "marketing"}).json()["webhooks"]
    assert [(h["id"], h["events"]) for h in listed] == [(hook_id, ["hardBounce", "unsubscribed"])]
    assert http.get("/webhooks", params={"type": "transactional"}).json()["webhooks"] == []
    assert http.put(f"/webhooks/{hook_id}", json={"events": ["spam"]}).status_code == 204
    assert state.webhooks[hook_id]["events"] == ["spam"] and state.webhooks[hook_id]["auth"]["token"] == "t"
    assert http.put("/webhooks/999", json={"events": ["spam"]}).status_code == 404
