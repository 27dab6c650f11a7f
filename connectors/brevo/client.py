"""Async Brevo client over the official ``brevo-python`` 5.x SDK (``AsyncBrevo``).

Every call goes through the project's retry policy (:func:`connectors.http.call_with_policy`)
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

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.brevo._base import NO_SDK_RETRIES
from connectors.brevo.errors import AttributeConflictError
from connectors.brevo.imports import ImportsMixin
from connectors.brevo.lists import LIST_BATCH, ListsMixin
from connectors.brevo.models import (
    Account,
    Attribute,
    AttributesReport,
    AttributeType,
    Contact,
    ContactStates,
    SentEmail,
)
from connectors.brevo.payload import is_blocklist_field
from connectors.brevo.webhooks import WebhooksMixin
from connectors.http import NotFoundError

log = logging.getLogger(__name__)

CONTACTS_PAGE = 1000
CLOCK_MARGIN_SECONDS = 300
__all__ = ["CONTACTS_PAGE", "LIST_BATCH", "BrevoClient"]


class BrevoClient(ImportsMixin, ListsMixin, WebhooksMixin):
    """The Brevo connector. Use as ``async with BrevoClient(settings) as brevo: ...``.

    ``client`` injects an ``httpx.AsyncClient`` (handed to the SDK as ``httpx_client``;
    not closed here). ``retry`` overrides the policy; ``sleep`` the waiting (tests).
    """

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
            if is_blocklist_field(name):
                raise ValueError(
                    f"attribute {name!r} is a blocklist field: this project never writes consent"
                )
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

    # ------------------------------------------------------------------ consent state

    async def get_contact_states(
        self, *, modified_since: str | None = None, previous: ContactStates | None = None
    ) -> ContactStates:
        """Blocklisted, per-list unsubscribed and per-list member emails, and every known email,
        from ``GET /contacts`` pages of 1000.

        Cost: ceil(contacts / 1000) calls on the contacts tier (10/s), versus one call per
        email for ``GET /contacts/{email}``. Incremental: pass the previous result as
        ``previous`` (its ``as_of`` becomes ``modifiedSince``) to read only contacts changed
        since, merged over it; a contact read again replaces its earlier state. Contacts
        deleted in Brevo meanwhile are not noticed incrementally (a full read does).
        """
        before = self.stats.requests
        since = modified_since or (previous.as_of if previous is not None else None)
        # Our clock may run ahead of Brevo's: re-reading a few minutes' changes is harmless.
        started = (datetime.now(UTC) - timedelta(seconds=CLOCK_MARGIN_SECONDS)).strftime(
            "%Y-%m-%dT%H:%M:%S.000Z"
        )
        contacts = await self.get_contacts(modified_since=since)
        blocked = set(previous.blocklisted if previous is not None else ())
        unsub = _sets(previous.unsubscribed if previous is not None else {})
        members = _sets(previous.members if previous is not None else {})
        known = set(previous.known if previous is not None else ())
        for c in contacts:
            if not c.email:
                continue
            email = c.email.strip().lower()
            known.add(email)
            blocked.discard(email)
            for group in (*unsub.values(), *members.values()):
                group.discard(email)
            if c.email_blacklisted:
                blocked.add(email)
            for list_id in c.list_unsubscribed:
                unsub.setdefault(list_id, set()).add(email)
            for list_id in c.list_ids:
                members.setdefault(list_id, set()).add(email)
        return ContactStates(
            blocklisted=frozenset(blocked),
            unsubscribed={k: frozenset(v) for k, v in unsub.items() if v},
            members={k: frozenset(v) for k, v in members.items() if v},
            known=frozenset(known),
            as_of=started,
            contacts_read=len(contacts),
            api_calls=self.stats.requests - before,
        )

    async def get_contacts(self, *, modified_since: str | None = None) -> list[Contact]:
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


def _sets(groups: Mapping[int, frozenset[str]]) -> dict[int, set[str]]:
    return {k: set(v) for k, v in groups.items()}
