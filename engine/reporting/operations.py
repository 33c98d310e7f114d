"""How the installation is doing, for the operators' metrics (``GET /metrics``): work waiting and the scheduler.

Each figure is one query on a narrow index — open tasks (``ix_task_inbox_open``), external tasks waiting for a worker
(``ix_external_task_fetch``), e-mail still to send (``ix_notification_email_due``) and the scheduler's heartbeat rows —
so a scrape every few seconds costs the database next to nothing, whatever the history holds. The web layer
caches the answer for a few seconds on top (several Prometheus servers, or a busy dashboard, share one read).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.sla import risk
from engine.storage import heartbeat
from engine.storage.models import ExternalTask, Notification, Task


@dataclass(frozen=True)
class Operations:
    open_tasks_by_sla: dict[str, int] = field(default_factory=dict)  # on_track, at_risk, breached, none
    external_tasks_open: int = 0
    mail_pending: int = 0
    scheduler_ages: dict[str, float] = field(default_factory=dict)  # job -> seconds since any scheduler ran it


def read(session: Session, now: datetime) -> Operations:
    """The figures now."""
    sla_state = risk.task_state(now)  # at risk is read off the clock (engine.sla.risk), not stored
    by_sla = {state or "none": count for state, count in session.execute(
        select(sla_state, func.count()).where(Task.state.in_(("ready", "claimed"))).group_by(sla_state))}
    external = session.scalar(select(func.count()).select_from(ExternalTask).where(ExternalTask.state == "open"))
    mail = session.scalar(select(func.count()).select_from(Notification)
                          .where(Notification.email_status == "pending"))
    ages = {beat.job: beat.age_seconds for beat in heartbeat.latest(session, now)}
    return Operations(by_sla, external or 0, mail or 0, ages)
