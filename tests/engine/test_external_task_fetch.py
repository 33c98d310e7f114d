"""What a worker's fetch gets, in which order, and which credentials still work — through the prepared statements of
``engine.integration.external_rows`` and ``clients.authenticate``, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from engine.casework import applications
from engine.integration import clients, external_tasks
from engine.integration.clients import Caller
from engine.integration.external_tasks import TopicRequest
from engine.storage.db import make_engine, make_session_factory, transaction
from engine.storage.models import Event, ExternalTask, Instance
from tests.engine.conftest import APPLICANT
from tests.engine.test_external_tasks import FORMS, NIK_CHECK, REGISTRY

NIK = "7371010101010001"


@pytest.fixture
def five_waiting(db, ctx, deploy, clock):
    """Five applications waiting for the NIK check, rearranged as five offices' files of different priority and
    age: (row id, office, priority) oldest first."""
    deploy(NIK_CHECK, FORMS)
    ids = []
    for _ in range(5):
        with db.transaction() as session:
            ids.append(applications.start(session, ctx, service="p", data={"nik": NIK, "phone": "0812"},
                                          actor=APPLICANT).id)
    layout = [("bone", 1), ("sinjai", 9), ("gowa", 9), ("bone", 5), ("sinjai", 1)]
    rows = []
    with db.transaction() as session:
        for age, (instance_id, (office, priority)) in enumerate(zip(ids, layout, strict=True)):
            row = session.query(ExternalTask).filter_by(instance_id=instance_id).one()
            session.execute(update(ExternalTask).where(ExternalTask.id == row.id).values(
                jurisdiction=office, priority=priority, available_at=ctx.now() - timedelta(minutes=10 - age)))
            rows.append((row.id, office, priority))
    return rows


def _fetch(db, ctx, caller, max_tasks=10, *, use_priority=False, business_key=None, worker="w1"):
    with db.transaction() as session:
        locked = external_tasks.fetch_and_lock(session, ctx, caller, worker, max_tasks,
                                               [TopicRequest("nik-check", 60_000, business_key=business_key)],
                                               use_priority=use_priority)
        return [item.row.id for item in locked]


def test_a_client_of_two_offices_gets_their_tasks_longest_waiting_first(db, ctx, five_waiting):
    two_offices = Caller("dukcapil-2", frozenset({"nik-check"}), frozenset(), frozenset({"bone", "sinjai"}))
    expected = [row_id for row_id, office, _ in five_waiting if office in ("bone", "sinjai")]
    assert _fetch(db, ctx, two_offices) == expected
    gowa = [row_id for row_id, office, _ in five_waiting if office == "gowa"]
    assert _fetch(db, ctx, REGISTRY, worker="w2") == gowa  # the rest is locked by w1


def test_with_use_priority_the_highest_priority_comes_first_then_the_longest_waiting(db, ctx, five_waiting):
    by_priority = [row_id for row_id, _, _ in sorted(five_waiting, key=lambda row: -row[2])]
    assert _fetch(db, ctx, REGISTRY, use_priority=True) == by_priority


def test_max_tasks_takes_the_first_ones_and_leaves_the_rest_fetchable(db, ctx, five_waiting):
    first_two = [row_id for row_id, _, _ in five_waiting[:2]]
    assert _fetch(db, ctx, REGISTRY, max_tasks=2) == first_two
    assert _fetch(db, ctx, REGISTRY, worker="w2") == [row_id for row_id, _, _ in five_waiting[2:]]


def test_a_fetch_by_business_key_gets_only_that_applications_task(db, ctx, five_waiting):
    row_id = five_waiting[3][0]
    with db.transaction() as session:
        instance_id = session.get(ExternalTask, row_id).instance_id
        number = session.get(Instance, instance_id).registration_no
    assert _fetch(db, ctx, REGISTRY, business_key=number) == [row_id]
    assert _fetch(db, ctx, REGISTRY, business_key=number, worker="w2") == []


def test_the_locked_rows_and_their_audit_are_written_as_the_fetch_answers(db, ctx, five_waiting):
    got = _fetch(db, ctx, REGISTRY, max_tasks=3)
    with db.transaction() as session:
        for row_id in got:
            row = session.get(ExternalTask, row_id)
            assert (row.worker_id, row.client, row.lock_expires_at) == ("w1", "dukcapil",
                                                                        ctx.now() + timedelta(seconds=60))
            assert row.available_at == row.lock_expires_at
        audited = [event.data["external_task"] for event in session.query(Event).filter_by(
            kind="external_task_locked")]
    assert sorted(audited) == sorted(got)


def test_a_session_holding_a_row_sees_it_locked_after_its_own_fetch(db, ctx, five_waiting):
    first = five_waiting[0][0]
    with db.transaction() as session:
        held = session.get(ExternalTask, first)
        assert held.worker_id is None
        (item, *_) = external_tasks.fetch_and_lock(session, ctx, REGISTRY, "w1", 1, [TopicRequest("nik-check", 1000)])
        assert item.row.id == first and held.worker_id == "w1"


def test_a_rotated_or_revoked_secret_stops_working_at_once_in_every_server_process(db, ctx):
    """Sign-ins are not cached in a process: a second process (its own engine and pool) refuses the old secret as
    soon as an administrator's change is committed elsewhere."""
    other_process = make_engine(db.url)
    elsewhere = make_session_factory(other_process)
    try:
        with db.transaction() as session:
            _, secret = clients.add(session, ctx, "dukcapil", topics=["nik-check"], actor="admin")
        with transaction(elsewhere) as session:
            assert clients.authenticate(session, secret, "dukcapil").name == "dukcapil"
        with db.transaction() as session:
            _, new_secret = clients.rotate(session, ctx, "dukcapil", actor="admin")
        with transaction(elsewhere) as session, pytest.raises(clients.Unauthenticated):
            clients.authenticate(session, secret, "dukcapil")
        with transaction(elsewhere) as session:
            assert clients.authenticate(session, new_secret).topics == {"nik-check"}
        with db.transaction() as session:
            clients.revoke(session, ctx, "dukcapil", actor="admin")
        with transaction(elsewhere) as session, pytest.raises(clients.Unauthenticated):
            clients.authenticate(session, new_secret, "dukcapil")
    finally:
        other_process.dispose()


def test_a_name_that_is_not_ascii_is_refused_like_any_wrong_name(db, ctx):
    with db.transaction() as session:
        _, secret = clients.add(session, ctx, "dukcapil", topics=["nik-check"], actor="admin")
    with db.transaction() as session, pytest.raises(clients.Unauthenticated):
        clients.authenticate(session, secret, "dükcapil")
