"""The audience's Zoom read: every host's sessions in a window, their registrants and attendance.

For each host (:meth:`ZoomClient.hosts`: every active user, ``me``, or the listed users), their
ended meetings, upcoming meetings and webinars; for each session held in the window or scheduled
in it, its registrants (webinars always; meetings when their settings require registration,
read with ``GET /meetings/{id}``) and, per held occurrence, its participants folded into one
attendance per person (:mod:`connectors.zoom.folding`). Every call goes through the client's
rate budget; a missing report is noted and the rest goes on.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Literal

from connectors.days import day_bounds
from connectors.http import NotFoundError
from connectors.zoom.folding import fold_participants
from connectors.zoom.models import Attendance, Instance, Meeting, Registrant, RegistrationRecord, ZoomExtract

if TYPE_CHECKING:
    from connectors.zoom.client import ZoomClient


def _may_overlap(item: Meeting, end: datetime) -> bool:
    # Occurrences never precede the series' start, so a series starting after the window is out.
    return item.start_time is None or item.start_time < end


async def _sessions(client: ZoomClient, end: datetime) -> tuple[list[Meeting], list[Meeting], int]:
    """Every host's meetings (ended and upcoming) and webinars that may touch the window."""
    hosts = await client.hosts()
    meetings: dict[int, Meeting] = {}
    webinars: dict[int, Meeting] = {}
    for host in hosts:
        for listing in ("previous_meetings", "upcoming"):
            for m in await client.list_meetings(listing, user_id=host.id):
                if _may_overlap(m, end):
                    meetings.setdefault(m.id, m)
        for w in await client.list_webinars(user_id=host.id):
            if _may_overlap(w, end):
                webinars.setdefault(w.id, w)
    return list(meetings.values()), list(webinars.values()), len(hosts)


class _Reader:
    """Accumulates one extraction's records and counts."""

    def __init__(self, client: ZoomClient, start: datetime, end: datetime) -> None:
        self.client, self.start, self.end = client, start, end
        self.now = datetime.now(UTC)
        self.registrations: list[RegistrationRecord] = []
        self.attendances: list[Attendance] = []
        self.skipped: list[str] = []
        self.counts = {"without_email": 0, "by_email": 0, "by_registrant": 0, "by_name": 0}

    async def held(self, item: Meeting, kind: Literal["meeting", "webinar"]) -> list[Instance] | None:
        """Occurrences held in the window (None: the session is gone, noted)."""
        if item.start_time is not None and item.start_time > self.now:
            return []  # a series that has not started yet has no past instances to ask for
        try:
            instances = await self.client.list_past_instances(item.id, webinar=kind == "webinar")
        except NotFoundError:
            self.skipped.append(f"{kind} {item.id} ({item.topic}): no past instances (404), skipped")
            return None
        return [i for i in instances if i.start_time is not None and self.start <= i.start_time < self.end]

    async def registrants(self, item: Meeting, kind: Literal["meeting", "webinar"]) -> dict[str, Registrant]:
        """Registrants of every status, when the session takes registrations."""
        if kind == "meeting":
            try:
                detail = await self.client.get_meeting(item.id)
            except NotFoundError:  # Zoom forgets some ended meetings; their attendance is still read
                self.skipped.append(
                    f"meeting {item.id} ({item.topic}): details gone (404), registrants not read"
                )
                return {}
            if not detail.requires_registration:
                return {}
            listing = self.client.iter_meeting_registrants(item.id)
        else:
            listing = self.client.iter_webinar_registrants(item.id)
        return {r.id: r async for r in listing}

    async def session(self, item: Meeting, kind: Literal["meeting", "webinar"]) -> bool:
        """Read one session; True when it was held or scheduled in the window."""
        held = await self.held(item, kind)
        if held is None:
            return False
        scheduled = (
            item.start_time is not None
            and item.start_time > self.now
            and self.start <= item.start_time < self.end
        )
        if not held and not scheduled:
            return False
        registrants = await self.registrants(item, kind)
        for registrant in registrants.values():
            self.registrations.append(
                RegistrationRecord(
                    kind=kind,
                    meeting_id=item.id,
                    topic=item.topic,
                    start_time=held[0].start_time if held else item.start_time,
                    registrant=registrant,
                )
            )
        for instance in held:
            await self.occurrence(item, kind, instance, registrants)
        return True

    async def occurrence(
        self,
        item: Meeting,
        kind: Literal["meeting", "webinar"],
        instance: Instance,
        registrants: dict[str, Registrant],
    ) -> None:
        try:
            rows = await self.client.list_participants(instance.uuid, webinar=kind == "webinar")
        except NotFoundError as exc:
            self.skipped.append(
                f"{kind} {item.id} ({item.topic}) on {instance.start_time:%Y-%m-%d}: "
                f"participant report not found ({exc.code or 404}), skipped"
            )
            return
        folded = fold_participants(
            rows,
            kind=kind,
            meeting_id=item.id,
            occurrence_uuid=instance.uuid,
            topic=item.topic,
            occurrence_start=instance.start_time,
            registrants=registrants,
        )
        self.attendances.extend(folded.attendances)
        for name in self.counts:
            self.counts[name] += getattr(folded, name)


async def extract_attendance(client: ZoomClient, *, date_from: date, date_to: date) -> ZoomExtract:
    """Registrations (every status) and one attendance per person per occurrence, for every host.

    Registrations count for a session held in the window or scheduled in it. A 404 on one
    occurrence's report is noted in ``skipped`` and the rest goes on.
    """
    start, end = day_bounds(date_from, date_to)
    meetings, webinars, hosts = await _sessions(client, end)
    reader = _Reader(client, start, end)
    kept_meetings = [m for m in meetings if await reader.session(m, "meeting")]
    kept_webinars = [w for w in webinars if await reader.session(w, "webinar")]
    return ZoomExtract(
        meetings=kept_meetings,
        webinars=kept_webinars,
        registrations=reader.registrations,
        attendances=reader.attendances,
        skipped=reader.skipped,
        hosts=hosts,
        **reader.counts,
    )
