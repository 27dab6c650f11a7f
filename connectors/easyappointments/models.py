"""Typed EasyAppointments records, with the API encoder's field names (``customerId``, ...).

Fields follow ``*_model::api_encode`` (1.6.0); fields added in later versions (e.g.
``meetingLink``, absent on 1.5.x) are optional, unknown extra fields are ignored.

Datetimes arrive as naive ``Y-m-d H:i:s`` local times of the instance. Validate with
``context={"tz": ZoneInfo(...)}`` (the client does) and they become UTC-aware; without
a context they are read as UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationInfo, field_validator

_ZERO_DATES = ("", "0000-00-00 00:00:00", "0000-00-00")


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


def _to_utc(value: datetime | None, info: ValidationInfo) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        zone = (info.context or {}).get("tz") or UTC
        assert isinstance(zone, tzinfo)
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)


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

    @field_validator("book", "end", mode="before")
    @classmethod
    def _zero_date_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and value.strip() in _ZERO_DATES else value

    @field_validator("book", "start", "end", mode="after")
    @classmethod
    def _apply_zone(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        return _to_utc(value, info)


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
