"""Per-event lists (pure pandas): who holds an active ticket for each event, and what to change.

An event is keyed ``"<source>:<event_id>"`` (Eventbrite and Posh.VIP tickets). A person
belongs to an event's list while they hold at least one ticket for it that is not
refunded, cancelled or deleted; once every ticket of theirs is withdrawn they leave it.
"""

from __future__ import annotations

from typing import Final

import pandas as pd

#: Sources whose ``ticket`` interactions make event lists.
EVENT_SOURCES: Final[tuple[str, ...]] = ("eventbrite", "poshvip")
#: Ticket statuses that mean the person no longer holds the ticket.
WITHDRAWN: Final[tuple[str, ...]] = ("refunded", "cancelled", "deleted")

MEMBERSHIP_COLUMNS: Final[list[str]] = ["event_key", "event_name", "email"]
PLAN_COLUMNS: Final[list[str]] = ["event_key", "email", "action"]


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="string") for c in columns})


def event_memberships(interactions: pd.DataFrame) -> pd.DataFrame:
    """``[event_key, event_name, email]``: one row per person holding an active ticket for an event.

    Only ``ticket`` interactions of :data:`EVENT_SOURCES` with a usable email and an event id
    count. ``event_name`` is the event's most recent name (its latest ticket's ``service``),
    falling back to the event key. Sorted by event key, then email.
    """
    tickets = interactions[
        (interactions["kind"] == "ticket")
        & interactions["source"].isin(EVENT_SOURCES)
        & interactions["email"].notna()
        & interactions["event_id"].notna()
    ]
    if tickets.empty:
        return _empty(MEMBERSHIP_COLUMNS)
    tickets = tickets.assign(event_key=tickets["source"].astype(str) + ":" + tickets["event_id"].astype(str))
    named = tickets[tickets["service"].notna()].sort_values(["created_at", "source_id"], na_position="first")
    names = named.groupby("event_key")["service"].last()
    active = tickets[~tickets["status"].fillna("").isin(WITHDRAWN)]
    out = active[["event_key", "email"]].drop_duplicates().copy()
    out["event_name"] = out["event_key"].map(names).fillna(out["event_key"])
    out = out.sort_values(["event_key", "email"])[MEMBERSHIP_COLUMNS].reset_index(drop=True)
    return out.astype("string")


def plan_event_lists(desired: pd.DataFrame, current_state: pd.DataFrame) -> pd.DataFrame:
    """``[event_key, email, action]`` with action ``add`` or ``remove``; unchanged pairs are left out.

    ``desired`` is :func:`event_memberships`. ``current_state`` is what this project last
    did per ``[event_key, email]``: ``on_list`` (we put them on the list) and, optionally,
    ``skipped`` (we could not add them: opted out, or not a Brevo contact — not retried while
    they stay wanted). Add: wanted, not on the list, not skipped. Remove: on the list, no
    longer wanted. People we never added are never removed.
    """
    want = desired[["event_key", "email"]].drop_duplicates().astype("string")
    state = current_state.copy()
    if "skipped" not in state.columns:
        state["skipped"] = False
    state = state[["event_key", "email", "on_list", "skipped"]].astype(
        {"event_key": "string", "email": "string", "on_list": "bool", "skipped": "bool"}
    )
    merged = want.assign(wanted=True).merge(state, on=["event_key", "email"], how="outer")
    wanted = merged["wanted"].fillna(False).astype(bool)
    on_list = merged["on_list"].fillna(False).astype(bool)
    skipped = merged["skipped"].fillna(False).astype(bool)
    merged["action"] = pd.Series(pd.NA, index=merged.index, dtype="string")
    merged.loc[wanted & ~on_list & ~skipped, "action"] = "add"
    merged.loc[~wanted & on_list, "action"] = "remove"
    plan = merged[merged["action"].notna()][PLAN_COLUMNS]
    return plan.sort_values(["event_key", "action", "email"]).reset_index(drop=True).astype("string")
