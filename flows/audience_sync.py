"""Flow ``audience-sync``: every source → interactions → people → segments → Brevo, only what changed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
from prefect import flow, get_run_logger
from prefect.artifacts import acreate_table_artifact
from prefect.runtime import flow_run
from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from audience.segments import SegmentThresholds
from flows.failures import ParameterError, explains_failures
from tasks.audience import build_audience, close_checkpoints, plan_sync, store_extract
from tasks.audience_report import publish_audience_report
from tasks.brevo import BrevoTarget, known_list_id, prepare_brevo
from tasks.brevo_push import BrevoPushResult, count_plan, needs_push, push_changes
from tasks.event_lists import (
    EventListResult,
    forget_deleted_event_lists,
    plan_event_list_sync,
    sync_event_lists,
)
from tasks.extraction import SourceExtract
from tasks.preflight import require_settings
from tasks.run_locks import BREVO_LISTS_LOCK, IfBusy, RunBusy, RunLocks, checkpoint_lock
from tasks.secrets import resolve_secret_blocks
from tasks.sources import ALL_SOURCES, configured_sources, extract_source
from tasks.windows import DEFAULT_LOOKBACK_DAYS, changed_since_last_run, source_windows


class AudienceSettings(BaseSettings):
    """How far incremental runs look back and ahead (``ENGARDE_*``)."""

    model_config = SettingsConfigDict(env_prefix="ENGARDE_", extra="ignore")

    lookback_days: int = Field(
        default=DEFAULT_LOOKBACK_DAYS,
        description="days before the last complete run's end that an incremental run reads again "
        "(catches late changes)",
    )
    initial_days: int = Field(
        default=365, description="days back a source's first run reads (no complete run stored yet)"
    )
    horizon_days: int = Field(default=90, description="days ahead of today that are read (upcoming bookings)")
    thresholds: SegmentThresholds = Field(
        default_factory=SegmentThresholds,
        description="segment boundaries as JSON: `returning_from` / `loyal_from` (counted bookings), "
        "`recent_days` / `inactive_days` (days)",
    )
    event_lists: bool = Field(
        default=True,
        description="keep one Brevo list per Eventbrite / Posh.VIP event (`Event: <name> (<source>:<id>)`) "
        "holding the people with an active ticket; a full refund or cancellation takes them off",
    )


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


def _incremental_kw(source: str, date_from: date | None, settings: AudienceSettings) -> dict[str, Any]:
    """Eventbrite reads only what changed since the last complete run (minus the look-back)."""
    if source != "eventbrite" or date_from is not None:
        return {}
    changed_since = changed_since_last_run(source, settings.lookback_days)
    return {} if changed_since is None else {"changed_since": changed_since}


async def _publish(
    summary: AudienceSyncSummary, plan: pd.DataFrame, push: BrevoPushResult, *, record: bool
) -> None:
    await publish_audience_report(
        summary.model_dump(mode="json"), record=record, flow_run_id=str(flow_run.get_id() or "")
    )
    if push.rejected:
        await acreate_table_artifact(
            key="audience-sync-rejected",
            table=[{"email": e, "reason": r} for e, r in push.rejected[:1000]],
            description="Rows Brevo refused (retried next run)",
        )
    if summary.dry_run and not plan.empty:
        sample = plan[plan["action"] != "unchanged"].head(50)
        await acreate_table_artifact(
            key="audience-sync-dry-run",
            table=[
                {"email": r.email, "action": r.action, "attributes": str(r.attributes)[:300]}
                for r in sample.itertuples()
            ],
            description="Dry run: a sample of what would be sent",
        )


@flow(name="audience-sync", log_prints=False)
@explains_failures
async def audience_sync(
    date_from: date | None = None,
    date_to: date | None = None,
    sources: list[str] | None = None,
    list_id: int | None = None,
    dry_run: bool = False,
    emails: list[str] | None = None,
    as_of: datetime | None = None,
    if_busy: IfBusy = "wait",
) -> AudienceSyncSummary:
    """Extract the window from each source, store it, resolve and segment people, push what changed to Brevo.

    Default window per source: since its last complete checkpoint minus the look-back, up to
    the horizon of upcoming bookings. ``emails`` limits the Brevo push to those people (used
    by other flows to sync the people they touched); ``sources=[]`` extracts nothing.
    ``dry_run`` sends nothing to Brevo and advances no checkpoint. ``as_of`` (default: now) is the
    moment segments are computed for ("recent", "upcoming"); pass it to reproduce a run exactly.
    Another run writing the same source windows or the Brevo lists is waited for (the log says
    which run); ``if_busy="skip"`` ends the run at once instead, its summary saying why.
    """
    resolve_secret_blocks()
    settings = AudienceSettings()
    as_of = (as_of or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    chosen = configured_sources() if sources is None else list(sources)
    unknown = sorted(set(chosen) - set(ALL_SOURCES))
    if unknown:
        raise ParameterError(f"unknown sources {unknown}; choose from {list(ALL_SOURCES)}")
    require_settings(*chosen, *([] if dry_run else ["brevo"]))
    windows = source_windows(
        chosen,
        date_from,
        date_to,
        as_of.date(),
        lookback_days=settings.lookback_days,
        initial_days=settings.initial_days,
        horizon_days=settings.horizon_days,
    )
    try:
        async with RunLocks(if_busy=if_busy) as locks:
            if not dry_run:
                await locks.take(checkpoint_lock(s, windows[s]) for s in chosen)
                locks.mark_dead_runs_checkpoints(chosen)
            return await _sync(
                windows, date_from, list_id, dry_run, emails, as_of, settings, None if dry_run else locks
            )
    except RunBusy as busy:
        get_run_logger().warning("%s", busy)
        return AudienceSyncSummary(
            dry_run=dry_run,
            as_of=as_of,
            sources={},
            people=0,
            unresolvable_interactions=0,
            segments={},
            brevo=BrevoSummary(list_id=list_id),
            api_calls={},
            skipped=str(busy),
        )


async def _sync(
    windows: dict[str, tuple[date, date]],
    date_from: date | None,
    list_id: int | None,
    dry_run: bool,
    emails: list[str] | None,
    as_of: datetime,
    settings: AudienceSettings,
    locks: RunLocks | None,
) -> AudienceSyncSummary:
    logger = get_run_logger()
    chosen = list(windows)
    futures = {
        s: extract_source(s).submit(*windows[s], **_incremental_kw(s, date_from, settings)) for s in chosen
    }
    extracts: list[SourceExtract] = [f.result() for f in futures.values()]
    for extract in extracts:
        store_extract(extract, flow_run_id=str(flow_run.get_id() or ""), checkpoint=not dry_run)

    audience = build_audience(as_of, settings.thresholds, emails=emails)
    error: str | None = None
    target: BrevoTarget | None = None
    events = EventListResult()
    recreated: list[str] = []
    try:
        if locks is not None:
            await locks.take([BREVO_LISTS_LOCK])
        known = known_list_id(list_id)
        plan = plan_sync(audience, known or 0, [])
        if dry_run:
            target = await prepare_brevo(known, dry_run=True) if known else None
            push = count_plan(plan, target)
        elif needs_push(plan, known):
            target = await prepare_brevo(list_id)
            assert target.list_id is not None
            if target.list_id != known:
                plan = plan_sync(audience, target.list_id, [])
            push = await push_changes(plan, target)
        else:
            push = count_plan(plan, None)
            push.list_id = known
            logger.info("nothing changed since the last push: no call to Brevo")
        if target is not None and target.existing_lists is not None:
            recreated = [
                *target.recreated,
                *map("event list {}".format, forget_deleted_event_lists(target.existing_lists)),
            ]
        if settings.event_lists:
            # After the master push: everyone with an active ticket is now a Brevo contact.
            event_plan = plan_event_list_sync(emails=emails)
            if dry_run:
                events = EventListResult(
                    added=event_plan.adds, removed=event_plan.removes, lists=event_plan.lists
                )
            elif not event_plan.plan.empty:
                events = await sync_event_lists(event_plan, target.states if target else None)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        if not dry_run:
            close_checkpoints(extracts, succeeded=error is None, error=error)

    api_calls: dict[str, int] = {e.source: e.api_calls for e in extracts}
    api_calls["brevo"] = push.api_calls + events.api_calls
    summary = AudienceSyncSummary(
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
        brevo=BrevoSummary(
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
        ),
        api_calls=api_calls,
    )
    await _publish(summary, plan, push, record=not dry_run and emails is None)
    logger.info("\n%s", summary.render())
    return summary
