"""Typed EasyAppointments records, with the API encoder's field names (``customerId``, ...).

Fields follow ``*_model::api_encode`` (1.6.0); fields added in later versions (e.g.
``meetingLink``, absent on 1.5.x) are optional, unknown extra fields are ignored.

Datetimes arrive as naive ``Y-m-d H:i:s`` local times of the instance. Validate with
``context={"tz": ZoneInfo(...)}`` (the client does) and they become UTC-aware; without
a context they are read as UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationInfo, model_validator


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Localiser:
    """Naive local datetimes of one zone → UTC, with the UTC offset cached per local date.

    A date on which the offset changes (a DST transition) is converted value by value
    (``zoneinfo`` semantics: an ambiguous time is its first occurrence, a time inside
    the gap is read with the offset before it).
    """

    _cache: ClassVar[dict[tzinfo, _Localiser]] = {}

    def __init__(self, zone: tzinfo) -> None:
        self.zone = zone
        self.offsets: dict[date, timedelta | None] = {}

    @classmethod
    def of(cls, zone: tzinfo) -> _Localiser:
        found = cls._cache.get(zone)
        if found is None:
            found = cls._cache[zone] = cls(zone)
        return found

    def to_utc(self, value: datetime) -> datetime:
        if value.tzinfo is not None:
            return value.astimezone(UTC)
        day = value.date()
        try:
            offset = self.offsets[day]
        except KeyError:
            midnight = datetime.combine(day, time.min)
            first = self.zone.utcoffset(midnight)
            last = self.zone.utcoffset(midnight + timedelta(hours=23, minutes=59))
            offset = self.offsets[day] = first if first == last else None
        if offset is None:
            return value.replace(tzinfo=self.zone).astimezone(UTC)
        if offset:
            value = value - offset
        return value.replace(tzinfo=UTC)


class Appointment(_Record):
    """One appointment (``GET /appointments``). ``start``/``end``/``book`` are UTC-aware."""

    id: int
    book: datetime | None = None
    start: datetime
    end: datetime | None = None
    hash: str | None = None
    color: str | None = None
    status: str | None = None
    location: str | None = None
    notes: str | None = None
    customerId: int | None = None
    providerId: int | None = None
    serviceId: int | None = None
    meetingLink: str | None = None
    googleCalendarId: str | None = None
    caldavCalendarId: str | None = None

    @model_validator(mode="after")
    def _apply_zone(self, info: ValidationInfo) -> Appointment:
        # One Python call per record (not per field): this runs 20k times per large window.
        start, end, book = self.start, self.end, self.book
        localiser = _Localiser.of((info.context or {}).get("tz") or UTC)
        fields = self.__dict__
        fields["start"] = localiser.to_utc(start)
        if end is not None:
            fields["end"] = localiser.to_utc(end)
        if book is not None:
            fields["book"] = localiser.to_utc(book)
        return self


class Customer(_Record):
    """One customer (``GET /customers``)."""

    id: int
    firstName: str | None = None
    lastName: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    city: str | None = None
    zip: str | None = None
    notes: str | None = None
    timezone: str | None = None
    language: str | None = None
    customField1: str | None = None
    customField2: str | None = None
    customField3: str | None = None
    customField4: str | None = None
    customField5: str | None = None
    ldapDn: str | None = None


class Service(_Record):
    """One bookable service (``GET /services``)."""

    id: int
    name: str | None = None
    duration: int | None = None
    price: float | None = None
    currency: str | None = None
    description: str | None = None
    location: str | None = None
    slotInterval: int | None = None
    attendantsNumber: int | None = None
    isPrivate: bool | None = None
    serviceCategoryId: int | None = None


class Provider(_Record):
    """One provider (``GET /providers``). Its ``settings`` (working plan, sync secrets) are not kept."""

    id: int
    firstName: str | None = None
    lastName: str | None = None
    email: str | None = None
    mobile: str | None = None
    phone: str | None = None
    address: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    notes: str | None = None
    isPrivate: bool | None = None
    ldapDn: str | None = None
    timezone: str | None = None
    language: str | None = None
    services: list[int] | None = None

    @property
    def full_name(self) -> str:
        """``firstName lastName``, without stray spaces."""
        return " ".join(p for p in (self.firstName, self.lastName) if p)


APPOINTMENTS = TypeAdapter(list[Appointment])
CUSTOMERS = TypeAdapter(list[Customer])
SERVICES = TypeAdapter(list[Service])
PROVIDERS = TypeAdapter(list[Provider])
