"""What an ``audience-sync`` run did: per source, the audience, and Brevo (its summary model).

Built once at the end of a run from the extracts, the audience and the push results
(:func:`summarize`); rendered for a terminal by :meth:`AudienceSyncSummary.render` and as
artifacts by :mod:`tasks.audience_report`.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from tasks.audience import Audience
from tasks.brevo_push import BrevoPushResult
from tasks.event_lists import EventListResult
from tasks.extraction import SourceExtract


class SourceSummary(BaseModel):
    """What one source contributed to a run."""

    date_from: date
    date_to: date
    rows: int
    api_calls: int
    complete: bool
    notes: list[str] = []
    #: Named figures of the source (Zoom: participants matched by email / registrant / not at all).
    counts: dict[str, int] = {}


class EventListsSummary(BaseModel):
    """Per-event list changes of a run (planned, in a dry run)."""

    added: int = 0
    removed: int = 0
    lists: int = 0


class BrevoSummary(BaseModel):
    """What the run did (or, in a dry run, would do) in Brevo."""

    list_id: int | None = None
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    rejected: int = 0
    skipped_consent: int = 0
    api_calls: int = 0
    event_lists: EventListsSummary = Field(default_factory=EventListsSummary)
    #: Lists found deleted in Brevo and created again (and refilled) by this run.
    recreated_lists: list[str] = []


class AudienceSyncSummary(BaseModel):
    """The result of one audience-sync run (printed by ``engarde run audience-sync --json``)."""

    dry_run: bool
    as_of: datetime
    sources: dict[str, SourceSummary]
    people: int
    unresolvable_interactions: int
    segments: dict[str, int]
    brevo: BrevoSummary
    api_calls: dict[str, int]
    #: Why the run did nothing (another run held what it needed and it was told not to wait).
    skipped: str | None = None

    def render(self) -> str:
        """A short human-readable report."""
        if self.skipped:
            return f"audience-sync skipped: {self.skipped}"
        lines = [f"audience-sync{' (dry run)' if self.dry_run else ''} as of {self.as_of:%Y-%m-%d %H:%M} UTC"]
        for name, src in self.sources.items():
            state = "complete" if src.complete else "INCOMPLETE"
            lines.append(
                f"  {name:17} {src.date_from}..{src.date_to}: {src.rows} rows, {src.api_calls} calls, {state}"
            )
            lines.extend(f"      note: {n}" for n in src.notes)
        lines.append(
            f"  people: {self.people} ({self.unresolvable_interactions} interactions without a usable email)"
        )
        lines.append("  segments: " + ", ".join(f"{k}={v}" for k, v in sorted(self.segments.items())))
        b = self.brevo
        lines.append(
            f"  brevo list {b.list_id}: created {b.created}, updated {b.updated}, unchanged {b.unchanged}, "
            f"removed {b.removed}, rejected {b.rejected}, skipped (consent) {b.skipped_consent}, {b.api_calls} calls"
        )
        e = b.event_lists
        lines.append(f"  event lists: {e.added} added, {e.removed} removed over {e.lists} list(s)")
        if b.recreated_lists:
            lines.append("  deleted in Brevo, created again and refilled: " + ", ".join(b.recreated_lists))
        return "\n".join(lines)

    @classmethod
    def skipped_run(
        cls, *, dry_run: bool, as_of: datetime, list_id: int | None, reason: str
    ) -> AudienceSyncSummary:
        """The summary of a run that did nothing because another run held what it needed."""
        return cls(
            dry_run=dry_run,
            as_of=as_of,
            sources={},
            people=0,
            unresolvable_interactions=0,
            segments={},
            brevo=BrevoSummary(list_id=list_id),
            api_calls={},
            skipped=reason,
        )


def brevo_summary(push: BrevoPushResult, events: EventListResult, recreated: list[str]) -> BrevoSummary:
    """What the run did (or would do) in Brevo: the master list's push and the event lists."""
    return BrevoSummary(
        list_id=push.list_id,
        created=push.created,
        updated=push.updated,
        unchanged=push.unchanged,
        removed=push.removed,
        rejected=len(push.rejected),
        skipped_consent=push.skipped_consent,
        api_calls=push.api_calls + events.api_calls,
        event_lists=EventListsSummary(added=events.added, removed=events.removed, lists=events.lists),
        recreated_lists=recreated,
    )


def summarize(
    extracts: list[SourceExtract], audience: Audience, brevo: BrevoSummary, *, dry_run: bool, as_of: datetime
) -> AudienceSyncSummary:
    """The run's summary from its extracts, its audience and what it did in Brevo."""
    api_calls: dict[str, int] = {e.source: e.api_calls for e in extracts}
    api_calls["brevo"] = brevo.api_calls
    return AudienceSyncSummary(
        dry_run=dry_run,
        as_of=as_of,
        sources={
            e.source: SourceSummary(
                date_from=e.date_from,
                date_to=e.date_to,
                rows=len(e.frame),
                api_calls=e.api_calls,
                complete=e.complete,
                notes=e.notes,
                counts=e.counts,
            )
            for e in extracts
        },
        people=len(audience.people),
        unresolvable_interactions=audience.unresolvable,
        segments=audience.segments,
        brevo=brevo,
        api_calls=api_calls,
    )
