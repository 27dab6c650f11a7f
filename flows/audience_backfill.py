"""Flow ``audience-backfill``: run audience-sync over a date range, window by window, resumably."""

from __future__ import annotations

from datetime import date
from typing import Literal

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_table_artifact
from pydantic import BaseModel

from audience.windows import backfill_windows
from flows.audience_sync import audience_sync
from flows.backfill_fanout import fan_out_windows, run_window_deployment, under_work_pool
from tasks.failures import explains_failures
from tasks.sources import configured_sources
from tasks.windows import stored_window_states

Reprocess = Literal["none", "failed", "all"]


class BackfillWindow(BaseModel):
    """One window of a backfill and what happened to it."""

    date_from: date
    date_to: date
    before: str
    action: str
    people: int | None = None
    created: int | None = None
    updated: int | None = None


class BackfillSummary(BaseModel):
    """The windows of a backfill, in order."""

    dry_run: bool
    sources: list[str]
    windows: list[BackfillWindow]

    def render(self) -> str:
        """One line per window."""
        lines = [
            f"audience-backfill{' (dry run)' if self.dry_run else ''}, sources {', '.join(self.sources)}"
        ]
        for w in self.windows:
            done = (
                f" -> {w.people} people, {w.created} created, {w.updated} updated"
                if w.people is not None
                else ""
            )
            lines.append(f"  {w.date_from}..{w.date_to}  was {w.before:10} {w.action}{done}")
        return "\n".join(lines)


def _state(states: list[dict[tuple[date, date], str]], window: tuple[date, date]) -> str:
    """Combined state of a window over sources: complete only if complete for every source."""
    seen = [s.get(window, "new") for s in states]
    if all(s == "complete" for s in seen):
        return "complete"
    if any(s in ("failed", "running", "interrupted") for s in seen):
        return "failed" if "failed" in seen else "interrupted"
    return "new"


def choose(before: str, reprocess: Reprocess) -> bool:
    """Whether a window in state ``before`` runs: none = all but complete; failed = failed/interrupted only; all."""
    if reprocess == "all":
        return True
    if reprocess == "failed":
        return before in ("failed", "interrupted")
    return before != "complete"


@flow(name="audience-backfill")
@explains_failures
async def audience_backfill(
    date_from: date,
    date_to: date,
    window_days: int = 30,
    reprocess: Reprocess = "none",
    sources: list[str] | None = None,
    list_id: int | None = None,
    dry_run: bool = False,
    max_parallel_windows: int = 4,
) -> BackfillSummary:
    """Sync ``[date_from, date_to]`` in windows of ``window_days``, oldest first, skipping completed windows.

    ``reprocess``: ``none`` runs every window not yet complete (so a rerun resumes after a crash),
    ``failed`` only windows that failed or were interrupted, ``all`` every window. ``dry_run``
    lists the windows and what would run, and runs nothing. Started from a deployment (under a
    work pool), the windows run as child runs of the audience-sync deployment on every worker,
    ``max_parallel_windows`` at a time; otherwise one after the other in this process.
    """
    logger = get_run_logger()
    chosen = configured_sources() if sources is None else list(sources)
    windows = backfill_windows(date_from, date_to, window_days)
    states = stored_window_states(chosen)
    plan = [(w, _state(states, w)) for w in windows]
    if not dry_run and under_work_pool():
        spread = await _fan_out(plan, reprocess, chosen, list_id, max_parallel_windows)
        return await _finish(spread, chosen, date_from, date_to, window_days, reprocess, dry_run)
    results: list[BackfillWindow] = []
    for (start, end), before in plan:
        runs = choose(before, reprocess)
        row = BackfillWindow(date_from=start, date_to=end, before=before, action="run" if runs else "skip")
        if runs and not dry_run:
            logger.info("window %s..%s (%s)", start, end, before)
            summary = await audience_sync(date_from=start, date_to=end, sources=chosen, list_id=list_id)
            row.action = "ran"
            row.people, row.created, row.updated = (
                summary.people,
                summary.brevo.created,
                summary.brevo.updated,
            )
        results.append(row)
    return await _finish(results, chosen, date_from, date_to, window_days, reprocess, dry_run)


async def _fan_out(
    plan: list[tuple[tuple[date, date], str]],
    reprocess: Reprocess,
    sources: list[str],
    list_id: int | None,
    max_parallel: int,
) -> list[BackfillWindow]:
    logger = get_run_logger()
    todo = [w for w, before in plan if choose(before, reprocess)]
    logger.info("%d window(s) as child runs of audience-sync, %d at a time", len(todo), max_parallel)
    runs = await fan_out_windows(
        todo,
        lambda start, end: run_window_deployment(start, end, sources=sources, list_id=list_id),
        max_parallel,
    )
    outcome = dict(zip(todo, runs, strict=True))
    rows = []
    for window, before in plan:
        row = BackfillWindow(date_from=window[0], date_to=window[1], before=before, action="skip")
        if window in outcome:
            run = outcome[window]
            if isinstance(run, BaseException):
                row.action = f"failed to start: {str(run).splitlines()[0][:120]}"
            else:
                state = run.state.name if run.state else "unknown"
                row.action = "ran" if run.state and run.state.is_completed() else f"run {state.lower()}"
                row.action += f" ({run.name})"
        rows.append(row)
    return rows


async def _finish(
    results: list[BackfillWindow],
    chosen: list[str],
    date_from: date,
    date_to: date,
    window_days: int,
    reprocess: Reprocess,
    dry_run: bool,
) -> BackfillSummary:
    out = BackfillSummary(dry_run=dry_run, sources=chosen, windows=results)
    await acreate_table_artifact(
        key="audience-backfill-windows",
        table=[r.model_dump(mode="json") for r in results],
        description=f"Backfill {date_from}..{date_to} in {window_days}-day windows (reprocess={reprocess})",
    )
    failed = [f"{r.date_from}..{r.date_to}" for r in results if r.action.startswith(("failed", "run "))]
    if failed:
        raise RuntimeError(f"{len(failed)} backfill window(s) did not complete: {', '.join(failed)}")
    return out
