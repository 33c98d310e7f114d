"""Database tables.

The execution state of an application is SpiffWorkflow's serialization (without the spec) in ``instance.state``,
stored as TEXT: a key-reordering column type (PostgreSQL JSONB) silently loses task data (SPIFFWORKFLOW.md).
Everything people query (inbox, tracking, reports) lives in narrow, indexed projection tables: ``task``,
``task_candidate`` and the append-only ``event`` log.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, returns aware UTC, on SQLite (which has no time zones) and PostgreSQL alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return _naive_utc(value)

    def bind_processor(self, dialect):
        # A step on SQLite binds 38 of these (task, event, notification and instance rows, ORM and prepared
        # statements alike). SQLAlchemy's chain — this decorator's wrapper, then SQLite's ``%`` formatting from a
        # dict of seven fields — took 3.1–3.8 µs a value; one function writing the same text 1.9–2.1 µs: ~55 µs,
        # 2 % of the step. On PostgreSQL (21 a step) the driver takes the datetime itself and little changes.
        impl = self.impl_instance.dialect_impl(dialect)
        if dialect.name == "sqlite" and getattr(impl, "_storage_format", None) == _SQLITE_DEFAULT_FORMAT:
            return _sqlite_text_from_utc
        if impl.bind_processor(dialect) is None:  # the driver takes a naive datetime as it is (psycopg)
            return _naive_utc
        return super().bind_processor(dialect)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)

    def result_processor(self, dialect, coltype):
        if dialect.name == "sqlite":
            # SQLite hands back the ISO text SQLAlchemy wrote. Parsing it with its offset appended is six times
            # faster than SQLAlchemy's regular expression plus ``replace(tzinfo=…)`` — an inbox page of fifty rows
            # reads hundreds of these.
            return _utc_from_sqlite_text
        return super().result_processor(dialect, coltype)


def _naive_utc(value: datetime | None) -> datetime | None:
    """The naive UTC datetime stored for an aware ``value``; a naive one is refused (its zone is unknown)."""
    if value is None:
        return None
    zone = value.tzinfo
    if zone is None:
        raise ValueError("naive datetime given to a UTC column")
    return value.replace(tzinfo=None) if zone is UTC else value.astimezone(UTC).replace(tzinfo=None)


# SQLAlchemy's SQLite DATETIME text: ``isoformat(" ", "microseconds")`` writes exactly this (always six digits of
# microseconds), so rows written either way compare and sort alike.
_SQLITE_DEFAULT_FORMAT = "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06d"


def _sqlite_text_from_utc(value: datetime | None) -> str | None:
    naive = _naive_utc(value)
    return None if naive is None else naive.isoformat(" ", "microseconds")


def _utc_from_sqlite_text(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value + "+00:00")
    except ValueError:  # text written by hand with an offset of its own
        parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is UTC:
        return parsed
    # A bare date comes back naive even with the offset appended.
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime}


class FormSnapshot(Base):
    """A JSON Schema (+ optional UI schema) frozen by content hash; definitions point at these."""

    __tablename__ = "form_snapshot"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    form_key: Mapped[str] = mapped_column(String(200))
    schema_json: Mapped[str] = mapped_column(Text)
    ui_schema_json: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class ServiceDefinition(Base):
    """One deployed version of a permit service (one executable BPMN process)."""

    __tablename__ = "service_definition"
    __table_args__ = (
        UniqueConstraint("key", "version", name="uq_definition_key_version"),
        Index("ix_definition_key_sha", "key", "sha256"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft | published | retired
    name_id: Mapped[str] = mapped_column(String(300), default="")
    name_en: Mapped[str] = mapped_column(String(300), default="")
    bpmn_filename: Mapped[str] = mapped_column(String(300))
    # The large columns are deferred: every step joins the definition for its settings, none needs the texts
    # (the restored spec is cached per process by definition id).
    bpmn: Mapped[str] = mapped_column(Text, deferred=True)
    # Files the main diagram's call activities need: {filename: xml text}.
    extra_bpmn: Mapped[dict] = mapped_column(JSON, default=dict, deferred=True)
    # The parsed spec, serialized once here and shared by every instance of this version.
    spec_json: Mapped[str] = mapped_column(Text, deferred=True)
    # What the engine read from the diagram: process properties, per-task settings, decision choices, form keys.
    meta: Mapped[dict] = mapped_column(JSON, default=dict)
    # form key -> FormSnapshot.sha256
    forms: Mapped[dict] = mapped_column(JSON, default=dict)
    warnings: Mapped[list] = mapped_column(JSON, default=list)
    sha256: Mapped[str] = mapped_column(String(64))
    deployed_by: Mapped[str | None] = mapped_column(String(100))
    deployed_at: Mapped[datetime]
    published_at: Mapped[datetime | None]
    # Names this row's never-changing columns (all but status and published_at) in any database: a step reads the
    # definition's settings from a process-wide copy by this key (engine.storage.definition_rows). Random, never
    # reused, so a copy can never stand for another row — of another database, or one deployed again.
    content_id: Mapped[str] = mapped_column(String(32), default=lambda: uuid.uuid4().hex)


class Instance(Base):
    """An application (*permohonan*): one running or finished process instance."""

    __tablename__ = "instance"
    __table_args__ = (
        Index("ix_instance_applicant", "applicant"),
        Index("ix_instance_jurisdiction_status", "jurisdiction", "status"),
        Index("ix_instance_service_status", "service_key", "status"),
        Index("ix_instance_next_timer", "next_timer_at"),
        # Partial: only running clocks / owed decisions are in them, so they stay small and most updates skip them.
        Index("ix_instance_sla_alarm", "sla_alarm_at", postgresql_where=text("sla_alarm_at IS NOT NULL"),
              sqlite_where=text("sla_alarm_at IS NOT NULL")),
        Index("ix_instance_sla_action", "sla_action", postgresql_where=text("sla_action IS NOT NULL"),
              sqlite_where=text("sla_action IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("service_definition.id"))
    service_key: Mapped[str] = mapped_column(String(200))
    registration_no: Mapped[str] = mapped_column(String(200), unique=True)
    applicant: Mapped[str] = mapped_column(String(100))
    # The applicant's campus when the file started: whose operators see it and work its ``institution`` steps.
    institution_code: Mapped[str | None] = mapped_column(String(50), index=True)
    applicant_name: Mapped[str] = mapped_column(String(300), default="")
    jurisdiction: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="running")  # running|completed|error|cancelled
    outcome: Mapped[str | None] = mapped_column(String(200))  # name of the end event reached
    state: Mapped[str] = mapped_column(Text)
    serializer_version: Mapped[str] = mapped_column(String(20))
    revision: Mapped[int] = mapped_column(Integer, default=0)
    next_timer_at: Mapped[datetime | None]
    error_element: Mapped[str | None] = mapped_column(String(200))
    error_message: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    # Whole-file SLA (engine/sla/clocks.py): target from the process's ``sla``, thresholds in the office's working time,
    # shifted by the time the file waited for the applicant; working time taken stored when the file ends.
    sla: Mapped[str | None] = mapped_column(String(50))
    sla_calendar: Mapped[str | None] = mapped_column(String(20))
    sla_target_seconds: Mapped[float | None] = mapped_column(Float)
    sla_due_at: Mapped[datetime | None]
    sla_at_risk_at: Mapped[datetime | None]
    sla_breached_at: Mapped[datetime | None]
    sla_state: Mapped[str | None] = mapped_column(String(20))
    # The next instant the SLA pass must look at this file: sla_breached_at while the clock runs, NULL once
    # breached, paused or ended (at risk is read off sla_at_risk_at, not stored: engine.sla.risk).
    sla_alarm_at: Mapped[datetime | None]
    paused_since: Mapped[datetime | None]
    paused_seconds: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    working_seconds: Mapped[float | None] = mapped_column(Float)
    # 'approve' while an automatic decision (fiktif positif) is owed to this breached file; 'failed' if impossible.
    sla_action: Mapped[str | None] = mapped_column(String(20))

    definition: Mapped[ServiceDefinition] = relationship(lazy="joined")


class Task(Base):
    """Projection of a human task (ready, claimed or finished) for inboxes and reports."""

    __tablename__ = "task"
    __table_args__ = (
        Index("ix_task_open_jurisdiction_due", "state", "jurisdiction", "due_at"),
        Index("ix_task_assignee_state", "assignee", "state"),
        Index("ix_task_instance", "instance_id"),
        Index("ix_task_sla_alarm", "sla_alarm_at", postgresql_where=text("sla_alarm_at IS NOT NULL"),
              sqlite_where=text("sla_alarm_at IS NOT NULL")),
        Index("ix_task_sla_action", "sla_action", postgresql_where=text("sla_action IS NOT NULL"),
              sqlite_where=text("sla_action IS NOT NULL")),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the SpiffWorkflow task id
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id"))
    service_key: Mapped[str] = mapped_column(String(200))
    element_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    form_key: Mapped[str | None] = mapped_column(String(200))
    candidate_groups: Mapped[list] = mapped_column(JSON, default=list)
    for_applicant: Mapped[bool] = mapped_column(Boolean, default=False)
    jurisdiction: Mapped[str] = mapped_column(String(100))
    assignee: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(20), default="ready")  # ready|claimed|completed|cancelled
    decision_choices: Mapped[list] = mapped_column(JSON, default=list)
    decision: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(100))
    # SLA (filled by the SLA clock): target as ISO-8601 working time, whether the clock pauses on this step.
    sla: Mapped[str | None] = mapped_column(String(50))
    sla_pause: Mapped[bool] = mapped_column(Boolean, default=False)
    due_at: Mapped[datetime | None]
    sla_state: Mapped[str | None] = mapped_column(String(20))
    # The SLA clock (engine/sla/clocks.py). ``at_risk_at``/``breached_at`` are the instants the step turns at risk and
    # overdue, kept exact while it is open (shifted after a pause).
    sla_calendar: Mapped[str | None] = mapped_column(String(20))
    sla_target_seconds: Mapped[float | None] = mapped_column(Float)
    at_risk_at: Mapped[datetime | None]
    breached_at: Mapped[datetime | None]
    # The breach instant while the clock runs (NULL once breached, paused or closed; at risk is read off
    # at_risk_at, not stored: engine.sla.risk): the SLA pass is one range scan of a small partial index on it,
    # whatever the number of open tasks.
    sla_alarm_at: Mapped[datetime | None]
    paused_since: Mapped[datetime | None]
    paused_seconds: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    # Working time the step actually took (pauses excluded), stored when it closes.
    working_seconds: Mapped[float | None] = mapped_column(Float)
    # 'approve' while an automatic decision (fiktif positif) is owed to this breached step; 'failed' if impossible.
    sla_action: Mapped[str | None] = mapped_column(String(20))
    # Registration number, applicant name and step name, lower-cased: the inbox's ``q`` is a LIKE on this column,
    # which the inbox and history indexes carry, instead of a join to ``instance``.
    search_text: Mapped[str | None] = mapped_column(String(700))

    instance: Mapped[Instance] = relationship(lazy="raise")


class TaskCandidate(Base):
    """One row per (task, candidate group): the inbox joins on it with an index instead of parsing lists."""

    __tablename__ = "task_candidate"
    __table_args__ = (Index("ix_task_candidate_group", "group_name", "task_id"),)

    task_id: Mapped[str] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), primary_key=True)
    group_name: Mapped[str] = mapped_column(String(100), primary_key=True)


class RegistrationCounter(Base):
    """Sequence per service per year for registration numbers; incremented in the caller's transaction."""

    __tablename__ = "registration_counter"

    service_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class Event(Base):
    """Append-only audit log: every decision, with actor and time."""

    __tablename__ = "event"
    __table_args__ = (Index("ix_event_instance", "instance_id", "id"), Index("ix_event_kind_at", "kind", "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    actor: Mapped[str | None] = mapped_column(String(100))
    at: Mapped[datetime]
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instance.id"))
    definition_id: Mapped[int | None] = mapped_column(ForeignKey("service_definition.id"))
    task_id: Mapped[str | None] = mapped_column(String(36))
    element_id: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict] = mapped_column(JSON, default=dict)


class SurveyResponse(Base):
    """An applicant's answers to the satisfaction survey (SKM, Permenpan RB 14/2017) about one finished file."""

    __tablename__ = "survey_response"
    __table_args__ = (Index("ix_survey_service_at", "service_key", "submitted_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id"), unique=True)
    service_key: Mapped[str] = mapped_column(String(200))
    jurisdiction: Mapped[str] = mapped_column(String(100))
    answers: Mapped[dict] = mapped_column(JSON)  # item code -> 1..4
    comment: Mapped[str] = mapped_column(Text, default="")
    submitted_by: Mapped[str] = mapped_column(String(100))
    submitted_at: Mapped[datetime]


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    full_name: Mapped[str] = mapped_column(String(300), default="")
    email: Mapped[str | None] = mapped_column(String(300))
    roles: Mapped[list] = mapped_column(JSON, default=list)
    groups: Mapped[list] = mapped_column(JSON, default=list)
    jurisdictions: Mapped[list] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    # How the account wants its notifications outside the app (engine/messaging/channels.py): email | sms |
    # whatsapp, NULL for e-mail; the phone in E.164 (+62…), checked by engine/messaging/phones.py.
    phone: Mapped[str | None] = mapped_column(String(20))
    notify_channel: Mapped[str | None] = mapped_column(String(20))
    # The campus an applicant studies at, or an institution operator works for (engine.people.institutions).
    institution_code: Mapped[str | None] = mapped_column(ForeignKey("institution.code"))
    # The applicant's NIK (16 digits, one account per NIK): what the counter finds a walk-in's account by, whether
    # the account was opened at the counter or online (engine.casework.counter).
    nik: Mapped[str | None] = mapped_column(String(16), index=True, unique=True)


class StaffGroup(Base):
    """A candidate group staff can belong to (``verifier``, ``head``): the managed list account groups are chosen
    from, and that deploy checks a diagram's ``camunda:candidateGroups`` against (engine/people/groups.py). The name
    is what diagrams say, so it never changes; the title is what people read. Retired groups stay for history."""

    __tablename__ = "staff_group"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]


class ApiToken(Base):
    """A bearer token of the HTTP API, or a web sign-in. Only its SHA-256 is stored: a database leak reveals no usable
    token. ``kind`` keeps the two apart: a web session's secret rides in the browser's cookie, so the API refuses it
    (``engine.people.tokens``)."""

    __tablename__ = "api_token"
    __table_args__ = (Index("ix_api_token_user", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(100), default="")
    kind: Mapped[str] = mapped_column(String(10), default="api", server_default="api")
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class LoginFailure(Base):
    """Failed sign-ins per (username, client address): drives the exponential lockout."""

    __tablename__ = "login_failure"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    username: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(100))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]


class Attachment(Base):
    """An uploaded file: bytes on disk under their SHA-256 (content-addressed), metadata and ownership here.

    ``instance_id`` is set when an application (or one of its tasks) references the file; from then on whoever may
    see that application may download it. Before that only the uploader may.
    """

    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_instance", "instance_id"), Index("ix_attachment_uploader", "uploaded_by"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime]
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instance.id"))


class AttachmentContent(Base):
    """The bytes of uploaded documents under their SHA-256, where documents are kept in the database
    (``engine/documents/file_store.py``: several app hosts on one PostgreSQL)."""

    __tablename__ = "attachment_content"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)


class InstallationFile(Base):
    """What every app host of an installation must share besides rows: the generated session key and the offices'
    calendars (``engine/storage/installation_files.py``)."""

    __tablename__ = "installation_file"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime]


class Notification(Base):
    """The outbox: one row per recipient and message, shown in the app and (when an address is known) e-mailed.

    The row is written in the transaction of the step that caused it, so a notification exists exactly when its
    cause committed; the scheduler's sender delivers e-mail later, with retries, never inside a completion.
    ``dedupe_key`` (unique) makes "notify once" hold even if two processes act on the same cause.
    """

    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_recipient", "recipient", "id"),
        # Only mail still to send is in it; delivered rows drop out.
        Index("ix_notification_email_due", "email_status", "next_attempt_at",
              postgresql_where=text("email_status = 'pending'"), sqlite_where=text("email_status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    recipient: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    # No foreign key: applications are never deleted, and a breach pass writes thousands of notifications at once;
    # a key-share lock on the application per row would cost more than the check is worth.
    instance_id: Mapped[int | None] = mapped_column(Integer)
    task_id: Mapped[str | None] = mapped_column(String(36))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    read_at: Mapped[datetime | None]
    # E-mail delivery: pending | sent | failed, or NULL when the recipient has no address.
    email: Mapped[str | None] = mapped_column(String(300))
    email_status: Mapped[str | None] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None]
    claimed_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # The channel the columns above deliver through (engine/messaging/channels.py): email (also when NULL, rows from
    # before channels), sms or whatsapp, whose number is ``phone``. ``email_status`` is the delivery status of
    # whichever channel it is.
    channel: Mapped[str | None] = mapped_column(String(20))
    phone: Mapped[str | None] = mapped_column(String(20))


# The inbox's index (engine.casework.inbox): only open tasks, with every column the inbox filters on, so a page of an
# office's inbox is read from the index alone however long the history grows. ``at_risk_at`` and ``paused_since``
# are what "at risk" is read off (engine.sla.risk).
Index("ix_task_inbox_open", Task.jurisdiction, Task.due_at, Task.id,
      postgresql_include=["state", "for_applicant", "assignee", "created_at", "candidate_groups", "service_key",
                          "sla_state", "search_text", "at_risk_at", "paused_since"],
      postgresql_where=Task.state.in_(("ready", "claimed")), sqlite_where=Task.state.in_(("ready", "claimed")))
# The inbox's count (its ``total``) reads every open task of the actor's offices: from this narrow index, whose
# entries of one office lie in table order, it costs half of what it costs from the inbox index above (ordered by
# due date, ten columns wide) on PostgreSQL (migration 0022, bench/http_load.py).
Index("ix_task_inbox_count", Task.jurisdiction, postgresql_include=["for_applicant", "assignee", "candidate_groups"],
      postgresql_where=Task.state.in_(("ready", "claimed")), sqlite_where=Task.state.in_(("ready", "claimed")))
# History (``state=completed``): an office's finished tasks, newest first, read from the index alone.
Index("ix_task_history", Task.jurisdiction, Task.completed_at, Task.id,
      postgresql_include=["for_applicant", "assignee", "candidate_groups", "service_key", "sla_state", "search_text"],
      postgresql_where=Task.state == "completed", sqlite_where=Task.state == "completed")
Index("ix_task_history_assignee", Task.assignee, Task.completed_at, Task.id,
      postgresql_where=Task.state == "completed", sqlite_where=Task.state == "completed")


class ExternalTask(Base):
    """Work a diagram hands to a program outside (``camunda:type="external"``): Camunda 7's external task.

    Written in the transaction of the step that reached the service task (an outbox), fetched and locked by a
    worker, completed as a step. ``available_at`` is when a worker may fetch it next — its creation, the end of a
    lock, or the end of a failure's retry timeout — so a fetch is one range scan of a partial index.
    """

    __tablename__ = "external_task"
    __table_args__ = (
        Index("ix_external_task_fetch", "topic", "available_at", postgresql_where=text("state = 'open'"),
              sqlite_where=text("state = 'open'")),
        Index("ix_external_task_instance", "instance_id", "state"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id"))
    definition_id: Mapped[int] = mapped_column(ForeignKey("service_definition.id"))
    service_key: Mapped[str] = mapped_column(String(200))
    task_id: Mapped[str] = mapped_column(String(36), unique=True)  # the SpiffWorkflow task waiting for it
    element_id: Mapped[str] = mapped_column(String(200))
    element_name: Mapped[str] = mapped_column(String(300), default="")
    topic: Mapped[str] = mapped_column(String(200))
    business_key: Mapped[str] = mapped_column(String(200))  # the registration number
    jurisdiction: Mapped[str] = mapped_column(String(100))
    # The task's process data when the step reached it (it cannot change while the task waits).
    variables: Mapped[dict] = mapped_column(JSON, default=dict)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(20), default="open")  # open | done | incident | cancelled
    available_at: Mapped[datetime]
    worker_id: Mapped[str | None] = mapped_column(String(200))
    client: Mapped[str | None] = mapped_column(String(100))  # the API client whose worker holds or held it
    lock_expires_at: Mapped[datetime | None]
    retries: Mapped[int | None] = mapped_column(Integer)  # None until a worker reports a failure, as in Camunda
    retry_at: Mapped[datetime | None]
    error_message: Mapped[str | None] = mapped_column(Text)
    error_details: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class ApiClient(Base):
    """A program allowed to call Lincah (an external-task worker, a system sending messages), scoped to topics,
    messages and offices. Only the SHA-256 of its secret is stored."""

    __tablename__ = "api_client"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    topics: Mapped[list] = mapped_column(JSON, default=list)
    messages: Mapped[list] = mapped_column(JSON, default=list)
    jurisdictions: Mapped[list] = mapped_column(JSON, default=list)  # empty: every office
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    rotated_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class DecisionDefinition(Base):
    """One deployed version of a DMN decision table (*tabel keputusan*), callable by its key (the decision id).

    Deployed with a service, it is versioned with it (``service_key``/``service_version``; the service's spec
    carries its own copy of the table, so running applications keep theirs); deployed alone, it stands by itself.
    Re-deploying an identical table keeps its version."""

    __tablename__ = "decision_definition"
    __table_args__ = (
        UniqueConstraint("key", "version", name="uq_decision_key_version"),
        Index("ix_decision_key_sha", "key", "sha256"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300), default="")
    hit_policy: Mapped[str] = mapped_column(String(4))  # U, A, P, F, R, O, C, C+, C<, C>, C#
    filename: Mapped[str] = mapped_column(String(300))
    # The DMN file as deployed (for the modeler) and the table as Lincah read it (what is evaluated).
    dmn: Mapped[str] = mapped_column(Text, deferred=True)
    table_json: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    service_key: Mapped[str | None] = mapped_column(String(200))
    service_version: Mapped[int | None] = mapped_column(Integer)
    deployed_by: Mapped[str | None] = mapped_column(String(100))
    deployed_at: Mapped[datetime]


class Office(Base):
    """What a letter says about the office that issues it (*kop surat*): one row per jurisdiction code.

    ``letter_numbers`` maps a service key to its number pattern (``503/{seq:05d}/SIPI/DPM-PTSP/{year}``);
    the emblem is kept here, small and checked (``engine.people.offices``), so a letter renders from the database
    alone."""

    __tablename__ = "office"

    code: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(300), default="")
    address: Mapped[str] = mapped_column(String(500), default="")
    place: Mapped[str] = mapped_column(String(100), default="")  # the town a letter is dated in (Makassar)
    public_url: Mapped[str] = mapped_column(String(300), default="")
    emblem: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    emblem_type: Mapped[str | None] = mapped_column(String(40))
    letter_numbers: Mapped[dict] = mapped_column(JSON, default=dict)
    # The office whose queue takes this office's steps when nobody here can work them (a regency's province);
    # NULL means the installation's default jurisdiction (engine.casework.handover).
    supervising_office: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime]


class StaffProfile(Base):
    """A staff member as a letter names the signer: position (*jabatan*), rank (*pangkat/golongan*), 18-digit NIP."""

    __tablename__ = "staff_profile"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[str] = mapped_column(String(300), default="")
    rank: Mapped[str] = mapped_column(String(100), default="")
    nip: Mapped[str] = mapped_column(String(18), default="")
    updated_at: Mapped[datetime]


class LetterTemplate(Base):
    """A service's letter template (Jinja2 HTML + optional CSS) frozen by content hash at deploy, like forms."""

    __tablename__ = "letter_template"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    html: Mapped[str] = mapped_column(Text)
    css: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class IssuedLetter(Base):
    """The permit letter as issued: its bytes never change (a correction is a new letter); its SHA-256 lets anyone
    check the PDF they hold; a supervisor may revoke it, with a reason."""

    __tablename__ = "issued_letter"

    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id"), primary_key=True)
    permit_number: Mapped[str] = mapped_column(String(200))
    # What the QR code's address names (``<office public URL>/verify/<token>``): random, so letters cannot be
    # listed by counting; NULL only for rows from before letters were stored.
    verify_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    issued_at: Mapped[datetime]
    valid_until: Mapped[str | None] = mapped_column(String(10))  # ISO date, when the service declares a period
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(100))
    revoke_reason: Mapped[str | None] = mapped_column(String(1000))


class FormDraft(Base):
    """What a person typed into a form and has not sent yet (``engine.casework.drafts``): saved as they type, per
    account and form (``scope``: ``start:<service key>`` or ``task:<task id>``), restored on any device. Only a
    convenience: sending the form validates it as if no draft existed. ``fields`` holds the form's inputs as
    ``[name, value]`` pairs, bounded in number and size; the draft goes at ``expires_at``."""

    __tablename__ = "form_draft"
    __table_args__ = (UniqueConstraint("owner", "scope", name="uq_form_draft_owner_scope"),
                      Index("ix_form_draft_expires", "expires_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner: Mapped[str] = mapped_column(String(100))
    scope: Mapped[str] = mapped_column(String(250))
    fields: Mapped[list] = mapped_column(JSON, default=list)
    size: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    # When the owner was told the draft is about to go (once per draft life; a save clears it).
    expiry_notified_at: Mapped[datetime | None]


class FormDraftFile(Base):
    """An upload a draft refers to: kept from the unattached-upload cleanup while the draft lives."""

    __tablename__ = "form_draft_file"
    __table_args__ = (Index("ix_form_draft_file_attachment", "attachment_id"),)

    draft_id: Mapped[int] = mapped_column(ForeignKey("form_draft.id", ondelete="CASCADE"), primary_key=True)
    attachment_id: Mapped[str] = mapped_column(String(32), primary_key=True)


class PasswordResetToken(Base):
    """A forgot-password link (``engine.people.password_reset``): only the SHA-256 of its secret is stored; good
    once, until ``expires_at``."""

    __tablename__ = "password_reset_token"
    __table_args__ = (Index("ix_password_reset_user", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class PasswordResetCode(Base):
    """A forgot-password code sent by SMS or WhatsApp (``engine.people.reset_codes``): six digits, stored as the
    SHA-256 of a per-row salt and the code; good until ``expires_at``, once, and for ``MAX_ATTEMPTS`` wrong tries
    (then ``used_at`` is set: spent without use). ``phone`` is the number it went to, for the per-number limit."""

    __tablename__ = "password_reset_code"
    __table_args__ = (Index("ix_password_reset_code_user", "user_id"),
                      Index("ix_password_reset_code_phone", "phone", "created_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    salt: Mapped[str] = mapped_column(String(32))
    code_hash: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class Institution(Base):
    """A campus (*perguruan tinggi*) or other institution whose students apply (``engine.people.institutions``):
    its operators confirm their students' applications and follow their files."""

    __tablename__ = "institution"

    code: Mapped[str] = mapped_column(String(50), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    address: Mapped[str] = mapped_column(String(500), default="")
    email: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime]
