"""Queue counts of the inbox: one grouped statement whose numbers equal the totals of the lists they open."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from engine.casework import applications, inbox, tasks
from engine.people.access import Actor
from engine.reporting import queue_counts
from engine.storage.models import Task
from tests.engine.conftest import APPLICANT, SUPERVISOR, VERIFIER, diagram, open_task_rows

OTHER_VERIFIER = Actor.of("veri2", ["officer"], ["verifier"], ["sulsel"])


def _service(process_id: str) -> str:
    return diagram(f"""
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="review"/>
    <bpmn:userTask id="review" name="Periksa {process_id}" camunda:candidateGroups="verifier"/>
    <bpmn:sequenceFlow id="f1" sourceRef="review" targetRef="e"/><bpmn:endEvent id="e"/>""", process_id=process_id)


@pytest.fixture
def open_tasks(db, ctx, deploy):
    """Seven open verification tasks over two services: claimed by vera, by veri2 or by nobody; some at risk or
    overdue."""
    deploy(_service("alpha"), name="alpha.bpmn")
    deploy(_service("beta"), name="beta.bpmn")
    ids = []
    for service in ("alpha", "alpha", "alpha", "alpha", "beta", "beta", "beta"):
        with db.transaction() as session:
            instance = applications.start(session, ctx, service=service, data={}, actor=APPLICANT)
            ids.append(open_task_rows(session, instance.id)[0].id)
    with db.transaction() as session:
        tasks.claim(session, ctx, ids[0], VERIFIER)
        tasks.claim(session, ctx, ids[4], VERIFIER)
        tasks.claim(session, ctx, ids[1], OTHER_VERIFIER)
        # At risk is not stored: an on-track step whose at-risk instant has passed (engine.sla.risk).
        session.execute(update(Task).where(Task.id == ids[0]).values(
            sla_state="on_track", at_risk_at=ctx.now() - timedelta(minutes=1)))
        for task_id in (ids[2], ids[5]):
            session.execute(update(Task).where(Task.id == task_id).values(sla_state="breached"))
    return ids


@pytest.mark.parametrize("actor", [VERIFIER, OTHER_VERIFIER, SUPERVISOR], ids=lambda a: a.username)
def test_each_queue_count_is_the_total_of_its_list(db, ctx, open_tasks, actor):
    def total(**filters) -> int:
        return inbox.search(session, actor, inbox.InboxQuery(limit=1, **filters), now=ctx.now()).total

    with db.transaction() as session:
        counted = queue_counts.counts(session, actor, ctx.now())
        assert counted.total == total() > 0
        assert counted.mine == total(assignee="me")
        assert counted.unassigned == total(assignee="none")
        assert counted.at_risk == total(sla="at_risk")
        assert counted.breached == total(sla="breached")
        assert counted.by_service == {key: total(service=key) for key in ("alpha", "beta") if total(service=key)}


def test_the_counts_of_one_officer(db, ctx, open_tasks):
    with db.transaction() as session:
        counted = queue_counts.counts(session, VERIFIER, ctx.now())
    # vera's inbox: her own two, the unassigned four, and the one veri2 holds (shown, claimed by a colleague).
    assert (counted.total, counted.mine, counted.unassigned) == (7, 2, 4)
    assert (counted.at_risk, counted.breached, counted.by_service) == (1, 2, {"alpha": 4, "beta": 3})


def test_nothing_open_counts_nothing(db, ctx, deploy):
    deploy(_service("alpha"), name="alpha.bpmn")
    with db.transaction() as session:
        assert queue_counts.counts(session, VERIFIER, ctx.now()) == queue_counts.QueueCounts()
