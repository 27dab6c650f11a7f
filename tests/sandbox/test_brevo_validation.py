"""Bad input to the Brevo twin gets Brevo's 400 (JSON body, rate-limit headers), never a 5xx.

One test per crash or laxity listed in issue 15, over loopback with plain httpx.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sandbox.brevo_twin import API_KEY, BrevoState
from sandbox.framework import RunningSandbox, new_context

H = {"api-key": API_KEY}
RATE_HEADERS = ("x-sib-ratelimit-limit", "x-sib-ratelimit-remaining", "x-sib-ratelimit-reset")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with RunningSandbox(new_context(scale=200, seed=5)) as running:
        yield running


def refused(response: httpx.Response, code: str = "invalid_parameter", status: int = 400) -> str:
    """Assert Brevo's error answer and return its message."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert set(body) == {"code", "message"} and body["code"] == code
    for name in RATE_HEADERS:
        assert name in response.headers
    return str(body["message"])


def test_folder_id_of_the_wrong_type(http: httpx.Client) -> None:
    message = refused(http.post("/contacts/lists", json={"name": "x", "folderId": "abc"}))
    assert message == "folderId should be type number"


def test_list_ids_holding_a_string(http: httpx.Client, state: BrevoState) -> None:
    message = refused(http.post("/contacts", json={"email": "typed@example.org", "listIds": ["abc"]}))
    assert message == "listIds/0 should be type number"  # Brevo's own words (getbrevo/brevo-php#15)
    assert "typed@example.org" not in state.contacts
    rows = [{"email": "typed@example.org"}]
    assert refused(http.post("/contacts/import", json={"jsonBody": rows, "listIds": 2})).endswith(
        "type array"
    )


def test_emails_not_a_list(http: httpx.Client, state: BrevoState) -> None:
    master = state.master_list_id
    assert refused(http.post(f"/contacts/lists/{master}/contacts/add", json={"emails": 5})) == (
        "emails should be type array"
    )
    assert refused(http.post(f"/contacts/lists/{master}/contacts/remove", json={"ids": ["a"]})) == (
        "ids/0 should be type number"
    )


def test_list_ids_query_not_numbers(http: httpx.Client) -> None:
    assert refused(http.get("/contacts", params={"listIds": "abc"})) == "listIds/0 should be type number"
    assert refused(http.get("/contacts", params={"limit": "ten"})) == "limit should be type number"


@pytest.mark.parametrize(
    "json_body",
    [
        {"email": "a@example.org"},
        ["a@example.org"],
        [None],
        [{"email": 5}],
        [{"email": "a@example.org", "attributes": []}],
    ],
)
def test_json_body_not_a_list_of_objects_is_refused_and_breaks_nothing(
    http: httpx.Client, state: BrevoState, json_body: Any
) -> None:
    processes = len(state.processes)
    refused(http.post("/contacts/import", json={"jsonBody": json_body, "listIds": [state.master_list_id]}))
    assert len(state.processes) == processes  # nothing stored that a later request could trip on
    assert http.get("/contacts/lists").status_code == 200
    assert http.get("/processes").status_code == 200


def test_body_that_is_not_an_object(http: httpx.Client) -> None:
    refused(http.post("/contacts/import", json=[1, 2]), code="bad_request")
    refused(http.post("/contacts", json="x@example.org"), code="bad_request")


def test_api_key_checked_before_the_body(sandbox: RunningSandbox) -> None:
    url = sandbox.env["BREVO_API_URL"]
    bad = {"api-key": "xkeysib-wrong", "content-type": "application/json"}
    for content in (b"{not json", b"[" + b"1," * (6 * 1024 * 1024) + b"1]"):
        response = httpx.post(f"{url}/contacts/import", content=content, headers=bad, timeout=30)
        assert refused(response, code="unauthorized", status=401) == "Key not found"


def test_unknown_sort_refused(http: httpx.Client, state: BrevoState) -> None:
    assert refused(http.get("/contacts", params={"sort": "newest"})) == "sort should be one of asc, desc"
    refused(http.get("/processes", params={"sort": "DESC"}))
    refused(http.get(f"/contacts/lists/{state.master_list_id}/contacts", params={"sort": "x"}))
    assert http.get("/contacts", params={"sort": "asc", "limit": 1}).status_code == 200


def test_date_only_modified_since_refused(http: httpx.Client) -> None:
    assert "YYYY-MM-DDTHH:mm:ss.SSSZ" in refused(
        http.get("/contacts", params={"modifiedSince": "2026-01-01"})
    )
    refused(http.get("/contacts", params={"createdSince": "yesterday"}))
    ok = http.get("/contacts", params={"modifiedSince": "2026-01-01T00:00:00.000Z", "limit": 1})
    assert ok.status_code == 200


def test_invalid_recipients_on_smtp_email(http: httpx.Client, state: BrevoState) -> None:
    sent = len(state.emails_sent)
    base = {"sender": {"email": "team@example.org"}, "subject": "Hi", "textContent": "Hello"}
    for to in ([{"email": "not-an-email"}], [{"email": 7}], ["a@example.org"], {"email": "a@example.org"}):
        refused(http.post("/smtp/email", json={**base, "to": to}))
    refused(
        http.post(
            "/smtp/email", json={**base, "sender": {"email": "nobody"}, "to": [{"email": "a@example.org"}]}
        )
    )
    assert len(state.emails_sent) == sent
    assert http.post("/smtp/email", json={**base, "to": [{"email": "a@example.org"}]}).status_code == 201


def test_wrong_scalar_types_in_import_flags(http: httpx.Client, state: BrevoState) -> None:
    rows = [{"email": "flags@example.org"}]
    body = {"jsonBody": rows, "listIds": [state.master_list_id], "updateExistingContacts": "yes"}
    assert (
        refused(http.post("/contacts/import", json=body)) == "updateExistingContacts should be type boolean"
    )
    body = {"jsonBody": rows, "newList": {"listName": "N", "folderId": "one"}}
    assert refused(http.post("/contacts/import", json=body)) == "newList/folderId should be type number"


def test_put_contact_updates_in_place(http: httpx.Client, state: BrevoState) -> None:
    master = state.master_list_id
    assert master is not None
    email = next(e for e, c in state.contacts.items() if master in c["listIds"] and not c["emailBlacklisted"])
    errors = len(state.type_errors)
    update = {"attributes": {"FIRSTNAME": "Put", "NOPE": 1, "LASTNAME": {"x": 1}}, "unlinkListIds": [master]}
    assert http.put(f"/contacts/{email}", json=update).status_code == 204
    contact = state.contacts[email]
    assert contact["attributes"]["FIRSTNAME"] == "Put" and master not in contact["listIds"]
    assert [e["attribute"] for e in state.type_errors[errors:]] == ["LASTNAME"]
    refused(http.put(f"/contacts/{email}", json={"listIds": "2"}))
    assert refused(http.put("/contacts/nobody@example.org", json={}), "document_not_found", 404)


def test_batch_update_is_all_or_nothing(http: httpx.Client, state: BrevoState) -> None:
    first, second = sorted(state.contacts)[:2]
    batch = {"contacts": [{"email": first, "attributes": {"LASTNAME": "B1"}}, {"email": "ghost@example.org"}]}
    refused(http.post("/contacts/batch", json=batch))
    assert state.contacts[first]["attributes"].get("LASTNAME") != "B1"
    by_id = state.contacts[second]["id"]
    batch = {
        "contacts": [
            {"email": first, "attributes": {"LASTNAME": "B1"}},
            {"id": by_id, "attributes": {"LASTNAME": "B2"}},
        ]
    }
    assert http.post("/contacts/batch", json=batch).status_code == 204
    assert state.contacts[first]["attributes"]["LASTNAME"] == "B1"
    assert state.contacts[second]["attributes"]["LASTNAME"] == "B2"
    assert (
        refused(http.post("/contacts/batch", json={"contacts": [{"id": "x"}]}))
        == "contacts/0/id should be type number"
    )


def test_remove_all_from_a_list(http: httpx.Client, state: BrevoState) -> None:
    list_id = http.post("/contacts/lists", json={"name": "Everyone out", "folderId": 1}).json()["id"]
    emails = sorted(state.contacts)[:3]
    assert http.post(f"/contacts/lists/{list_id}/contacts/add", json={"emails": emails}).status_code == 201
    removed = http.post(f"/contacts/lists/{list_id}/contacts/remove", json={"all": True})
    assert removed.status_code == 201 and sorted(removed.json()["contacts"]["success"]) == emails
    assert state.members(list_id) == []


def test_unknown_route_answers_json(http: httpx.Client) -> None:
    assert refused(http.get("/contacts/lists/abc"), "document_not_found", 404)
    assert refused(http.patch("/contacts"), "document_not_found", 404)


def test_a_share_of_imports_fails(http: httpx.Client, state: BrevoState) -> None:
    state.failed_share = 1.0
    try:
        body = {"jsonBody": [{"email": "doomed@example.org"}], "listIds": [state.master_list_id]}
        process_id = http.post("/contacts/import", json=body).json()["processId"]
        answers = [http.get(f"/processes/{process_id}").json() for _ in range(3)]
    finally:
        state.failed_share = 0.0
    final = answers[-1]
    assert final["status"] == "failed" and final["error"] and "completed_at" in final
    assert "doomed@example.org" not in state.contacts  # nothing of a failed import is written
    listed = {p["id"]: p for p in http.get("/processes").json()["processes"]}
    assert listed[process_id]["status"] == "failed" and listed[process_id]["error"] == final["error"]
