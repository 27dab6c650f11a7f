"""The twins' real budgets per client, and the most requests seen inside any window."""

from __future__ import annotations

import httpx

from sandbox.framework import RunningSandbox, new_context


def test_easyappointments_refuses_the_101st_request_of_a_client_with_its_empty_429() -> None:
    with RunningSandbox(new_context(scale=50, seed=3, budgets=True)) as sandbox:
        url = f"{sandbox.base_url}/easyappointments/index.php/api/v1/services"
        ours = {"Authorization": "Bearer sandbox-easyappointments-token"}
        with httpx.Client() as client:
            answers = [client.get(url, headers=ours) for _ in range(101)]
            other = client.get(url, headers={"Authorization": "Basic b3RoZXI6Y2xpZW50"})
        stats = sandbox.ctx.stats()["easyappointments"]
    assert [a.status_code for a in answers[:100]] == [200] * 100
    assert answers[100].status_code == 429 and answers[100].content == b""
    assert other.status_code != 429, "another client has its own budget"
    assert stats["budget"]["max_in_window"] == 100
    assert stats["budget"]["refused"] == 1


def test_brevo_counts_only_contacts_calls_and_eventbrite_says_hit_rate_limit() -> None:
    context = new_context(scale=50, seed=3, budgets=True)
    context.budgets.budgets["eventbrite"] = (3, 3600.0, "")
    with RunningSandbox(context) as sandbox:
        with httpx.Client(base_url=sandbox.base_url) as client:
            key = {"api-key": "xkeysib-sandbox"}
            contacts = [client.get("/brevo/v3/contacts", headers=key) for _ in range(12)]
            account = client.get("/brevo/v3/account", headers=key)
            token = {"Authorization": "Bearer sandbox-eventbrite-token"}
            eventbrite = [client.get("/eventbrite/v3/users/me/", headers=token) for _ in range(4)]
        stats = sandbox.ctx.stats()
    assert [c.status_code for c in contacts].count(429) >= 1
    assert account.status_code == 200
    assert eventbrite[3].status_code == 429 and eventbrite[3].json()["error"] == "HIT_RATE_LIMIT"
    assert stats["brevo"]["budget"]["max_in_window"] <= 10
    assert stats["eventbrite"]["budget"]["max_in_window"] == 3
