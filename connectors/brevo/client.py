"""Async Brevo client over the official ``brevo-python`` 5.x SDK (``AsyncBrevo``).

Every call goes through the project's retry policy (:func:`connectors._http.call_with_policy`)
with the SDK's own retries off: the SDK would retry a POST on 5xx, which for
``/contacts/import`` can start a duplicate import, and it ignores ``x-sib-ratelimit-reset``.
Our policy retries GETs and idempotent list removals on 5xx, any call on 429 (refused,
so not performed) after ``x-sib-ratelimit-reset``, and never an import or an email send
after a 5xx.

Consent rules this client keeps: it never sends ``emailBlacklisted``/``emailBlacklist``
(not even ``false``, which un-blocklists), never deletes a contact, and given the
:class:`ContactStates` it never adds a blocklisted or list-unsubscribed email to a list.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import logging
import random
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
from brevo import AsyncBrevo
from brevo.core.request_options import RequestOptions

from connectors._http import (
    CallStats,
    ClientError,
    NotFoundError,
    RateLimiter,
    RetryPolicy,
    call_with_policy,
    shared_limiter,
)
from connectors.brevo.errors import (
    PROVIDER,
    AttributeConflictError,
    ImportTooLargeError,
    ProcessTimeoutError,
    convert_api_error,
)
from connectors.brevo.models import (
    FINAL_STATUSES,
    Account,
    Attribute,
    AttributesReport,
    AttributeType,
    Contact,
    ContactList,
    ContactStates,
    ImportResult,
    ListChangeResult,
    ProcessReport,
    RejectedRow,
    SentEmail,
)
from connectors.brevo.payload import encoded_size, import_body, normalise_rows
from connectors.brevo.settings import IMPORT_BODY_HARD_LIMIT, BrevoSettings

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Brevo's cap on emails per ``/contacts/lists/{id}/contacts/add|remove`` call.
LIST_BATCH = 150
CONTACTS_PAGE = 1000
LISTS_PAGE = 50
NO_SDK_RETRIES: RequestOptions = {"max_retries": 0}
_REPORT_REASONS = {
    "invalid_emails": "invalid email address (Brevo import report)",
    "duplicate_email_id": "duplicate email in the import (Brevo kept one row)",
    "duplicate_contact_id": "duplicate contact id in the import",
    "duplicate_ext_id": "duplicate ext_id in the import",
}


class BrevoClient:
    """The Brevo connector. Use as ``async with BrevoClient(settings) as brevo: ...``.

    ``client`` injects an ``httpx.AsyncClient`` (handed to the SDK as ``httpx_client``;
    not closed here). ``retry`` overrides the policy; ``sleep`` the waiting (tests).
    """

    def __init__(
        self,
        settings: BrevoSettings,
        *,
        client: httpx.AsyncClient | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        seed: int | None = None,
    ) -> None:
        self.settings = settings
        self.retry = retry or RetryPolicy(rate_limit_window=1.0, max_total_seconds=900.0)
        self.stats = CallStats()
        self._sleep = sleep
        self._rng = random.Random(seed)
        self._owns_client = client is None
        self._http = client or httpx.AsyncClient(timeout=httpx.Timeout(settings.timeout, connect=10.0))
        key = settings.api_key.get_secret_value()
        self.sdk = AsyncBrevo(
            api_key=key,
            base_url=settings.api_url.rstrip("/"),
            httpx_client=self._http,
            timeout=settings.timeout,
            max_retries=0,
            client_id=None,
            client_secret=None,
        )
        account = hashlib.sha256(f"{settings.api_url}|{key}".encode()).hexdigest()[:16]
        self._contacts_limiter: RateLimiter = shared_limiter(
            f"brevo-contacts:{account}",
            [(settings.contacts_per_second, 1.0), (settings.contacts_per_hour, 3600.0)],
        )
        self._unlisted_limiter: RateLimiter = shared_limiter(
            f"brevo-unlisted:{account}", [(settings.unlisted_per_hour, 3600.0)]
        )
        self._list_ids: dict[str, int] = {}

    async def __aenter__(self) -> BrevoClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._owns_client:
            await self._http.aclose()

    async def _call(
        self,
        method: str,
        path: str,
        call: Callable[[], Awaitable[T]],
        *,
        idempotent: bool | None = None,
        limiter: RateLimiter | None = None,
    ) -> T:
        return await call_with_policy(
            call,
            provider=PROVIDER,
            method=method,
            path=path,
            convert=convert_api_error(method, path),
            policy=self.retry,
            idempotent=idempotent,
            limiter=self._contacts_limiter if limiter is None else limiter,
            stats=self.stats,
            sleep=self._sleep,
            rng=self._rng,
        )

    # ------------------------------------------------------------------ account

    async def test_connection(self) -> Account:
        """``GET /account``: proves the key works; AuthenticationError when it does not."""
        acc = await self._call(
            "GET", "/account", lambda: self.sdk.account.get_account(), limiter=self._unlisted_limiter
        )
        plans = [str(getattr(p, "type", "")) for p in (acc.plan or [])]
        return Account(email=acc.email, company_name=acc.company_name, plans=plans)

    # ------------------------------------------------------------------ attributes

    async def get_attributes(self) -> list[Attribute]:
        """Every contact attribute of the account (one call)."""
        resp = await self._call("GET", "/contacts/attributes", lambda: self.sdk.contacts.get_attributes())
        return [Attribute(name=a.name, category=str(a.category), type=a.type) for a in resp.attributes]

    async def ensure_attributes(self, spec: Mapping[str, AttributeType | str]) -> AttributesReport:
        """Make sure every attribute in ``spec`` (name → text|date|float|boolean) exists with that type.

        Names are upper-cased. Reads ``/contacts/attributes`` once and creates the missing
        ones in the ``normal`` category. An existing attribute of another type raises
        :class:`AttributeConflictError` before anything is created.
        """
        before = self.stats.requests
        wanted: dict[str, str] = {}
        for name, kind in spec.items():
            if kind not in ("text", "date", "float", "boolean"):
                raise ValueError(f"attribute {name!r}: type {kind!r} is not one of text/date/float/boolean")
            wanted[name.strip().upper()] = kind
        have = {a.name.upper(): a for a in await self.get_attributes()}
        conflicts = {
            name: (kind, have[name].type)
            for name, kind in wanted.items()
            if name in have and have[name].type != kind
        }
        if conflicts:
            raise AttributeConflictError(conflicts)
        created: list[str] = []
        for name, kind in sorted(wanted.items()):
            if name in have:
                continue
            path = f"/contacts/attributes/normal/{name}"
            await self._call(
                "POST",
                path,
                lambda name=name, kind=kind: self.sdk.contacts.create_attribute(  # type: ignore[misc]
                    "normal", name, type=kind, request_options=NO_SDK_RETRIES
                ),
                idempotent=True,  # a repeat answers "already exists"; nothing doubles
            )
            created.append(name)
        return AttributesReport(
            created=created,
            existing=sorted(n for n in wanted if n in have),
            api_calls=self.stats.requests - before,
        )

    # ------------------------------------------------------------------ lists

    async def iter_lists(self) -> list[ContactList]:
        """Every contact list of the account (pages of 50)."""
        out: list[ContactList] = []
        offset = 0
        while True:
            resp = await self._call(
                "GET",
                "/contacts/lists",
                lambda offset=offset: self.sdk.contacts.get_lists(  # type: ignore[misc]
                    limit=LISTS_PAGE, offset=offset, sort="asc"
                ),
            )
            page = resp.lists or []
            out.extend(
                ContactList(
                    id=x.id, name=x.name, folder_id=x.folder_id, unique_subscribers=x.unique_subscribers
                )
                for x in page
            )
            offset += len(page)
            if len(page) < LISTS_PAGE or (resp.count is not None and offset >= resp.count):
                return out

    async def _ensure_folder(self) -> int:
        name = self.settings.folder_name
        offset = 0
        while True:
            resp = await self._call(
                "GET",
                "/contacts/folders",
                lambda offset=offset: self.sdk.contacts.get_folders(  # type: ignore[misc]
                    limit=LISTS_PAGE, offset=offset, sort="asc"
                ),
            )
            page = resp.folders or []
            for folder in page:
                if folder.name == name:
                    return int(folder.id)
            offset += len(page)
            if len(page) < LISTS_PAGE or (resp.count is not None and offset >= resp.count):
                break
        created = await self._call(
            "POST",
            "/contacts/folders",
            lambda: self.sdk.contacts.create_folder(name=name, request_options=NO_SDK_RETRIES),
            idempotent=False,
        )
        return int(created.id)

    async def find_or_create_list(self, name: str) -> int:
        """The id of the list called ``name`` (exact match, all pages), created in the folder if absent."""
        if name in self._list_ids:
            return self._list_ids[name]
        for item in await self.iter_lists():
            if item.name == name:
                self._list_ids[name] = item.id
                return item.id
        folder_id = await self._ensure_folder()
        created = await self._call(
            "POST",
            "/contacts/lists",
            lambda: self.sdk.contacts.create_list(
                folder_id=folder_id, name=name, request_options=NO_SDK_RETRIES
            ),
            idempotent=False,  # a repeated create would make a second list of the same name
        )
        log.info("created Brevo list %r (id %d)", name, created.id)
        self._list_ids[name] = created.id
        return int(created.id)

    async def ensure_master_list(self, list_id: int | None = None, name: str | None = None) -> int:
        """The master list's id: ``list_id`` (or BREVO_MASTER_LIST_ID) checked to exist, else found
        or created once by ``name`` (or BREVO_MASTER_LIST_NAME). NotFoundError for a configured id
        that does not exist."""
        list_id = list_id if list_id is not None else self.settings.master_list_id
        if list_id is not None:
            await self._call("GET", f"/contacts/lists/{list_id}", lambda: self.sdk.contacts.get_list(list_id))
            return list_id
        return await self.find_or_create_list(name or self.settings.master_list_name)

    # ------------------------------------------------------------------ consent state

    async def get_contact_states(
        self, *, modified_since: str | None = None, previous: ContactStates | None = None
    ) -> ContactStates:
        """Blocklisted and per-list unsubscribed emails, from ``GET /contacts`` pages of 1000.

        Cost: ceil(contacts / 1000) calls on the contacts tier (10/s), versus one call per
        email for ``GET /contacts/{email}``. Incremental: pass the previous result as
        ``previous`` (its ``as_of`` becomes ``modifiedSince``) to read only contacts changed
        since, merged over it; a contact read again replaces its earlier state.
        """
        before = self.stats.requests
        since = modified_since or (previous.as_of if previous is not None else None)
        started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        contacts = await self.iter_contacts(modified_since=since)
        blocked = set(previous.blocklisted if previous is not None else ())
        unsub: dict[int, set[str]] = {
            k: set(v) for k, v in (previous.unsubscribed.items() if previous is not None else ())
        }
        for c in contacts:
            if not c.email:
                continue
            email = c.email.strip().lower()
            blocked.discard(email)
            for members in unsub.values():
                members.discard(email)
            if c.email_blacklisted:
                blocked.add(email)
            for list_id in c.list_unsubscribed:
                unsub.setdefault(list_id, set()).add(email)
        return ContactStates(
            blocklisted=frozenset(blocked),
            unsubscribed={k: frozenset(v) for k, v in unsub.items() if v},
            as_of=started,
            contacts_read=len(contacts),
            api_calls=self.stats.requests - before,
        )

    async def get_blocked_emails(self) -> frozenset[str]:
        """Blocklisted emails (lower-case), via :meth:`get_contact_states`."""
        return (await self.get_contact_states()).blocklisted

    async def get_list_unsubscribed(self, list_id: int) -> frozenset[str]:
        """Emails unsubscribed from ``list_id`` (lower-case), via :meth:`get_contact_states`."""
        return (await self.get_contact_states()).unsubscribed_from(list_id)

    async def iter_contacts(self, *, modified_since: str | None = None) -> list[Contact]:
        """All contacts (optionally only those modified since), oldest first, 1000 per call."""
        out: list[Contact] = []
        offset = 0
        while True:
            resp = await self._call(
                "GET",
                "/contacts",
                lambda offset=offset: self.sdk.contacts.get_contacts(  # type: ignore[misc]
                    limit=CONTACTS_PAGE, offset=offset, modified_since=modified_since, sort="asc"
                ),
            )
            page = resp.contacts or []
            out.extend(
                Contact(
                    id=c.id,
                    email=c.email,
                    email_blacklisted=bool(c.email_blacklisted),
                    list_ids=list(c.list_ids or []),
                    list_unsubscribed=list(c.list_unsubscribed or []),
                    attributes=dict(c.attributes or {}) if isinstance(c.attributes, dict) else {},
                    modified_at=c.modified_at,
                )
                for c in page
            )
            offset += len(page)
            if len(page) < CONTACTS_PAGE or offset >= (resp.count or 0):
                return out

    async def get_contact(self, email: str) -> Contact | None:
        """One contact by email, or None when Brevo does not know it."""
        path = "/contacts/{identifier}"
        try:
            c = await self._call(
                "GET",
                path,
                lambda: self.sdk.contacts.get_contact_info(email.strip(), identifier_type="email_id"),
            )
        except NotFoundError:
            return None
        return Contact(
            id=c.id,
            email=c.email,
            email_blacklisted=bool(c.email_blacklisted),
            list_ids=list(c.list_ids or []),
            list_unsubscribed=list(getattr(c, "list_unsubscribed", None) or []),
            attributes=dict(c.attributes) if isinstance(c.attributes, dict) else {},
            modified_at=c.modified_at,
        )

    # ------------------------------------------------------------------ imports

    async def import_contacts(
        self,
        rows: Sequence[Mapping[str, Any]],
        list_ids: Sequence[int],
        *,
        exclude: ContactStates | None = None,
        wait: bool = True,
    ) -> ImportResult:
        """Upsert one chunk of ``rows`` (``{"email", "attributes"}``) with ``POST /contacts/import``.

        Sends ``updateExistingContacts=true``, ``emptyContactsAttributes=false``; never a
        blocklist field. Rows whose email ``exclude`` marks as blocklisted or unsubscribed
        from one of ``list_ids`` are not sent (``skipped``). The caller chunks rows by bytes
        (:func:`connectors.brevo.payload.chunk_rows`); a body over 10 MB raises
        :class:`ImportTooLargeError` before anything is sent. Not retried after a 5xx or
        a dropped connection (that could start a second import); retried after a 429.
        With ``wait``, polls the process (:meth:`wait_for_process`) and turns its report
        (invalid emails, duplicates) into ``rejected`` rows.
        """
        before = self.stats.requests
        if not list_ids:
            raise ValueError("an import needs at least one list id")
        skipped: list[RejectedRow] = []
        send: list[Mapping[str, Any]] = []
        for row in rows:
            reason = exclude.why_excluded(str(row["email"]), tuple(list_ids)) if exclude else None
            if reason is not None:
                skipped.append(RejectedRow(email=str(row["email"]).strip(), reason=reason))
            else:
                send.append(row)
        json_rows = normalise_rows(send)
        if not json_rows:
            return ImportResult(
                process_id=None, status="nothing to send", rows_sent=0, body_bytes=0, skipped=skipped
            )
        body = import_body(json_rows, list_ids)
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
        resp = await self._call(
            "POST",
            "/contacts/import",
            lambda: self.sdk.contacts.import_contacts(
                json_body=json_rows,  # plain dicts: the SDK sends them as given
                list_ids=list(list_ids),
                update_existing_contacts=True,
                empty_contacts_attributes=False,
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
            skipped=skipped,
            sent_emails=[str(r["email"]) for r in json_rows],
            api_calls=self.stats.requests - before,
        )
        return await self.finish_import(pending) if wait else pending

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
                "rejected": rejected,
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

    # ------------------------------------------------------------------ list membership

    async def remove_from_list(self, list_id: int, emails: Iterable[str]) -> ListChangeResult:
        """Remove ``emails`` from a list in calls of at most 150 (contacts stay in Brevo).

        ``changed`` counts removed emails, ``not_changed`` those Brevo did not find on the
        list. Removal is idempotent, so it is retried after a 5xx.
        """
        return await self._change_list(list_id, emails, add=False, exclude=None)

    async def add_to_list(
        self, list_id: int, emails: Iterable[str], *, exclude: ContactStates | None = None
    ) -> ListChangeResult:
        """Add existing contacts to a list in calls of at most 150, skipping excluded emails."""
        return await self._change_list(list_id, emails, add=True, exclude=exclude)

    async def _change_list(
        self, list_id: int, emails: Iterable[str], *, add: bool, exclude: ContactStates | None
    ) -> ListChangeResult:
        before = self.stats.requests
        verb = "add" if add else "remove"
        path = f"/contacts/lists/{{listId}}/contacts/{verb}"
        skipped: list[RejectedRow] = []
        todo: list[str] = []
        seen: set[str] = set()
        for email in emails:
            key = email.strip().lower()
            if not key or key in seen:
                continue
            seen.add(key)
            reason = exclude.why_excluded(key, (list_id,)) if (add and exclude) else None
            if reason:
                skipped.append(RejectedRow(email=key, reason=reason))
            else:
                todo.append(key)
        changed = 0
        missing: list[str] = []
        for start in range(0, len(todo), LIST_BATCH):
            batch = todo[start : start + LIST_BATCH]
            method = (
                self.sdk.contacts.add_contact_to_list if add else self.sdk.contacts.remove_contact_from_list
            )
            try:
                resp = await self._call(
                    "POST",
                    path,
                    lambda batch=batch, method=method: method(  # type: ignore[misc]
                        list_id, request={"emails": batch}, request_options=NO_SDK_RETRIES
                    ),
                    idempotent=True,  # adding or removing twice leaves the same membership
                )
            except ClientError as exc:
                # Brevo answers 400 when no email of the batch could be changed.
                if exc.status == 400 and exc.code == "invalid_parameter":
                    missing.extend(batch)
                    continue
                raise
            failure = _flat(resp.contacts.failure)
            missing.extend(failure)
            changed += len(batch) - len(failure)
        return ListChangeResult(
            list_id=list_id,
            changed=changed,
            not_changed=len(missing),
            not_changed_emails=missing,
            skipped=skipped,
            api_calls=self.stats.requests - before,
        )

    # ------------------------------------------------------------------ transactional email

    async def send_transactional_email(
        self,
        to: str | Sequence[str],
        subject: str | None = None,
        *,
        html: str | None = None,
        text: str | None = None,
        template_id: int | None = None,
        params: Mapping[str, Any] | None = None,
        tags: Sequence[str] = (),
        idempotency_key: str | None = None,
    ) -> SentEmail:
        """Send one email with ``POST /smtp/email`` (content or a Brevo template).

        Brevo has no idempotency key for sends, so ``idempotency_key`` travels as the tag
        ``idem:<key>`` and the header ``X-Engarde-Idempotency-Key`` (visible in Brevo's
        logs) for the caller's own de-duplication. Never retried after a 5xx (it may
        have been sent); retried after a 429.
        """
        if template_id is None and not (html or text):
            raise ValueError("give html or text content, or a template_id")
        if template_id is None and not subject:
            raise ValueError("an email without a template needs a subject")
        recipients = [to] if isinstance(to, str) else list(to)
        all_tags = [*tags, *([f"idem:{idempotency_key}"] if idempotency_key else [])]
        kw: dict[str, Any] = {"to": [{"email": r} for r in recipients], "request_options": NO_SDK_RETRIES}
        if template_id is None:
            if not self.settings.sender_email:
                raise ValueError("set BREVO_SENDER_EMAIL to send emails without a template")
            kw["sender"] = {"email": self.settings.sender_email, "name": self.settings.sender_name}
        elif self.settings.sender_email:
            kw["sender"] = {"email": self.settings.sender_email, "name": self.settings.sender_name}
        for name, value in (
            ("subject", subject),
            ("html_content", html),
            ("text_content", text),
            ("template_id", template_id),
            ("params", dict(params) if params else None),
            ("tags", all_tags or None),
            ("headers", {"X-Engarde-Idempotency-Key": idempotency_key} if idempotency_key else None),
        ):
            if value is not None:
                kw[name] = value
        resp = await self._call(
            "POST",
            "/smtp/email",
            lambda: self.sdk.transactional_emails.send_transac_email(**kw),
            idempotent=False,
            limiter=None,
        )
        return SentEmail(message_id=resp.message_id, recipients=recipients)


def _flat(values: Any) -> list[str]:
    out: list[str] = []
    for value in values or []:
        out.extend(part.strip() for part in str(value).split(",") if part.strip())
    return out


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
