"""Delivery status for staff: how each notice of an application went out (channel, queued / sent / failed, attempts,
the gateway's or mail server's reason), and the outbox's failures for administrators. Read from the outbox rows
themselves, so what staff see is what the sender recorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.errors import Forbidden
from engine.messaging.notifications import FAILED, PENDING, SENT
from engine.people.access import ADMIN, Actor
from engine.storage.models import Instance, Notification
from engine.texts import N_, Text

QUEUED = "queued"  # what people read for a row still to send (``pending`` in the table, retries included)
STATUSES = {PENDING: QUEUED, SENT: SENT, FAILED: FAILED}
MAX_ROWS = 200


@dataclass(frozen=True)
class DeliveryRow:
    id: int
    recipient: str
    kind: str
    subject: str
    channel: str
    address: str
    status: str  # queued | sent | failed
    attempts: int
    reason: str | None
    created_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime | None
    instance_id: int | None = None
    registration_no: str | None = None


def masked(address: str | None) -> str:
    """``+62812****7890`` / ``a***@example.id``: enough for staff to recognise the address, not to copy it."""
    if not address:
        return "-"
    if "@" in address:
        name, _, domain = address.partition("@")
        return f"{name[:1]}***@{domain}"
    return f"{address[:6]}****{address[-4:]}" if len(address) > 10 else address


def _row(n: Notification, registration_no: str | None = None) -> DeliveryRow:
    channel = n.channel or "email"
    return DeliveryRow(n.id, n.recipient, n.kind, n.subject, channel,
                       masked(n.phone if channel in ("sms", "whatsapp") else n.email),
                       STATUSES.get(n.email_status or "", n.email_status or "-"), n.attempts or 0, n.last_error,
                       n.created_at, n.sent_at, n.next_attempt_at, n.instance_id, registration_no)


def for_application(session: Session, actor: Actor, instance: Instance) -> list[DeliveryRow]:
    """The application's notices that go out of the app, oldest first; staff only (``applications.get`` has
    checked they may see the file), nothing for anyone else."""
    if not actor.is_staff:
        return []
    rows = session.scalars(select(Notification).where(Notification.instance_id == instance.id,
                                                      Notification.email_status.is_not(None))
                           .order_by(Notification.id).limit(MAX_ROWS))
    return [_row(n, instance.registration_no) for n in rows]


def problems(session: Session, actor: Actor, *, include_retrying: bool = True,
             limit: int = MAX_ROWS) -> list[DeliveryRow]:
    """The outbox's failed deliveries (and, with ``include_retrying``, those waiting for another try after a
    failure), newest first, for administrators."""
    if ADMIN not in actor.roles:
        raise Forbidden(Text(N_("Only an administrator can see the outbox.")))
    wanted = Notification.email_status == FAILED
    if include_retrying:
        wanted = or_(wanted, (Notification.email_status == PENDING) & (Notification.attempts > 0))
    rows = session.execute(select(Notification, Instance.registration_no)
                           .outerjoin(Instance, Instance.id == Notification.instance_id)
                           .where(wanted).order_by(Notification.id.desc()).limit(limit))
    return [_row(n, number) for n, number in rows]
