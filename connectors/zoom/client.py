"""Async Zoom v2 client: every method of the seed, over the shared HTTP mechanism.

The core (one ``HttpClient`` per rate category, listing, parsing) is :mod:`connectors.zoom._base`.

- Server-to-Server OAuth through :class:`ZoomS2SAuth` (an ``httpx.Auth``).
- ``next_page_token`` paging with the same ``page_size`` on every page; a token that expired
  mid-crawl restarts that crawl once (rows are collected before they are yielded, so a
  restart never duplicates them).
- UUIDs starting with ``/`` or containing ``//`` are double-encoded.
- One shared rate budget per category (light / medium / heavy) and plan; a QPS 429 backs
  off, a daily 429's ISO ``Retry-After`` is honoured or reported as :class:`RateLimitError`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, Literal
from urllib.parse import quote

from connectors.http import (
    ClientError,
    NotFoundError,
)
from connectors.zoom._base import PROVIDER, ZoomBase
from connectors.zoom.extraction import extract_attendance
from connectors.zoom.folding import analyze_participants
from connectors.zoom.models import (
    Instance,
    Meeting,
    MeetingAnalytics,
    Participant,
    Recording,
    Registrant,
    ZoomExtract,
    ZoomHosts,
    ZoomUser,
)

log = logging.getLogger(__name__)

MeetingListType = Literal[
    "scheduled", "live", "upcoming", "upcoming_meetings", "previous", "previous_meetings"
]
REGISTRANT_STATUSES: tuple[str, ...] = ("approved", "pending", "denied")
#: Zoom's "no permission": the plan has no report endpoints.
NO_PERMISSION = "200"


def encode_uuid(value: int | str) -> str:
    """A meeting id or UUID for a URL path: double-encoded when it starts with ``/`` or has ``//``."""
    text = str(value)
    once = quote(text, safe="")
    if text.startswith("/") or "//" in text:
        return quote(once, safe="")
    return once


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ZoomClient(ZoomBase):
    """Zoom v2 for one account: the endpoints (see :class:`~connectors.zoom._base.ZoomBase`)."""

    # ------------------------------------------------------------------ seed methods

    async def get_user(self, user_id: str) -> ZoomUser:
        """One user of the account (an id, an email, or ``me``)."""
        path = f"/users/{quote(user_id, safe='@')}"
        user: ZoomUser = self._parse(ZoomUser, await self._get("light", path), path)
        return user

    async def list_users(self, status: Literal["active", "inactive", "pending"] = "active") -> list[ZoomUser]:
        """The account's users of one status, all pages (``GET /users``, needs ``user:read:admin``)."""
        rows = await self._collect("medium", "/users", "users", {"status": status})
        return [self._parse(ZoomUser, row, "/users") for row in rows]

    async def hosts(self) -> list[ZoomUser]:
        """The users whose meetings and webinars the audience reads.

        ``users=None``: every active user of the account; ``["me"]``: the token's own user;
        otherwise each listed id or email (a name Zoom does not know raises
        :class:`NotFoundError` saying which).
        """
        if self.users is None:
            return await self.list_users("active")
        found = []
        for name in self.users:
            try:
                found.append(await self.get_user(name))
            except NotFoundError as exc:
                raise NotFoundError(
                    f"ZOOM_USERS lists {name!r}, which is not a user of this Zoom account",
                    provider=PROVIDER,
                    method=exc.method,
                    path=exc.path,
                    status=exc.status,
                    code=exc.code,
                ) from exc
        return list({u.id: u for u in found}.values())

    async def test_connection(self) -> ZoomHosts:
        """Check the credentials and say whose sessions are read (``engarde check`` prints it)."""
        hosts = await self.hosts()
        if self.users is None:
            detail = f"connection works; {len(hosts)} active host(s) in the account"
        else:
            detail = f"connection works; {len(hosts)} host(s) from ZOOM_USERS"
        return ZoomHosts(hosts=hosts, check_detail=detail)

    async def _create(self, kind: str, body: dict[str, Any]) -> Meeting:
        path = f"/users/{quote(self.user_id, safe='@')}/{kind}"
        response = await self._http["light"].request("POST", path, json=body)
        created: Meeting = self._parse(Meeting, self._http["light"].decode(response, "POST", path), path)
        return created

    async def create_meeting(
        self,
        *,
        topic: str,
        start_time: datetime,
        duration_minutes: int = 60,
        timezone: str = "UTC",
        agenda: str | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> Meeting:
        """Schedule a meeting (type 2). Not retried once it may have reached Zoom."""
        body: dict[str, Any] = {
            "topic": topic,
            "type": 2,
            "start_time": _iso(start_time),
            "duration": duration_minutes,
            "timezone": timezone,
        }
        if agenda:
            body["agenda"] = agenda
        if settings:
            body["settings"] = dict(settings)
        return await self._create("meetings", body)

    async def create_webinar(
        self,
        *,
        topic: str,
        start_time: datetime,
        duration_minutes: int = 60,
        timezone: str = "UTC",
        agenda: str | None = None,
        approval_type: int = 0,
    ) -> Meeting:
        """Schedule a webinar (type 5) with registration (``approval_type`` 0 = automatic)."""
        body: dict[str, Any] = {
            "topic": topic,
            "type": 5,
            "start_time": _iso(start_time),
            "duration": duration_minutes,
            "timezone": timezone,
            "settings": {"approval_type": approval_type},
        }
        if agenda:
            body["agenda"] = agenda
        return await self._create("webinars", body)

    async def list_meetings(
        self,
        type: MeetingListType = "scheduled",
        *,
        from_: date | None = None,
        to: date | None = None,
        user_id: str | None = None,
    ) -> list[Meeting]:
        """A user's meetings of one listing type (``previous`` = ended meetings), all pages.

        ``user_id`` (an id or email) defaults to the client's ``user_id``.
        """
        kind = "previous_meetings" if type == "previous" else type
        path = f"/users/{quote(user_id or self.user_id, safe='@')}/meetings"
        params = {
            "type": kind,
            "from": from_.isoformat() if from_ else None,
            "to": to.isoformat() if to else None,
        }
        rows = await self._collect("medium", path, "meetings", params)
        return [self._parse(Meeting, row, path) for row in rows]

    async def list_webinars(
        self, type: Literal["scheduled", "upcoming"] = "scheduled", *, user_id: str | None = None
    ) -> list[Meeting]:
        """A user's webinars, all pages (``user_id`` defaults to the client's)."""
        path = f"/users/{quote(user_id or self.user_id, safe='@')}/webinars"
        rows = await self._collect("medium", path, "webinars", {"type": type})
        return [self._parse(Meeting, row, path) for row in rows]

    async def list_past_instances(self, meeting_id: int, *, webinar: bool = False) -> list[Instance]:
        """The held occurrences (UUID, start) of a meeting or webinar."""
        kind = "webinars" if webinar else "meetings"
        path = f"/past_{kind}/{encode_uuid(meeting_id)}/instances"
        body = await self._get("medium", path)
        return [self._parse(Instance, row, path) for row in (body.get(kind) or [])]

    async def _participants(self, kind: str, meeting: int | str) -> list[Participant]:
        encoded = encode_uuid(meeting)
        if self.reports is not False:
            path = f"/report/{kind}/{encoded}/participants"
            try:
                rows = await self._collect("heavy", path, "participants", {"include_fields": "registrant_id"})
            except ClientError as exc:
                if exc.code != NO_PERMISSION or self.reports is True:
                    raise
                log.info("zoom: the plan has no report endpoints; using past_%s participants", kind)
                self.reports = False
            else:
                self.reports = True
                return [self._parse(Participant, row, path) for row in rows]
        path = f"/past_{kind}/{encoded}/participants"
        rows = await self._collect("medium", path, "participants")
        return [self._parse(Participant, row, path) for row in rows]

    async def list_participants(self, meeting: int | str, *, webinar: bool = False) -> list[Participant]:
        """Join sessions of one occurrence, all pages (see :meth:`iter_meeting_participants`)."""
        return await self._participants("webinars" if webinar else "meetings", meeting)

    async def iter_meeting_participants(self, meeting: int | str) -> AsyncIterator[Participant]:
        """Join sessions of one meeting occurrence (UUID; a numeric id means the latest one).

        Report endpoint with ``registrant_id``; ``past_meetings`` where the plan has no reports.
        Fold them per person with :func:`fold_participants`.
        """
        for row in await self._participants("meetings", meeting):
            yield row

    async def iter_webinar_participants(self, webinar: int | str) -> AsyncIterator[Participant]:
        """Join sessions of one webinar occurrence (see :meth:`iter_meeting_participants`)."""
        for row in await self._participants("webinars", webinar):
            yield row

    async def _registrants(
        self, kind: str, meeting_id: int, statuses: Sequence[str], occurrence_id: str | None
    ) -> AsyncIterator[Registrant]:
        path = f"/{kind}/{encode_uuid(meeting_id)}/registrants"
        for status in statuses:
            rows = await self._collect(
                "medium", path, "registrants", {"status": status, "occurrence_id": occurrence_id}
            )
            for row in rows:
                registrant: Registrant = self._parse(Registrant, {"status": status, **row}, path)
                yield registrant

    def iter_webinar_registrants(
        self,
        webinar_id: int,
        *,
        statuses: Sequence[str] = REGISTRANT_STATUSES,
        occurrence_id: str | None = None,
    ) -> AsyncIterator[Registrant]:
        """Registrants of every status (Zoom's default is approved only), one listing per status."""
        return self._registrants("webinars", webinar_id, statuses, occurrence_id)

    def iter_meeting_registrants(
        self,
        meeting_id: int,
        *,
        statuses: Sequence[str] = REGISTRANT_STATUSES,
        occurrence_id: str | None = None,
    ) -> AsyncIterator[Registrant]:
        """Registrants of a meeting that requires registration (every status, as for webinars)."""
        return self._registrants("meetings", meeting_id, statuses, occurrence_id)

    async def get_meeting(self, meeting_id: int, *, webinar: bool = False) -> Meeting:
        """One meeting or webinar with its settings (``GET /meetings/{id}`` / ``/webinars/{id}``)."""
        path = f"/{'webinars' if webinar else 'meetings'}/{encode_uuid(meeting_id)}"
        meeting: Meeting = self._parse(Meeting, await self._get("light", path), path)
        return meeting

    async def get_meeting_analytics(self, meeting: int | str, *, webinar: bool = False) -> MeetingAnalytics:
        """Unique attendees, total and average minutes and peak concurrency of one occurrence."""
        rows = await self._participants("webinars" if webinar else "meetings", meeting)
        return analyze_participants(str(meeting), rows)

    async def list_recordings(self, *, from_: date | None = None, to: date | None = None) -> list[Recording]:
        """The user's cloud recordings between two days (Zoom's default: the last 30 days)."""
        path = f"/users/{quote(self.user_id, safe='@')}/recordings"
        params = {"from": from_.isoformat() if from_ else None, "to": to.isoformat() if to else None}
        rows = await self._collect("medium", path, "meetings", params)
        return [self._parse(Recording, row, path) for row in rows]

    async def get_meeting_recordings(self, meeting: int | str) -> Recording:
        """The recording of one meeting (UUID for one occurrence)."""
        path = f"/meetings/{encode_uuid(meeting)}/recordings"
        recording: Recording = self._parse(Recording, await self._get("light", path), path)
        return recording

    async def delete_recordings(
        self, meeting: int | str, *, action: Literal["trash", "delete"] = "trash"
    ) -> None:
        """Delete a meeting's recordings (``trash`` keeps them 30 days in the trash)."""
        path = f"/meetings/{encode_uuid(meeting)}/recordings"
        await self._http["light"].request("DELETE", path, params={"action": action})

    # ------------------------------------------------------------------ extraction

    async def extract_attendance(self, *, date_from: date, date_to: date) -> ZoomExtract:
        """Registrations and folded attendance of every host's sessions held or scheduled in the window.

        See :func:`connectors.zoom.extraction.extract_attendance`.
        """
        return await extract_attendance(self, date_from=date_from, date_to=date_to)
