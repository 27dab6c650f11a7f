"""What Brevo should show, computed independently of the flow: the payloads of a day from the stored
interactions, and the contacts of the Brevo twin that differ from them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from audience.brevo_payload import BREVO_ATTRIBUTES, KEPT_WHEN_MISSING, build_brevo_payloads
from audience.people import resolve_people
from audience.segments import SegmentThresholds, segment_people
from sandbox.brevo_twin import BrevoState
from store.db import make_engine, session_scope
from store.interactions import load_interactions
from store.signups import signup_statuses


def payloads_on(as_of: datetime, database: str | None = None) -> pd.DataFrame:
    """That day's payloads, from the stored interactions of ``database`` (default: ``DATABASE_URL``),
    computed here: the flow's own code path is not used."""
    with session_scope(make_engine(database)) as session:
        interactions = load_interactions(session)
        signups = signup_statuses(session)
    when = pd.Timestamp(as_of)
    people = segment_people(resolve_people(interactions, when), when, SegmentThresholds())
    return build_brevo_payloads(people.merge(signups, on="email", how="left"))


def mismatches(brevo: BrevoState, payloads: pd.DataFrame, list_id: int) -> dict[str, Any]:
    """Contacts whose attributes (ours) differ from their payload: email → (in Brevo, expected)."""
    out: dict[str, Any] = {}
    for email, attributes, removal in payloads[["email", "attributes", "removal_candidate"]].itertuples(
        index=False
    ):
        contact = brevo.contacts.get(str(email))
        if (
            removal
            or contact is None
            or contact["emailBlacklisted"]
            or list_id in contact["listUnsubscribed"]
        ):
            continue  # never sent: nothing of theirs to compare (consent, or every ticket void)
        held = {k: v for k, v in contact["attributes"].items() if k in BREVO_ATTRIBUTES}
        # A name or phone the sources do not know is Brevo's own (never cleared by the project).
        held = {k: v for k, v in held.items() if k not in KEPT_WHEN_MISSING or k in attributes}
        expected = {k: v for k, v in attributes.items() if v != ""}
        if held != expected:
            out[str(email)] = (held, expected)
    return out
