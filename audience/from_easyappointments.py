"""EasyAppointments records → the interactions frame (pure pandas, vectorised).

Records may be the connector's models (attributes with the API encoder's names) or plain
mappings with the same keys (e.g. literal test data). Datetimes may be aware (converted
to UTC) or naive / ``Y-m-d H:i:s`` strings, read as local times in ``tz``. A local time
that DST makes ambiguous is read as its first occurrence (like ``zoneinfo`` with
``fold=0``); one that does not exist (inside a DST gap) is moved one hour later, again
as ``zoneinfo`` reads it, so models and plain mappings give the same instants.

Status is EasyAppointments free text, mapped case-insensitively: contains "cancel" →
``cancelled``; "no show" / "noshow" / "no-show" / "no_show" → ``no_show``; "draft" → the
row is not a booking and is dropped (counted in ``frame.attrs["dropped_drafts"]``);
anything else, empty included → ``booked``.

Incremental runs: the API has no modified-since filter, so callers re-read a start-date
window and compare what they held for it with what came back (:func:`mark_vanished`, or
``store.interactions.mark_vanished`` with the frame's ``source_id`` as ``seen_ids``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, tzinfo
from typing import Any, Final

import numpy as np
import pandas as pd

from audience.identity import normalise_emails
from audience.schema import coerce_interactions
from audience.status import StatusMapping, map_booking_status

SOURCE: Final = "easyappointments"
DROPPED_ATTR: Final = "dropped_drafts"

_APPOINTMENT_COLUMNS = ("id", "book", "start", "status", "customerId", "providerId", "serviceId")
_CUSTOMER_COLUMNS = ("id", "email", "firstName", "lastName", "phone", "timezone", "language")
_SERVICE_COLUMNS = ("id", "name", "price", "currency")
_PROVIDER_COLUMNS = ("id", "firstName", "lastName")


def appointment_columns(records: Iterable[Any]) -> dict[str, list[Any]]:
    """The fields the mapping reads, as columns (lists); cheap to extend page by page."""
    return _column_lists(records, _APPOINTMENT_COLUMNS)


def _column_lists(records: Iterable[Any], names: Sequence[str]) -> dict[str, list[Any]]:
    rows = records if isinstance(records, list) else list(records)
    if not rows:
        return {n: [] for n in names}
    if isinstance(rows[0], Mapping):
        return {n: [r.get(n) for r in rows] for n in names}
    return {n: [getattr(r, n, None) for r in rows] for n in names}


def _columns(records: Iterable[Any], names: Sequence[str]) -> pd.DataFrame:
    if isinstance(records, pd.DataFrame):
        return records.reindex(columns=list(names))
    rows = records if isinstance(records, list) else list(records)
    if not rows:
        return pd.DataFrame({n: pd.Series(dtype=object) for n in names})
    if isinstance(rows[0], Mapping):
        data = {n: [r.get(n) for r in rows] for n in names}
    else:
        data = {n: [getattr(r, n, None) for r in rows] for n in names}
    return pd.DataFrame(data)


def _ids(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce").astype("Int64")


def to_utc(values: pd.Series, tz: tzinfo | str) -> pd.Series:
    """Datetimes (aware, naive, or ``Y-m-d H:i:s`` text) as UTC; naive ones are local in ``tz``."""
    first = values.dropna().head(1)
    if not first.empty and getattr(first.iloc[0], "tzinfo", None) is not None:
        return pd.to_datetime(values, utc=True, errors="coerce")
    naive = pd.to_datetime(values, errors="coerce", format="ISO8601")
    zone = tz if isinstance(tz, str) else str(tz)
    local = naive.dt.tz_localize(
        zone, ambiguous=np.ones(len(naive), dtype=bool), nonexistent=pd.Timedelta(hours=1)
    )
    return local.dt.tz_convert("UTC")


def _blank_to_na(values: pd.Series) -> pd.Series:
    text = values.astype("string")
    return text.where(text.str.strip() != "")


class AppointmentMapper:
    """Maps appointments to interactions against customers/services/providers prepared once.

    A caller reading page by page can keep only :func:`appointment_columns` of each page
    (dropping the records) and map everything with one merge at the end;
    :func:`appointments_to_interactions` is the one-shot form. ``dropped`` counts the
    drafts skipped so far.
    """

    def __init__(
        self,
        customers: Iterable[Any],
        services: Iterable[Any],
        providers: Iterable[Any],
        *,
        tz: tzinfo | str,
        status_mapping: StatusMapping | None = None,
    ) -> None:
        people = _columns(customers, _CUSTOMER_COLUMNS).rename(
            columns={
                "id": "customerId",
                "email": "email_raw",
                "firstName": "first_name",
                "lastName": "last_name",
            }
        )
        people["customerId"] = _ids(people["customerId"])
        self.people = people.drop_duplicates("customerId", keep="last")
        catalogue = _columns(services, _SERVICE_COLUMNS)
        catalogue = catalogue.set_index(_ids(catalogue["id"]))
        catalogue = catalogue[~catalogue.index.duplicated(keep="last")]
        self.service_names = catalogue["name"].astype("string")
        self.service_prices = pd.to_numeric(catalogue["price"], errors="coerce")
        self.service_currencies = _blank_to_na(catalogue["currency"])
        staff = _columns(providers, _PROVIDER_COLUMNS)
        names = (
            staff["firstName"].fillna("").astype(str) + " " + staff["lastName"].fillna("").astype(str)
        ).str.strip()
        names.index = _ids(staff["id"])
        names = names[~names.index.duplicated(keep="last")]
        self.provider_names = names.where(names != "")
        self.tz = tz
        self.status_mapping = status_mapping
        self.dropped = 0

    def map(self, appointments: Iterable[Any] | pd.DataFrame) -> pd.DataFrame:
        """Interactions for ``appointments`` (drafts dropped and added to ``dropped``).

        ``appointments`` are records, or a frame of :func:`appointment_columns`.
        """
        appts = _columns(appointments, _APPOINTMENT_COLUMNS)
        status = map_booking_status(appts["status"], self.status_mapping)
        keep = status.notna().to_numpy()
        self.dropped += int((~keep).sum())
        appts = appts.loc[keep].reset_index(drop=True)
        status = status.loc[keep].reset_index(drop=True)
        appts["customerId"] = _ids(appts["customerId"])
        frame = appts.merge(self.people, on="customerId", how="left", sort=False, validate="many_to_one")
        service_id = _ids(frame["serviceId"])
        out = pd.DataFrame(
            {
                "source": SOURCE,
                "source_id": frame["id"].astype("string"),
                "email_raw": frame["email_raw"].astype("string"),
                "email": normalise_emails(frame["email_raw"]),
                "first_name": frame["first_name"],
                "last_name": frame["last_name"],
                "phone": frame["phone"],
                "kind": "booking",
                "status": status,
                "occurred_at": to_utc(frame["start"], self.tz),
                "created_at": to_utc(frame["book"], self.tz),
                "service": service_id.map(self.service_names),
                "event_id": service_id.astype("string"),
                "provider": _ids(frame["providerId"]).map(self.provider_names),
                "amount": service_id.map(self.service_prices),
                "currency": service_id.map(self.service_currencies),
                "timezone": frame["timezone"],
                "language": frame["language"],
            }
        )
        return coerce_interactions(out)


def appointments_to_interactions(
    appointments: Iterable[Any],
    customers: Iterable[Any],
    services: Iterable[Any],
    providers: Iterable[Any],
    *,
    tz: tzinfo | str,
    status_mapping: StatusMapping | None = None,
) -> pd.DataFrame:
    """One interactions row per appointment (``kind="booking"``), drafts dropped.

    Customers are joined by id with one merge, services and providers by index lookups;
    an appointment whose customer is unknown keeps ``<NA>`` person fields. ``source_id``
    is the appointment id as text. The number of dropped drafts is in
    ``result.attrs["dropped_drafts"]``.
    """
    mapper = AppointmentMapper(customers, services, providers, tz=tz, status_mapping=status_mapping)
    result = mapper.map(appointments)
    result.attrs[DROPPED_ATTR] = mapper.dropped
    return result


def in_utc_days(frame: pd.DataFrame, date_from: date, date_to: date) -> pd.Series:
    """Boolean mask: ``occurred_at`` falls on a UTC day in ``[date_from, date_to]``."""
    start = pd.Timestamp(date_from, tz="UTC")
    end = pd.Timestamp(date_to, tz="UTC") + pd.Timedelta(days=1)
    occurred = pd.to_datetime(frame["occurred_at"], utc=True)
    return ((occurred >= start) & (occurred < end)).fillna(False).astype(bool)


def mark_vanished(
    previous: pd.DataFrame, current: pd.DataFrame, *, date_from: date, date_to: date
) -> pd.DataFrame:
    """Rows of ``previous`` in the re-read window that ``current`` no longer has, as ``deleted``.

    The window is UTC days ``[date_from, date_to]`` of ``occurred_at`` (the same rule as
    ``store.interactions.mark_vanished``); ``current`` must be a *complete* re-read of it
    (``SourceExtract.complete``): a partial read would mark live appointments deleted.
    Deleting an appointment removes it from the API, so such rows must not stay ``booked``.
    Rows already ``deleted`` are not reported again.
    """
    prev = previous.loc[previous["source"] == SOURCE]
    gone = in_utc_days(prev, date_from, date_to) & ~prev["source_id"].isin(current["source_id"])
    gone &= (prev["status"] != "deleted").fillna(True).astype(bool)
    vanished = prev.loc[gone].copy()
    vanished["status"] = "deleted"
    return coerce_interactions(vanished)
