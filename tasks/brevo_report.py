"""What Brevo's webhooks brought, as an admin reads it: the brevo-events run's artifact, the digest's part.

Pure: summaries and stored delivery bodies in, markdown and text out (the digest's reads are
in :mod:`store.brevo_digest`, its I/O in :mod:`tasks.poshvip_digest`). Tables rather than a
preformatted block (the Prefect UI clips long lines of a code block), drawn with
:func:`audience.report.markdown_table`; notes as a list.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel, Field

from audience.report import markdown_table
from connectors.brevo.webhook_events import DELIVERY_STATUSES, OPT_OUT_KINDS, BrevoEvent, parse_brevo_events
from store.webhook_events import UNMAPPED
from tasks.brevo_events import BrevoEventsSummary

#: Event kinds in the order an admin reads them (consent first); others follow alphabetically.
KIND_ORDER = (
    "unsubscribed",
    "spam",
    "hard_bounce",
    "contact_deleted",
    "blocked",
    "invalid",
    "soft_bounce",
    "delivered",
    "list_addition",
    "other",
)


def _ordered(kinds: Iterable[str]) -> list[str]:
    rank = {k: i for i, k in enumerate(KIND_ORDER)}
    return sorted(kinds, key=lambda k: (rank.get(k, len(rank)), k))


def _why(skipped: dict[str, int]) -> str:
    return "; ".join(f"{why} ({n})" for why, n in sorted(skipped.items(), key=lambda x: (-x[1], x[0])))


def events_markdown(summary: BrevoEventsSummary) -> str:
    """The ``brevo-events`` run's artifact: events per kind, consent changes, invitations, notes."""
    total = sum(summary.events.values())
    out = [
        "# brevo-events",
        "",
        f"{summary.deliveries} deliveries read ({summary.unmapped} not in Brevo's shape), {total} events; "
        f"{summary.opted_out} new opt-outs.",
        "",
        "## Events",
        "",
    ]
    if summary.kinds:
        rows = [
            (kind, c.received, c.applied, sum(c.skipped.values()), _why(c.skipped))
            for kind, c in ((k, summary.kinds[k]) for k in _ordered(summary.kinds))
        ]
        out.append(markdown_table(("event", "received", "applied", "skipped", "why skipped"), rows))
    else:
        out.append("No event in this run.")
    out += ["", "## Consent changes", ""]
    if summary.opt_outs:
        opt_outs = [(k, summary.opt_outs[k]) for k in _ordered(summary.opt_outs)]
        out.append(markdown_table(("opted out by", "people"), opt_outs))
    else:
        out.append("Nobody opted out in this run.")
    out += ["", "## Invitations marked", ""]
    if summary.invitations:
        out.append(markdown_table(("status", "invitations"), sorted(summary.invitations.items())))
    else:
        out.append("No invitation email was marked.")
    notes = list(summary.notes)
    if not summary.deliveries:
        notes.insert(
            0,
            "no pending Brevo delivery: the receiver stores them at `POST /api/webhooks/brevo` once "
            "`engarde setup` has registered the webhooks in Brevo",
        )
    if notes:
        out += ["", "Notes:", "", *(f"- {' '.join(n.split())}" for n in notes)]
    return "\n".join(out) + "\n"


#: Opt-out kinds as the digest names them.
OPT_OUT_LABELS = (
    ("unsubscribed", "unsubscribed"),
    ("hard_bounce", "hard bounces"),
    ("spam", "spam complaints"),
    ("contact_deleted", "contacts deleted in Brevo"),
)
INVITATION_STATUSES = ("delivered", "bounced", "blocked")


class BrevoDigest(BaseModel):
    """Brevo's webhooks in the admin digest's period: people per opt-out kind, invitations per status."""

    since: datetime | None = None
    until: datetime
    #: Opt-out kind -> distinct people (Brevo tells both webhooks: one person, two events).
    people: dict[str, int] = Field(default_factory=dict)
    #: Invitation status Brevo reported -> invitation emails.
    invitations: dict[str, int] = Field(default_factory=dict)
    applied: int = 0
    unmapped: int = 0
    pending: int = 0


def parse_applied(deliveries: Iterable[tuple[str, bytes]]) -> tuple[list[BrevoEvent], int]:
    """The events of the applied deliveries ``(status, body)``, and how many were unmapped."""
    events: list[BrevoEvent] = []
    unmapped = 0
    for status, body in deliveries:
        try:
            parsed = parse_brevo_events(body)
        except ValueError:
            parsed = []
        if status == UNMAPPED or not parsed:
            unmapped += 1
        else:
            events += parsed
    return events, unmapped


def brevo_digest(
    events: Iterable[BrevoEvent],
    invitation_ids: set[str],
    *,
    since: datetime | None,
    until: datetime,
    unmapped: int = 0,
    pending: int = 0,
) -> BrevoDigest:
    """Count the period's events: distinct people per opt-out kind, invitation emails per final status.

    An invitation's status is the last bounce or block Brevo reported for it, else ``delivered``
    (a late ``delivered`` never hides a bounce, as in the store).
    """
    people: dict[str, set[str]] = {}
    final: dict[str, str] = {}
    applied = 0
    for event in events:
        applied += 1
        if event.kind in OPT_OUT_KINDS:
            people.setdefault(event.kind, set()).add(event.email)
        status = DELIVERY_STATUSES.get(event.kind)
        message = event.message_id
        if (
            status
            and message in invitation_ids
            and message
            and (status != "delivered" or message not in final)
        ):
            final[message] = status
    return BrevoDigest(
        since=since,
        until=until,
        people={kind: len(emails) for kind, emails in people.items()},
        invitations=dict(Counter(final.values())),
        applied=applied,
        unmapped=unmapped,
        pending=pending,
    )


def digest_lines(digest: BrevoDigest) -> list[str]:
    """The Brevo part of the admin digest (counts only, no personal data)."""
    since = f"since {digest.since:%Y-%m-%d %H:%M} UTC" if digest.since else "until now"
    opt_outs = ", ".join(f"{label} {digest.people.get(kind, 0)}" for kind, label in OPT_OUT_LABELS)
    invitations = ", ".join(f"{s} {digest.invitations.get(s, 0)}" for s in INVITATION_STATUSES)
    lines = [
        f"Brevo webhooks {since}: events applied {digest.applied}; people {opt_outs}",
        f"Invitation emails per Brevo: {invitations}",
    ]
    if digest.unmapped:
        lines.append(f"Brevo deliveries not in Brevo's shape: {digest.unmapped} (see the brevo-events runs)")
    if digest.pending:
        lines.append(
            f"Brevo deliveries waiting to be applied: {digest.pending} (`engarde run brevo-events` applies them)"
        )
    return lines
