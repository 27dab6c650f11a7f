"""Typed Zoom records: the parts of the v2 JSON this project reads, and folded results."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ZoomUser(_Record):
    """``GET /users/{userId}``."""

    id: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    account_id: str | None = None
    type: int | None = None
    status: str | None = None


class ZoomHosts(_Record):
    """What ``test_connection`` found: the hosts the audience reads, and a line for ``engarde check``."""

    hosts: list[ZoomUser]
    check_detail: str


class Meeting(_Record):
    """A meeting or webinar as the list, get and create endpoints return it."""

    id: int
    uuid: str | None = None
    topic: str = ""
    type: int | None = None
    start_time: datetime | None = None
    duration: int | None = None
    timezone: str | None = None
    join_url: str | None = None
    host_id: str | None = None
    created_at: datetime | None = None
    #: Only on ``GET /meetings/{id}`` / ``GET /webinars/{id}``.
    settings: dict[str, Any] | None = None

    @property
    def requires_registration(self) -> bool:
        """Whether people register (``settings.approval_type`` 0 or 1; 2 = no registration)."""
        return self.settings is not None and self.settings.get("approval_type", 2) != 2


class Instance(_Record):
    """One held occurrence of a meeting or webinar (``past_*/{id}/instances``)."""

    uuid: str
    start_time: datetime | None = None


def _blank_to_none(value: object) -> object:
    return None if value == "" else value


class Participant(_Record):
    """One join session: a person who rejoined appears once per join."""

    id: str | None = None
    user_id: str | None = None
    name: str | None = None
    user_email: str | None = None
    join_time: datetime
    leave_time: datetime | None = None
    duration: int = 0  # seconds
    registrant_id: str | None = None
    status: str | None = None

    _blank = field_validator("id", "user_id", "user_email", "registrant_id", mode="before")(_blank_to_none)


class Registrant(_Record):
    """A meeting or webinar registrant (any status: approved, pending, denied)."""

    id: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    status: str | None = None
    create_time: datetime | None = None
    join_url: str | None = None


class RecordingFile(_Record):
    """One file of a cloud recording."""

    id: str | None = None
    file_type: str | None = None
    file_size: int | None = None
    recording_start: datetime | None = None
    recording_end: datetime | None = None
    download_url: str | None = None
    status: str | None = None


class Recording(_Record):
    """A recorded meeting occurrence and its files."""

    uuid: str
    id: int
    topic: str = ""
    start_time: datetime | None = None
    duration: int | None = None
    total_size: int | None = None
    recording_files: list[RecordingFile] = Field(default_factory=list)


class Attendance(_Record):
    """One person at one occurrence: the join sessions of that person folded together."""

    kind: Literal["meeting", "webinar"]
    meeting_id: int
    occurrence_uuid: str
    topic: str
    occurrence_start: datetime | None
    email: str | None
    registrant_id: str | None
    name: str | None
    first_join: datetime
    last_leave: datetime | None
    duration_seconds: int
    sessions: int


class FoldResult(_Record):
    """Attendances with an email, and how each person got one (or did not).

    Counted per person per occurrence: ``by_email`` carried their own email, ``by_registrant``
    were joined to a registrant by ``registrant_id``, ``by_name`` by the unique display-name
    rule (:func:`connectors.zoom.folding.fold_participants`); ``without_email`` could not be
    joined and are left out.
    """

    attendances: list[Attendance]
    without_email: int
    by_email: int = 0
    by_registrant: int = 0
    by_name: int = 0


class MeetingAnalytics(_Record):
    """Figures for one occurrence, from its participant report."""

    meeting: str
    join_sessions: int
    unique_attendees: int
    total_minutes: float
    average_minutes: float
    peak_concurrency: int


class RegistrationRecord(_Record):
    """A registrant with the meeting or webinar it registered for."""

    kind: Literal["meeting", "webinar"] = "webinar"
    meeting_id: int
    topic: str
    start_time: datetime | None
    registrant: Registrant


class ZoomExtract(_Record):
    """What the audience extraction reads for a window."""

    meetings: list[Meeting]
    webinars: list[Meeting]
    registrations: list[RegistrationRecord]
    attendances: list[Attendance]
    without_email: int = 0
    skipped: list[str] = Field(default_factory=list)
    #: Users whose sessions were read.
    hosts: int = 0
    #: Participants (per person per occurrence) matched by their own email / a registrant id / a name.
    by_email: int = 0
    by_registrant: int = 0
    by_name: int = 0
