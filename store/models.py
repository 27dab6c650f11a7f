"""SQLAlchemy 2 typed models: every table the design needs.

Changing a model means adding an Alembic migration (`store/migrations/versions/`);
a test checks that models and migrations agree.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from store.encryption import EncryptedText

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Id = BigInteger().with_variant(Integer, "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store UTC-aware datetimes only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with a naming convention (stable constraint names for migrations)."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, datetime: UtcDateTime()}


class WebhookEvent(Base):
    """A raw webhook delivery, stored before any parsing (unique on provider + dedupe key)."""

    __tablename__ = "webhook_events"
    __table_args__ = (UniqueConstraint("provider", "event_key", name="uq_webhook_events_provider_key"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    provider: Mapped[str] = mapped_column(String(32))
    event_key: Mapped[str] = mapped_column(String(128))
    received_at: Mapped[datetime]
    headers: Mapped[dict[str, Any]]
    body: Mapped[bytes] = mapped_column(LargeBinary)
    event_type: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(
        String(16), default="pending", index=True
    )  # pending|processed|unmapped
    processed_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


class Interaction(Base):
    """One row of the unified interactions table (see ``audience.schema``)."""

    __tablename__ = "interactions"
    __table_args__ = (
        UniqueConstraint("source", "source_id", name="uq_interactions_source_id"),
        Index("ix_interactions_source_occurred", "source", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[str] = mapped_column(String(128))
    email_raw: Mapped[str | None] = mapped_column(String(320))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    first_name: Mapped[str | None] = mapped_column(String(200))
    last_name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime | None]
    created_at: Mapped[datetime | None]
    service: Mapped[str | None] = mapped_column(String(300))
    event_id: Mapped[str | None] = mapped_column(String(128))
    provider: Mapped[str | None] = mapped_column(String(200))
    amount: Mapped[float | None] = mapped_column(Float)
    currency: Mapped[str | None] = mapped_column(String(8))
    timezone: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime]


class Person(Base):
    """A person as last resolved: one row per normalised email, with their segment."""

    __tablename__ = "people"

    email: Mapped[str] = mapped_column(String(320), primary_key=True)
    first_name: Mapped[str | None] = mapped_column(String(200))
    last_name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(64))
    first_seen: Mapped[datetime | None]
    last_seen: Mapped[datetime | None]
    sources: Mapped[str | None] = mapped_column(String(200))
    segment: Mapped[str | None] = mapped_column(String(32))
    recency: Mapped[str | None] = mapped_column(String(32))
    tags: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime]


class ExtractionCheckpoint(Base):
    """One extraction of one source over one window; ``complete`` only when every page succeeded."""

    __tablename__ = "extraction_checkpoints"
    __table_args__ = (UniqueConstraint("source", "window_start", "window_end", name="uq_checkpoints_window"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(32))
    window_start: Mapped[date] = mapped_column(Date)
    window_end: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # running|complete|failed|interrupted
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    rows: Mapped[int] = mapped_column(Integer, default=0)
    api_calls: Mapped[int] = mapped_column(Integer, default=0)
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)


class BrevoSyncState(Base):
    """What Brevo last accepted for a person on a list: the payload hash and membership."""

    __tablename__ = "brevo_sync_state"

    email: Mapped[str] = mapped_column(String(320), primary_key=True)
    list_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payload_hash: Mapped[str | None] = mapped_column(String(64))
    on_list: Mapped[bool] = mapped_column(Boolean, default=True)
    pushed_at: Mapped[datetime]
    run_id: Mapped[int | None] = mapped_column(ForeignKey("brevo_sync_runs.id"))


class BrevoSyncRun(Base):
    """One push to Brevo: what was planned, sent, accepted and rejected."""

    __tablename__ = "brevo_sync_runs"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    flow: Mapped[str] = mapped_column(String(64))
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
    list_id: Mapped[int | None] = mapped_column(Integer)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16))  # running|complete|failed|crashed
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    counts: Mapped[dict[str, Any]]
    error: Mapped[str | None] = mapped_column(Text)
    #: The process that ran it, so a later run can tell a live run from a killed one.
    pid: Mapped[int | None] = mapped_column(Integer)
    host: Mapped[str | None] = mapped_column(String(255))


class BrevoRejection(Base):
    """A row Brevo refused (invalid email, duplicate...), retried on the next run until resolved."""

    __tablename__ = "brevo_rejections"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("brevo_sync_runs.id"), index=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]


class PendingSignup(Base):
    """A booker waiting for an admin's decision about a platform invitation."""

    __tablename__ = "pending_signup_queue"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    first_name: Mapped[str | None] = mapped_column(String(200))
    last_name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(64))
    total_bookings: Mapped[int] = mapped_column(Integer, default=0)
    services_used: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(32), default="easyappointments")
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    queued_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decision_note: Mapped[str | None] = mapped_column(Text)


class UserInvitation(Base):
    """A single-use, expiring platform invitation and the state of its email."""

    __tablename__ = "user_invitations"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|sent|failed|accepted|expired
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    used_at: Mapped[datetime | None]
    message_id: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    invited_by: Mapped[str | None] = mapped_column(String(200))


class PlatformUser(Base):
    """A user of the En Garde platform (the demo seeds some; production reads its own table)."""

    __tablename__ = "platform_users"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    first_name: Mapped[str | None] = mapped_column(String(200))
    last_name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]


class PlatformConnection(Base):
    """A connection to an outside platform (e.g. an Eventbrite OAuth token) and its state."""

    __tablename__ = "platform_connections"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    provider: Mapped[str] = mapped_column(String(32), unique=True)
    auth_method: Mapped[str] = mapped_column(String(32))
    #: Encrypted at rest (store/encryption.py); reads decrypt.
    credentials: Mapped[str | None] = mapped_column(EncryptedText)
    config: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default="connected")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class InsightReport(Base):
    """A booking-insights report as produced (facts, insights, model, HTML path)."""

    __tablename__ = "insight_reports"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime]
    date_from: Mapped[date] = mapped_column(Date)
    date_to: Mapped[date] = mapped_column(Date)
    analysis_type: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(64))
    report: Mapped[dict[str, Any]]
    html_path: Mapped[str | None] = mapped_column(Text)


class BrevoImportBatch(Base):
    """One import chunk sent to Brevo, written before sending so a crashed run can finish it.

    ``rows`` holds ``[email, payload_hash]`` pairs; ``process_id`` is Brevo's once accepted.
    """

    __tablename__ = "brevo_import_batches"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("brevo_sync_runs.id"), index=True)
    list_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)  # sending|sent|done|failed|not_sent
    process_id: Mapped[int | None] = mapped_column(Integer)
    rows: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


class SourceHistory(Base):
    """How much of a source's booking history the store holds completely (booking insights).

    Every booking of ``source`` starting on or before ``complete_to`` was read, from the source's
    very first one, by reads that ended at ``read_at``; the next report reads only later days.
    """

    __tablename__ = "source_history"

    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    complete_to: Mapped[date] = mapped_column(Date)
    read_at: Mapped[datetime]
    rows: Mapped[int] = mapped_column(Integer, default=0)
    api_calls: Mapped[int] = mapped_column(Integer, default=0)


class SegmentSnapshot(Base):
    """People per segment after one audience-sync run: the audience trend (kept here, not only in
    Prefect, so the history survives a reset of Prefect's database)."""

    __tablename__ = "segment_snapshots"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    as_of: Mapped[datetime] = mapped_column(index=True)
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
    people: Mapped[int] = mapped_column(Integer)
    segments: Mapped[dict[str, Any]]


class BrevoOptOut(Base):
    """A person Brevo told us (by webhook) must get no more marketing: unsubscribed, spam, hard bounce, deleted."""

    __tablename__ = "brevo_opt_outs"

    email: Mapped[str] = mapped_column(String(320), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    event: Mapped[str] = mapped_column(String(64))
    opted_out_at: Mapped[datetime]


class RunLock(Base):
    """A named lease held by one run (see store/locks.py): who holds it and until when, unless renewed."""

    __tablename__ = "run_locks"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(200))
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
    host: Mapped[str] = mapped_column(String(128))
    pid: Mapped[int] = mapped_column(Integer)
    acquired_at: Mapped[datetime]
    expires_at: Mapped[datetime]
