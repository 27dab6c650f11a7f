"""Contact imports: ``POST /contacts/import``, process polling, and the import report."""

from __future__ import annotations

import csv
import functools
import io
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from connectors.brevo._base import NO_SDK_RETRIES, BrevoBase
from connectors.brevo.errors import PROVIDER, ImportTooLargeError, ProcessTimeoutError
from connectors.brevo.models import FINAL_STATUSES, ContactStates, ImportResult, ProcessReport, RejectedRow
from connectors.brevo.payload import ImportRow, encoded_size, import_body, normalise_rows, type_problem
from connectors.brevo.settings import IMPORT_BODY_HARD_LIMIT
from connectors.http import ClientError, NotFoundError, call_with_policy

log = logging.getLogger(__name__)

_REPORT_REASONS = {
    "invalid_emails": "invalid email address (Brevo import report)",
    "duplicate_email_id": "duplicate email in the import (Brevo kept one row)",
    "duplicate_contact_id": "duplicate contact id in the import",
    "duplicate_ext_id": "duplicate ext_id in the import",
}


class ImportsMixin(BrevoBase):
    """Upsert contacts in chunks and collect each import's outcome."""

    # ------------------------------------------------------------------ imports

    async def import_contacts(
        self,
        rows: Sequence[Mapping[str, Any]],
        list_ids: Sequence[int],
        *,
        exclude: ContactStates | None = None,
        types: Mapping[str, str] | None = None,
        wait: bool = True,
        erase_empty: bool = False,
    ) -> ImportResult:
        """Upsert one chunk of ``rows`` (``{"email", "attributes"}``) with ``POST /contacts/import``.

        Sends ``updateExistingContacts=true`` and ``emptyContactsAttributes=erase_empty``
        (with it, each ``""`` value erases the contact's stored one; without, an empty or
        omitted value keeps it); never a blocklist field. Rows whose email ``exclude`` marks as blocklisted or unsubscribed
        from one of ``list_ids`` are not sent (``skipped``). Given ``types`` (attribute name →
        text|date|float|boolean, as passed to ``ensure_attributes``), a row with a value of
        the wrong type is not sent and comes back in ``rejected``. The caller chunks rows by bytes
        (:func:`connectors.brevo.payload.chunk_rows`); a body over 10 MB raises
        :class:`ImportTooLargeError` before anything is sent. Not retried after a 5xx or
        a dropped connection (that could start a second import); retried after a 429.
        With ``wait``, polls the process (:meth:`wait_for_process`) and turns its report
        (invalid emails, duplicates) into ``rejected`` rows.
        """
        before = self.stats.requests
        if not list_ids:
            raise ValueError("an import needs at least one list id")
        json_rows, refused, skipped = _rows_to_send(rows, list_ids, exclude, types)
        if not json_rows:
            return ImportResult(
                process_id=None,
                status="nothing to send",
                rows_sent=0,
                body_bytes=0,
                rejected=refused,
                skipped=skipped,
            )
        size = self._checked_size(import_body(json_rows, list_ids, erase_empty=erase_empty))
        resp = await self._call(
            "POST",
            "/contacts/import",
            lambda: self.sdk.contacts.import_contacts(
                json_body=json_rows,  # plain dicts: the SDK sends them as given
                list_ids=list(list_ids),
                update_existing_contacts=True,
                empty_contacts_attributes=erase_empty,
                disable_notification=True,
                request_options=NO_SDK_RETRIES,
            ),
            idempotent=False,
        )
        pending = ImportResult(
            process_id=int(resp.process_id),
            status="queued",
            rows_sent=len(json_rows),
            body_bytes=size,
            rejected=refused,
            skipped=skipped,
            sent_emails=[str(r["email"]) for r in json_rows],
            api_calls=self.stats.requests - before,
        )
        return await self.finish_import(pending) if wait else pending

    def _checked_size(self, body: Mapping[str, Any]) -> int:
        """The body's size; :class:`ImportTooLargeError` over 10 MB, a warning over the recommended size."""
        size = encoded_size(body)
        if size > IMPORT_BODY_HARD_LIMIT:
            raise ImportTooLargeError(
                f"import body is {size:,} bytes; Brevo accepts at most 10 MB per jsonBody. "
                f"Chunk the rows (chunk_rows, max_bytes={self.settings.import_chunk_max_bytes:,}).",
                provider=PROVIDER,
                method="POST",
                path="/contacts/import",
            )
        if size > self.settings.import_chunk_max_bytes:
            log.warning(
                "import body of %d bytes is above the recommended %d",
                size,
                self.settings.import_chunk_max_bytes,
            )
        return size

    async def finish_import(self, pending: ImportResult) -> ImportResult:
        """Wait for an import started with ``wait=False`` and read its report into ``rejected``.

        Lets a caller post several chunks first and then collect them, one process at a time.
        """
        if pending.process_id is None or pending.status in FINAL_STATUSES:
            return pending
        before = self.stats.requests
        report = await self.wait_for_process(pending.process_id)
        rejected = await self._rejected_rows(report, pending.sent_emails)
        return pending.model_copy(
            update={
                "status": report.status,
                "rejected": [*pending.rejected, *rejected],
                "api_calls": pending.api_calls + self.stats.requests - before,
            }
        )

    async def get_process(self, process_id: int) -> ProcessReport:
        """``GET /processes/{id}`` once (an unlisted endpoint: 100 calls/h on the general tier)."""
        resp = await self._call(
            "GET",
            "/processes/{processId}",
            lambda: self.sdk.process.get_process(process_id),
            limiter=self._unlisted_limiter,
        )
        report: dict[str, str | int | None] = {}
        info = resp.info
        imp = getattr(info, "import_", None) if info is not None else None
        if imp is not None:
            raw = imp.model_dump(by_alias=False) if hasattr(imp, "model_dump") else dict(imp)
            report = {k: v for k, v in raw.items() if isinstance(v, str | int) or v is None}
        return ProcessReport(
            id=resp.id,
            name=str(resp.name) if resp.name is not None else None,
            status=str(resp.status),
            import_report=report,
            error=getattr(resp, "error", None),
        )

    async def list_import_processes(self, since: datetime, *, max_pages: int = 10) -> list[ProcessReport]:
        """Import processes (``IMPORTUSER``) Brevo created at or after ``since``, oldest first.

        ``GET /processes`` newest first, 50 a page (Brevo's maximum), until a page reaches
        past ``since``; at most ``max_pages`` calls (an unlisted endpoint: 100 calls/h).
        A process whose answer carries no ``created_at`` is kept (the caller matches by id).
        """
        found: list[ProcessReport] = []
        for page in range(max_pages):
            offset = 50 * page
            resp = await self._call(
                "GET",
                "/processes",
                functools.partial(self.sdk.process.get_processes, limit=50, offset=offset, sort="desc"),
                limiter=self._unlisted_limiter,
            )
            items = list(resp.processes or [])
            older = False
            for item in items:
                created = _created_at(item)
                if created is not None and created < since:
                    older = True
                    continue
                if str(item.name) == "IMPORTUSER":
                    found.append(
                        ProcessReport(
                            id=item.id, name="IMPORTUSER", status=str(item.status), created_at=created
                        )
                    )
            if older or len(items) < 50 or offset + 50 >= int(resp.count or 0):
                break
        return sorted(found, key=lambda p: p.id)

    async def wait_for_process(self, process_id: int) -> ProcessReport:
        """Poll a process until it is completed, failed or cancelled.

        Waits ``process_poll_initial`` s first, then ×``process_poll_factor`` each time up to
        ``process_poll_max``; raises :class:`ProcessTimeoutError` after ``process_poll_timeout``.
        """
        s = self.settings
        interval = s.process_poll_initial
        waited = 0.0
        polls = 0
        while True:
            await self._sleep(interval)
            waited += interval
            report = await self.get_process(process_id)
            polls += 1
            if report.status in FINAL_STATUSES:
                return report.model_copy(update={"polls": polls})
            if waited >= s.process_poll_timeout:
                raise ProcessTimeoutError(
                    f"process {process_id} still {report.status!r} after {waited:.0f} s ({polls} polls)",
                    provider=PROVIDER,
                    method="GET",
                    path=f"/processes/{process_id}",
                )
            interval = min(s.process_poll_max, interval * s.process_poll_factor)

    async def _rejected_rows(self, report: ProcessReport, sent: Sequence[str]) -> list[RejectedRow]:
        rejected: list[RejectedRow] = []
        if report.status != "completed":
            reason = f"import process {report.status}" + (f": {report.error}" if report.error else "")
            return [RejectedRow(email=email, reason=reason) for email in sent]
        for kind, value in report.import_report.items():
            if value in (None, "", 0):
                continue
            reason = _REPORT_REASONS.get(kind, kind.replace("_", " "))
            if isinstance(value, str) and value.startswith(("http://", "https://")):
                emails = await self._download_report(value)
                rejected.extend(RejectedRow(email=e, reason=reason) for e in emails)
            else:
                rejected.append(RejectedRow(email="", reason=f"{reason}: {value} (no per-row report given)"))
        return rejected

    async def _download_report(self, url: str) -> list[str]:
        """Emails listed in one of an import's CSV reports (a pre-signed URL: no API key sent)."""

        async def fetch() -> httpx.Response:
            response = await self._http.get(url)
            response.raise_for_status()
            return response

        def convert(exc: Exception) -> Any:
            if isinstance(exc, httpx.HTTPStatusError):
                status = exc.response.status_code
                cls = NotFoundError if status == 404 else ClientError
                return cls(
                    f"report download failed ({status})",
                    provider=PROVIDER,
                    method="GET",
                    path=url,
                    status=status,
                )
            return None

        response = await call_with_policy(
            fetch,
            provider=PROVIDER,
            method="GET",
            path="import report",
            convert=convert,
            policy=self.retry,
            stats=self.stats,
            sleep=self._sleep,
            rng=self._rng,
        )
        return _emails_from_csv(response.text)


def _created_at(item: Any) -> datetime | None:
    """A process's ``created_at`` (an extra field of the SDK's model), as an aware datetime."""
    raw = getattr(item, "created_at", None) or (getattr(item, "model_extra", None) or {}).get("created_at")
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _emails_from_csv(text: str) -> list[str]:
    """The email column of a Brevo report CSV (``;`` or ``,`` separated, header optional)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return []
    delimiter = ";" if ";" in lines[0] else ","
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
    header = [c.strip().lower() for c in rows[0]]
    column = header.index("email") if "email" in header else 0
    body = rows[1:] if "email" in header else rows
    return [r[column].strip() for r in body if len(r) > column and r[column].strip()]


def _rows_to_send(
    rows: Sequence[Mapping[str, Any]],
    list_ids: Sequence[int],
    exclude: ContactStates | None,
    types: Mapping[str, str] | None,
) -> tuple[list[ImportRow], list[RejectedRow], list[RejectedRow]]:
    """``(rows to send, refused for a wrong type, skipped as blocklisted or unsubscribed)``."""
    skipped: list[RejectedRow] = []
    send: list[Mapping[str, Any]] = []
    for row in rows:
        reason = exclude.why_excluded(str(row["email"]), tuple(list_ids)) if exclude else None
        if reason is not None:
            skipped.append(RejectedRow(email=str(row["email"]).strip(), reason=reason))
        else:
            send.append(row)
    json_rows = normalise_rows(send)
    refused: list[RejectedRow] = []
    if types:
        checked = [(row, type_problem(row["attributes"], types)) for row in json_rows]
        refused = [RejectedRow(email=r["email"], reason=f"not sent: {p}") for r, p in checked if p]
        json_rows = [r for r, p in checked if p is None]
    return json_rows, refused, skipped
