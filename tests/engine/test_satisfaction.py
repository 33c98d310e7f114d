"""The satisfaction survey (SKM): the applicant of a finished file answers nine items once; the index per service
is the mean of the item means × 25, graded as Permenpan RB 14/2017 grades it."""

from __future__ import annotations

import pytest

from engine.errors import Conflict, Forbidden, InvalidData
from engine.people.access import Actor
from engine.reporting import satisfaction
from engine.storage.models import Event, Instance
from tests import samples
from tests.drive import start, step
from tests.engine.conftest import APPLICANT, HEAD, OTHER_APPLICANT, VERIFIER

MANAGER = Actor.of("boss", ["manager"], [], ["*"])
ALL_FOURS = dict.fromkeys(satisfaction.CODES, 4)


def _finished(db, ctx, decision="Setujui") -> int:
    iid = start(db, ctx, "research_permit", samples.research_application())
    step(db, ctx, iid, "Task_Verify", VERIFIER, {**samples.VERIFIED, "note": "Lengkap"}, decision)
    if decision == "Setujui":
        step(db, ctx, iid, "Task_Sign", HEAD, samples.SIGNATURE, samples.SIGN)
    return iid


def _submit(db, ctx, iid, answers, actor=APPLICANT, comment=""):
    with db.transaction() as session:
        return satisfaction.submit(session, ctx, session.get(Instance, iid), actor, answers, comment)


@pytest.fixture(autouse=True)
def _deployed(deploy_service):
    deploy_service("research_permit")


def test_the_index_is_the_mean_of_item_means_times_25_with_its_grade(db, ctx):
    first, second = _finished(db, ctx), _finished(db, ctx, "Tolak")
    _submit(db, ctx, first, ALL_FOURS, comment="Cepat sekali")
    _submit(db, ctx, second, {**dict.fromkeys(satisfaction.CODES, 3), "time": 1})
    with db.transaction() as session:
        overall, per_service = satisfaction.indexes(session, MANAGER)
    # item means: 3.5 for eight items, 2.5 for time → mean 3.3889 → × 25 = 84.72 → B
    assert overall.responses == 2 and overall.item_means["time"] == 2.5 and overall.item_means["cost"] == 3.5
    assert (overall.ikm, overall.grade) == (84.72, "B")
    assert [(i.service, i.responses, i.ikm) for i in per_service] == [("research_permit", 2, 84.72)]
    with db.transaction() as session:
        (event,) = session.query(Event).filter_by(kind="survey_submitted", instance_id=first).all()
        assert event.actor == "andi" and event.data["answers"] == ALL_FOURS


@pytest.mark.parametrize(("ikm", "grade"), [(100, "A"), (88.31, "A"), (88.30, "B"), (76.61, "B"), (76.60, "C"),
                                            (65.0, "C"), (64.99, "D"), (25.0, "D")])
def test_grades_follow_the_regulations_intervals(ikm, grade):
    assert satisfaction.grade_of(ikm) == grade


def test_only_the_applicant_of_a_finished_file_answers_once_every_item_1_to_4(db, ctx):
    running = start(db, ctx, "research_permit", samples.research_application())
    with pytest.raises(Forbidden):
        _submit(db, ctx, running, ALL_FOURS)
    finished = _finished(db, ctx)
    with pytest.raises(Forbidden):
        _submit(db, ctx, finished, ALL_FOURS, actor=OTHER_APPLICANT)
    with pytest.raises(InvalidData) as refused:
        _submit(db, ctx, finished, {**ALL_FOURS, "time": 5, "cost": None} | {"requirements": "4"})
    assert sorted(refused.value.details) == ["cost", "requirements", "time"]
    _submit(db, ctx, finished, ALL_FOURS)
    with pytest.raises(Conflict):
        _submit(db, ctx, finished, ALL_FOURS)


def test_the_index_is_for_managers_and_counts_only_their_offices(db, ctx):
    _submit(db, ctx, _finished(db, ctx), ALL_FOURS)
    with db.transaction() as session, pytest.raises(Forbidden):
        satisfaction.indexes(session, VERIFIER)
    elsewhere = Actor.of("bima", ["manager"], [], ["bone"])
    with db.transaction() as session:
        overall, per_service = satisfaction.indexes(session, elsewhere)
    assert (overall.responses, overall.ikm, per_service) == (0, None, [])
