"""The ``waiting_event`` table: what each running application waits for from outside — a message or a signal.

A projection like the task table: the step that leaves a message catch event, a receive task, a message boundary
event, an event-based gateway's message branch or a signal catch waiting writes one row per waiting element, and
the step that takes the application past it deletes the row (``engine.casework.waiting``). A correlation is then
one indexed lookup by (kind, name, business key) — the registration number — and never deserializes a workflow.
``variables`` keeps the plain (text, number, yes/no) process variables of the waiting task, which cannot change
while it waits, so a message may also be correlated by them (Camunda's ``correlationKeys``).

Kept in its own module (imported by the package, so ``Base.metadata`` always holds it) to stay out of the way of
``models.py``, which many changes touch.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.storage.models import Base

MESSAGE, SIGNAL = "message", "signal"


class WaitingEvent(Base):
    """One element of a running application waiting for a message or a signal."""

    __tablename__ = "waiting_event"
    __table_args__ = (
        Index("ix_waiting_event_lookup", "kind", "name", "business_key"),
        Index("ix_waiting_event_instance", "instance_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id"))
    task_id: Mapped[str] = mapped_column(String(36))  # the SpiffWorkflow task that waits (a gateway for its branch)
    element_id: Mapped[str] = mapped_column(String(200))  # the element that catches (the branch's event)
    # start | catch | receive | boundary | boundary_non_interrupting | gateway
    element_kind: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(10))  # message | signal
    name: Mapped[str] = mapped_column(String(300))
    business_key: Mapped[str] = mapped_column(String(200))  # the application's registration number
    service_key: Mapped[str] = mapped_column(String(200))
    jurisdiction: Mapped[str] = mapped_column(String(100))
    variables: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
