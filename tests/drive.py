"""Driving applications through the engine in SLA, report and scheduler tests: start, step, move the clock, pass."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from engine.casework import applications, escalation, tasks
from engine.people import users
from engine.people.access import Actor
from engine.storage.models import Event, Instance, Notification, Task
from tests.engine.conftest import APPLICANT

WITA = ZoneInfo("Asia/Makassar")

# Staff accounts with e-mail addresses, as ``users.create`` takes them.
STAFF = {
    "vera": (["officer"], ["verifier"], ["sulsel"]),
    "vivi": (["officer"], ["verifier"], ["sulsel"]),
    "kadis": (["officer"], ["head_of_office"], ["sulsel"]),
    "kabid": (["officer"], ["kabid"], ["sulsel"]),
    "supri": (["supervisor"], [], ["sulsel"]),
    "bona": (["officer"], ["verifier"], ["bone"]),
    "sinta": (["officer"], ["regency_fisheries"], ["sinjai"]),
    "rudi": (["officer"], ["fisheries_reviewer"], ["sulsel"]),
    "boss": (["manager"], [], ["*"]),
    "andi": (["applicant"], [], []),
}


def wita(*args: int) -> datetime:
    return datetime(*args, tzinfo=WITA)


def create_staff(db, ctx, names=None) -> None:
    with db.transaction() as session:
        for name in names or STAFF:
            roles, groups, offices = STAFF[name]
            users.create(session, username=name, password="rahasia-123", roles=roles, groups=groups,
                         jurisdictions=offices, full_name=name.title(), email=f"{name}@dpmptsp.test", at=ctx.now())


def start(db, ctx, service: str, data: dict | None = None, actor: Actor = APPLICANT) -> int:
    with db.transaction() as session:
        return applications.start(session, ctx, service=service, data=data or {}, actor=actor).id


def open_rows(db, instance_id: int) -> list[Task]:
    with db.transaction() as session:
        return list(session.query(Task).filter(Task.instance_id == instance_id, Task.state.in_(("ready", "claimed")))
                    .order_by(Task.created_at, Task.element_id))


def row(db, instance_id: int, element_id: str) -> Task:
    """The latest row of ``element_id`` in the application (open or closed)."""
    with db.transaction() as session:
        return (session.query(Task).filter_by(instance_id=instance_id, element_id=element_id)
                .order_by(Task.created_at.desc(), Task.id).first())


def step(db, ctx, instance_id: int, element_id: str, actor: Actor, data: dict | None = None,
         decision: str | None = None) -> list[str]:
    """Complete the open task ``element_id``; return the elements open afterwards."""
    (task,) = [t for t in open_rows(db, instance_id) if t.element_id == element_id]
    with db.transaction() as session:
        tasks.complete(session, ctx, task.id, actor, data or {}, decision=decision)
    return [t.element_id for t in open_rows(db, instance_id)]


def instance(db, instance_id: int) -> Instance:
    with db.transaction() as session:
        return session.get(Instance, instance_id)


def sla_pass(db, ctx, batch: int = 1000) -> escalation.PassResult:
    total = escalation.PassResult()
    while True:
        with db.transaction() as session:
            result = escalation.run_pass(session, ctx, batch=batch)
        total.add(result)
        if not result.more:
            return total


def events(db, instance_id: int | None = None, kind: str | None = None) -> list[Event]:
    with db.transaction() as session:
        query = session.query(Event)
        if instance_id is not None:
            query = query.filter(Event.instance_id == instance_id)
        if kind is not None:
            query = query.filter(Event.kind == kind)
        return query.order_by(Event.id).all()


def notifications(db, kind: str | None = None) -> list[Notification]:
    with db.transaction() as session:
        query = session.query(Notification)
        if kind is not None:
            query = query.filter(Notification.kind == kind)
        return query.order_by(Notification.id).all()
