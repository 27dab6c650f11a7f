"""Lists and folders, and list membership in calls of at most 150."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from connectors.brevo._base import NO_SDK_RETRIES, BrevoBase
from connectors.brevo.models import ContactList, ContactStates, ListChangeResult, RejectedRow
from connectors.http import ClientError, ServerError

log = logging.getLogger(__name__)

#: Brevo's cap on emails per ``/contacts/lists/{id}/contacts/add|remove`` call.
LIST_BATCH = 150
LISTS_PAGE = 50


class ListsMixin(BrevoBase):
    """Find or create lists (and their folder); add to and remove from lists."""

    # ------------------------------------------------------------------ lists

    async def get_lists(self) -> list[ContactList]:
        """Every contact list of the account (pages of 50); later name look-ups use what it read."""
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
                for item in out:
                    self._list_ids.setdefault(item.name, item.id)
                return out

    async def _find_folder(self, name: str) -> int | None:
        """The id of the folder called ``name`` (all pages), or None."""
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
                return None

    async def _ensure_folder(self) -> int:
        name = self.settings.folder_name
        found = await self._find_folder(name)
        if found is not None:
            return found

        async def create() -> int:
            created = await self._call(
                "POST",
                "/contacts/folders",
                lambda: self.sdk.contacts.create_folder(name=name, request_options=NO_SDK_RETRIES),
                idempotent=False,
            )
            return int(created.id)

        return await self._create_checked(create, lambda: self._find_folder(name))

    async def find_or_create_list(self, name: str) -> int:
        """The id of the list called ``name`` (exact match, all pages), created in the folder if absent."""
        if name in self._list_ids:
            return self._list_ids[name]
        for item in await self.get_lists():
            if item.name == name:
                self._list_ids[name] = item.id
                return item.id
        return await self._create_list(name)

    async def _create_list(self, name: str) -> int:
        folder_id = self._folder_id if self._folder_id is not None else await self._ensure_folder()
        self._folder_id = folder_id

        async def create() -> int:
            created = await self._call(
                "POST",
                "/contacts/lists",
                lambda: self.sdk.contacts.create_list(
                    folder_id=folder_id, name=name, request_options=NO_SDK_RETRIES
                ),
                idempotent=False,  # a repeated create would make a second list of the same name
            )
            log.info("created Brevo list %r (id %d)", name, created.id)
            return int(created.id)

        async def find() -> int | None:
            return next((item.id for item in await self.get_lists() if item.name == name), None)

        list_id = await self._create_checked(create, find)
        self._list_ids[name] = list_id
        return list_id

    async def _create_checked(
        self, create: Callable[[], Awaitable[int]], find: Callable[[], Awaitable[int | None]]
    ) -> int:
        """Create one named object; after a 5xx or no answer, look for it before creating it again.

        A create is not idempotent (a repeat would make a second list of the same name), so the
        retry policy does not repeat it; but a look-up tells whether the failed create was
        performed, and a missing object is created again, up to the policy's attempts.
        """
        attempt = 1
        while True:
            try:
                return await create()
            except ServerError:
                if attempt >= self.retry.max_attempts:
                    raise
            await self._sleep(self.retry.backoff(attempt, self._rng))
            found = await find()
            if found is not None:
                return found
            attempt += 1

    async def find_or_create_lists(self, names: Iterable[str]) -> dict[str, int]:
        """Ids of many lists by exact name: one read of all lists, then one create (in the folder) per missing name."""
        unique = list(dict.fromkeys(names))
        if any(n not in self._list_ids for n in unique):
            for item in await self.get_lists():
                self._list_ids.setdefault(item.name, item.id)
        out: dict[str, int] = {}
        for name in unique:
            out[name] = self._list_ids[name] if name in self._list_ids else await self._create_list(name)
        return out

    async def ensure_master_list(self, list_id: int | None = None, name: str | None = None) -> int:
        """The master list's id: ``list_id`` (or BREVO_MASTER_LIST_ID) checked to exist, else found
        or created once by ``name`` (or BREVO_MASTER_LIST_NAME). NotFoundError for a configured id
        that does not exist."""
        list_id = list_id if list_id is not None else self.settings.master_list_id
        if list_id is not None:
            await self._call("GET", f"/contacts/lists/{list_id}", lambda: self.sdk.contacts.get_list(list_id))
            return list_id
        return await self.find_or_create_list(name or self.settings.master_list_name)

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


def _flat(values: Any) -> list[str]:
    out: list[str] = []
    for value in values or []:
        out.extend(part.strip() for part in str(value).split(",") if part.strip())
    return out
