"""Flow ``audience-sync``: every source → interactions → people → segments → Brevo, only what changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
from prefect import flow, get_run_logger
from prefect.artifacts import acreate_table_artifact
from prefect.runtime import flow_run
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from audience.segments import SegmentThresholds
from tasks.audience import Audience, build_audience, close_checkpoints, plan_sync, store_interactions
from tasks.audience_report import publish_audience_report
from tasks.audience_summary import AudienceSyncSummary, brevo_summary, summarize
from tasks.brevo import BrevoTarget, known_list_id, prepare_brevo
from tasks.brevo_push import BrevoPushResult, count_plan, needs_push, push_changes
from tasks.event_lists import (
    EventListResult,
    forget_deleted_event_lists,
    plan_event_list_sync,
    sync_event_lists,
)
from tasks.extraction import SourceExtract
from tasks.failures import ParameterError, explains_failures
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


@dataclass(frozen=True)
class _Run:
    """The parameters of one run, once its windows are known."""

    windows: dict[str, tuple[date, date]]
    date_from: date | None
    list_id: int | None
    dry_run: bool
    emails: list[str] | None
    as_of: datetime
    settings: AudienceSettings


@dataclass
class _Pushed:
    """The master list's plan, what its push did, and the Brevo target it went to (None: no call)."""

    plan: pd.DataFrame
    push: BrevoPushResult
    target: BrevoTarget | None


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
    chosen = _chosen_sources(sources, dry_run=dry_run)
    windows = source_windows(
        chosen,
        date_from,
        date_to,
        as_of.date(),
        lookback_days=settings.lookback_days,
        initial_days=settings.initial_days,
        horizon_days=settings.horizon_days,
    )
    run = _Run(windows, date_from, list_id, dry_run, emails, as_of, settings)
    try:
        async with RunLocks(if_busy=if_busy) as locks:
            return await _sync(run, await _claim_checkpoints(run, locks))
    except RunBusy as busy:
        get_run_logger().warning("%s", busy)
        return AudienceSyncSummary.skipped_run(
            dry_run=dry_run, as_of=as_of, list_id=list_id, reason=str(busy)
        )


def _chosen_sources(sources: list[str] | None, *, dry_run: bool) -> list[str]:
    """The sources to extract (default: every configured one); their settings (and Brevo's) must be set."""
    chosen = configured_sources() if sources is None else list(sources)
    unknown = sorted(set(chosen) - set(ALL_SOURCES))
    if unknown:
        raise ParameterError(f"unknown sources {unknown}; choose from {list(ALL_SOURCES)}")
    require_settings(*chosen, *([] if dry_run else ["brevo"]))
    return chosen


async def _claim_checkpoints(run: _Run, locks: RunLocks) -> RunLocks | None:
    """Take the run's checkpoint locks and mark what dead runs left ``running`` (a dry run takes none)."""
    if run.dry_run:
        return None
    await locks.take(checkpoint_lock(s, run.windows[s]) for s in run.windows)
    locks.mark_dead_runs_checkpoints(list(run.windows))
    return locks


async def _sync(run: _Run, locks: RunLocks | None) -> AudienceSyncSummary:
    """Extract and store, build the audience, push it (then the event lists), close the checkpoints."""
    extracts = _extract_and_store(run)
    audience = build_audience(run.as_of, run.settings.thresholds, emails=run.emails)
    error: str | None = None
    try:
        if locks is not None:
            await locks.take([BREVO_LISTS_LOCK])
        pushed = await _push_master_list(audience, run)
        recreated = _recreated_lists(pushed.target)
        events = await _push_event_lists(run, pushed.target)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        if not run.dry_run:
            close_checkpoints(extracts, succeeded=error is None, error=error)
    brevo = brevo_summary(pushed.push, events, recreated)
    summary = summarize(extracts, audience, brevo, dry_run=run.dry_run, as_of=run.as_of)
    await _publish(summary, pushed.plan, pushed.push, record=not run.dry_run and run.emails is None)
    get_run_logger().info("\n%s", summary.render())
    return summary


def _extract_and_store(run: _Run) -> list[SourceExtract]:
    """Extract every source's window concurrently, then store each (opening its checkpoint unless a dry run)."""
    futures = [
        extract_source(s).submit(*run.windows[s], **_incremental_kw(s, run.date_from, run.settings))
        for s in run.windows
    ]
    extracts: list[SourceExtract] = [f.result() for f in futures]
    for extract in extracts:
        store_interactions(extract, flow_run_id=str(flow_run.get_id() or ""), checkpoint=not run.dry_run)
    return extracts


async def _push_master_list(audience: Audience, run: _Run) -> _Pushed:
    """Plan the master list against what Brevo last accepted and push the changes (a dry run counts them)."""
    known = known_list_id(run.list_id)
    plan = plan_sync(audience, known or 0)
    if run.dry_run:
        target = await prepare_brevo(known, dry_run=True) if known else None
        return _Pushed(plan, count_plan(plan, target), target)
    if not needs_push(plan, known):
        push = count_plan(plan, None)
        push.list_id = known
        get_run_logger().info("nothing changed since the last push: no call to Brevo")
        return _Pushed(plan, push, None)
    target = await prepare_brevo(run.list_id)
    assert target.list_id is not None
    if target.list_id != known:
        plan = plan_sync(audience, target.list_id)
    return _Pushed(plan, await push_changes(plan, target), target)


def _recreated_lists(target: BrevoTarget | None) -> list[str]:
    """Lists found deleted in Brevo: the master list created again, and event lists to refill."""
    if target is None or target.existing_lists is None:
        return []
    return [
        *target.recreated,
        *map("event list {}".format, forget_deleted_event_lists(target.existing_lists)),
    ]


async def _push_event_lists(run: _Run, target: BrevoTarget | None) -> EventListResult:
    """After the master push (everyone with an active ticket is now a contact): the per-event lists."""
    if not run.settings.event_lists:
        return EventListResult()
    event_plan = plan_event_list_sync(emails=run.emails)
    if run.dry_run:
        return EventListResult(added=event_plan.adds, removed=event_plan.removes, lists=event_plan.lists)
    if event_plan.plan.empty:
        return EventListResult()
    return await sync_event_lists(event_plan, target.states if target else None)
