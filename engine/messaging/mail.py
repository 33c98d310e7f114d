"""E-mail delivery of outbox notifications: claim a batch, send it over SMTP, record what happened.

Sending happens outside any database transaction (a slow mail server must not hold row locks): a batch is first
*leased* (``claimed_until``) in a short transaction — rows leased by another sender process are skipped with
``FOR NO KEY UPDATE SKIP LOCKED`` — then sent, then the outcome is written in a second short transaction. A sender that
dies mid-batch leaves leases that expire, and another sender retries them.

Failures are retried with exponential backoff (``RetryPolicy``); a permanent refusal (SMTP 5xx) or running out of
attempts marks the row ``failed`` with the last error, for an administrator to see. Nothing here is ever called from
a task completion.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import Session

from engine.config import Settings
from engine.messaging.notifications import (
    ACTION_REQUIRED,
    APPROVED,
    CANCELLED_BY_OFFICE,
    CLOSED,
    FAILED,
    PENDING,
    RECEIVED,
    REJECTED,
    RETURNED,
    SENT,
)
from engine.storage.locks import skip_locked
from engine.storage.models import Notification


@dataclass(frozen=True)
class MailSettings:
    """SMTP settings; ``host`` empty means e-mail is off (notifications stay in the app only)."""

    host: str = ""
    port: int = 25
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    use_ssl: bool = False
    sender: str = "Lincah DPM-PTSP <noreply@localhost>"
    timeout: float = 10.0
    # Where people open the pages (``https://izin.example.go.id``): an applicant's mail ends with the link to the
    # application, or to the task waiting for them. Empty: no links.
    public_url: str = ""

    @property
    def enabled(self) -> bool:
        return bool(self.host)

    @classmethod
    def from_settings(cls, settings: Settings) -> MailSettings:
        """The installation's ``LINCAH_SMTP_*``, ``LINCAH_MAIL_FROM`` and public URL (``engine.config``)."""
        return cls(host=settings.smtp_host, port=settings.smtp_port, username=settings.smtp_user or None,
                   password=settings.smtp_password or None, starttls=settings.smtp_starttls,
                   use_ssl=settings.smtp_ssl, sender=settings.mail_from, timeout=settings.smtp_timeout,
                   public_url=settings.public_url)

    @classmethod
    def from_env(cls) -> MailSettings:
        return cls.from_settings(Settings.from_env())


@dataclass(frozen=True)
class RetryPolicy:
    """Wait ``base`` after the first failure, doubling each time up to ``max_delay``; give up after ``attempts``."""

    base: timedelta = timedelta(minutes=1)
    factor: float = 2.0
    max_delay: timedelta = timedelta(hours=6)
    attempts: int = 8
    lease: timedelta = timedelta(minutes=5)

    def delay(self, attempts_made: int) -> timedelta:
        return min(self.base * (self.factor ** max(attempts_made - 1, 0)), self.max_delay)


@dataclass(frozen=True)
class Outgoing:
    id: int
    email: str
    subject: str
    body: str
    attempts: int
    kind: str | None = None
    instance_id: int | None = None
    task_id: str | None = None
    # Which channel delivers it (engine/messaging/channels.py; None: e-mail) and, for SMS/WhatsApp, the number.
    channel: str | None = None
    phone: str | None = None
    registration_no: str | None = None  # from the row's data: an SMS names the file by it (engine.messaging.sms_text)


# The applicant's stage messages: their mail links to the file (or the task) on the pages.
_APPLICANT_STAGES = frozenset({RECEIVED, RETURNED, ACTION_REQUIRED, APPROVED, REJECTED, CLOSED, CANCELLED_BY_OFFICE})


def with_link(message: Outgoing, public_url: str) -> str:
    """The mail's text: the notification's, and for an applicant's stage message the address of the task that
    waits for them, else of the application (both pages ask to sign in first)."""
    if not public_url or message.kind not in _APPLICANT_STAGES or message.instance_id is None:
        return message.body
    if message.task_id and message.kind in (RETURNED, ACTION_REQUIRED):
        address = f"{public_url}/tasks/{message.task_id}"
        return f"{message.body}\n\nBuka tugas / Open the task:\n{address}\n"
    address = f"{public_url}/applications/{message.instance_id}"
    return f"{message.body}\n\nBuka permohonan / Open the application:\n{address}\n"


@dataclass(frozen=True)
class Delivery:
    id: int
    ok: bool
    error: str | None = None
    permanent: bool = False


class SmtpMailer:
    """Sends a batch over one SMTP connection; reports per message, never raises for a delivery problem."""

    def __init__(self, settings: MailSettings):
        self.settings = settings

    def send(self, batch: list[Outgoing]) -> list[Delivery]:
        if not batch:
            return []
        try:
            connection = self._connect()
        except (OSError, smtplib.SMTPException) as exc:
            return [Delivery(m.id, False, f"cannot reach the mail server: {_describe(exc)}") for m in batch]
        results = []
        try:
            for message in batch:
                results.append(self._send_one(connection, message))
        finally:
            try:
                connection.quit()
            except (OSError, smtplib.SMTPException):
                connection.close()
        return results

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.use_ssl:
            connection = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=ssl.create_default_context())
        else:
            connection = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            if s.starttls:
                connection.starttls(context=ssl.create_default_context())
        if s.username:
            connection.login(s.username, s.password or "")
        return connection

    def _send_one(self, connection: smtplib.SMTP, message: Outgoing) -> Delivery:
        email = EmailMessage()
        email["From"] = self.settings.sender
        email["To"] = message.email
        email["Subject"] = message.subject
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = make_msgid(idstring=f"lincah-{message.id}")
        email.set_content(with_link(message, self.settings.public_url))
        try:
            connection.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            return Delivery(message.id, False, _describe(exc), permanent=all(code >= 500 for code in codes))
        except smtplib.SMTPResponseException as exc:
            return Delivery(message.id, False, _describe(exc), permanent=exc.smtp_code >= 500)
        except (OSError, smtplib.SMTPException) as exc:
            return Delivery(message.id, False, _describe(exc))
        return Delivery(message.id, True)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {text}"
    return f"{type(exc).__name__}: {exc}"


_TABLE = Notification.__table__


def claim_outgoing(session: Session, now: datetime, *, limit: int = 50, policy: RetryPolicy = RetryPolicy()
                   ) -> list[Outgoing]:
    """Lease up to ``limit`` messages that are due (every channel: ``email_status`` is the delivery status of the
    row's channel), oldest first; rows leased or locked elsewhere are skipped."""
    due = skip_locked(
        select(_TABLE.c.id, _TABLE.c.email, _TABLE.c.subject, _TABLE.c.body, _TABLE.c.attempts, _TABLE.c.kind,
               _TABLE.c.instance_id, _TABLE.c.task_id, _TABLE.c.channel, _TABLE.c.phone, _TABLE.c.data)
        .where(_TABLE.c.email_status == PENDING, _TABLE.c.next_attempt_at <= now,
               or_(_TABLE.c.claimed_until.is_(None), _TABLE.c.claimed_until <= now))
        .order_by(_TABLE.c.next_attempt_at, _TABLE.c.id).limit(limit))
    claimed = [Outgoing(*row[:-1], registration_no=_registration_no(row[-1])) for row in session.execute(due)]
    if claimed:
        session.execute(update(_TABLE).where(_TABLE.c.id.in_([m.id for m in claimed]))
                        .values(claimed_until=now + policy.lease))
    return claimed


def _registration_no(data) -> str | None:
    number = data.get("registration_no") if isinstance(data, dict) else None
    return number if isinstance(number, str) else None


_RECORD = (update(_TABLE).where(_TABLE.c.id == bindparam("b_id"))
           .values(email_status=bindparam("b_status"), attempts=bindparam("b_attempts"),
                   next_attempt_at=bindparam("b_next"), sent_at=bindparam("b_sent"),
                   last_error=bindparam("b_error"), claimed_until=None))


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def record_deliveries(session: Session, now: datetime, claimed: list[Outgoing], deliveries: list[Delivery],
                      policy: RetryPolicy = RetryPolicy()) -> DeliveryReport:
    """Write the outcome of a batch: sent, due again after the backoff, or failed for good."""
    report = DeliveryReport()
    attempts = {m.id: m.attempts for m in claimed}
    changes = []
    for delivery in deliveries:
        made = attempts[delivery.id] + 1
        if delivery.ok:
            report.sent += 1
            changes.append({"b_id": delivery.id, "b_status": SENT, "b_attempts": made, "b_next": None,
                            "b_sent": now, "b_error": None})
        elif delivery.permanent or made >= policy.attempts:
            report.failed += 1
            changes.append({"b_id": delivery.id, "b_status": FAILED, "b_attempts": made, "b_next": None,
                            "b_sent": None, "b_error": delivery.error})
        else:
            report.retrying += 1
            changes.append({"b_id": delivery.id, "b_status": PENDING, "b_attempts": made,
                            "b_next": now + policy.delay(made), "b_sent": None, "b_error": delivery.error})
    if changes:
        session.execute(_RECORD, changes)
    return report
