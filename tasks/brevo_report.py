"""What Brevo's webhooks brought, as an admin reads it: the brevo-events run's artifact, the digest's part.

Pure: summaries and stored delivery bodies in, markdown and text out. Tables rather than a
preformatted block (the Prefect UI clips long lines of a code block), drawn with
:func:`audience.report.markdown_table`; notes as a list.
"""

from __future__ import annotations

from collections.abc import Iterable

from audience.report import markdown_table
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
