"""Typed records of the Brevo connector."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

AttributeType = Literal["text", "date", "float", "boolean"]
ProcessStatus = Literal["queued", "in_process", "processing", "completed", "failed", "cancelled"]
#: Statuses after which a process will not change any more.
FINAL_STATUSES: frozenset[str] = frozenset({"completed", "failed", "cancelled"})


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Attribute(_Record):
    """A contact attribute as the account defines it."""

    name: str
    category: str = "normal"
    type: str | None = None


class AttributesReport(_Record):
    """What :meth:`BrevoClient.ensure_attributes` found and did."""

    created: list[str] = Field(default_factory=list)
    existing: list[str] = Field(default_factory=list)
    api_calls: int = 0


class ContactList(_Record):
    """A Brevo contact list."""

    id: int
    name: str
    folder_id: int | None = None
    unique_subscribers: int | None = None


class Contact(_Record):
    """One contact, with its consent state."""

    id: int
    email: str | None = None
    email_blacklisted: bool = False
    list_ids: list[int] = Field(default_factory=list)
    list_unsubscribed: list[int] = Field(default_factory=list)
    attributes: dict[str, object] = Field(default_factory=dict)
    modified_at: str | None = None


class ContactStates(_Record):
    """Who must not be (re)added: blocklisted emails and per-list unsubscribed emails.

    Also who is on each list now (``members``), read in the same pass for free, so a
    sync can diff list membership without further calls. Emails are lower-case. ``as_of`` is the ``modifiedSince`` to pass next time for an
    incremental refresh (see :meth:`BrevoClient.get_contact_states`).
    """

    blocklisted: frozenset[str] = frozenset()
    unsubscribed: dict[int, frozenset[str]] = Field(default_factory=dict)
    members: dict[int, frozenset[str]] = Field(default_factory=dict)
    known: frozenset[str] = frozenset()
    as_of: str | None = None
    contacts_read: int = 0
    api_calls: int = 0

    def members_of(self, list_id: int) -> frozenset[str]:
        """Emails on ``list_id``."""
        return self.members.get(list_id, frozenset())

    def unsubscribed_from(self, list_id: int) -> frozenset[str]:
        """Emails that unsubscribed from ``list_id``."""
        return self.unsubscribed.get(list_id, frozenset())

    def why_excluded(self, email: str, list_ids: list[int] | tuple[int, ...]) -> str | None:
        """The reason ``email`` must not be added to ``list_ids``, or None when it may be."""
        key = email.strip().lower()
        if key in self.blocklisted:
            return "blocklisted (emailBlacklisted): never re-added to a list"
        for list_id in list_ids:
            if key in self.unsubscribed.get(list_id, frozenset()):
                return f"unsubscribed from list {list_id}: never re-added"
        return None


class RejectedRow(_Record):
    """A row Brevo refused (or we did not send), and why."""

    email: str
    reason: str


class ProcessReport(_Record):
    """A background process (e.g. an import), as ``GET /processes/{id}`` describes it."""

    id: int
    name: str | None = None
    status: str
    #: ``info.import`` values: URLs of CSV reports (SDK 5.x) or counts (older answers).
    import_report: dict[str, str | int | None] = Field(default_factory=dict)
    error: str | None = None
    polls: int = 0
    #: When Brevo created it (``GET /processes`` answers carry it; None if absent).
    created_at: datetime | None = None


class ImportResult(_Record):
    """One ``POST /contacts/import`` and, when waited for, how its process ended.

    ``rejected``: rows Brevo reported (invalid email, duplicates). ``skipped``: rows this
    connector did not send because of consent (blocklisted, unsubscribed from a target list).
    ``api_calls`` counts every request this import made (post, polls, report downloads).
    """

    process_id: int | None
    status: str
    rows_sent: int
    body_bytes: int
    rejected: list[RejectedRow] = Field(default_factory=list)
    skipped: list[RejectedRow] = Field(default_factory=list)
    api_calls: int = 0
    #: Emails in the body as sent (to name the rows of a failed process).
    sent_emails: list[str] = Field(default_factory=list, repr=False)


class ListChangeResult(_Record):
    """Outcome of adding to or removing from a list, in batches of at most 150."""

    list_id: int
    changed: int = 0
    not_changed: int = 0
    not_changed_emails: list[str] = Field(default_factory=list)
    skipped: list[RejectedRow] = Field(default_factory=list)
    api_calls: int = 0


class SentEmail(_Record):
    """A transactional email accepted by Brevo."""

    message_id: str | None
    recipients: list[str]


class Account(_Record):
    """``GET /account``, reduced to what a connection check shows."""

    email: str
    company_name: str | None = None
    plans: list[str] = Field(default_factory=list)
