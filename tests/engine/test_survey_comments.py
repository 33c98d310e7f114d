"""Survey comments for managers: newest first, by service, period and rating, and a supervisor reads only those of
their offices."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.errors import Forbidden, InvalidInput
from engine.people.access import Actor
from engine.reporting import satisfaction, survey_comments
from engine.reporting.satisfaction import SurveyFilter
from engine.storage.models import Instance
from tests.engine.conftest import APPLICANT
from tests.engine.test_reports import MANAGER, history  # noqa: F401 (the fixture)


@pytest.fixture
def answered(db, ctx, clock, history):  # noqa: F811 (the fixture above)
    with db.transaction() as session:
        done = [i for i in session.query(Instance).filter_by(status="completed").order_by(Instance.id)]
        for instance, (value, comment) in zip(done, ((4, "Cepat"), (2, ""), (1, "Syarat berubah-ubah")), strict=True):
            clock.advance(timedelta(minutes=5))
            answers = dict.fromkeys(satisfaction.CODES, value)
            answers["time"] = 2 if value == 1 else value  # a mean of 1.11: still rated 1
            satisfaction.submit(session, ctx, instance, APPLICANT, answers, comment)
    return done


def _comments(db, actor=MANAGER, **filters):
    with db.transaction() as session:
        return survey_comments.comments(session, actor, SurveyFilter(**filters))


def test_comments_newest_first_with_their_rating_and_file_and_empty_ones_left_out(db, answered):
    said = _comments(db)
    assert [(c.text, c.rating) for c in said] == [("Syarat berubah-ubah", 1), ("Cepat", 4)]
    assert said[0].registration_no == answered[2].registration_no and said[0].mean == pytest.approx(10 / 9)


def test_rating_service_and_period_filters(db, ctx, answered):
    assert [c.text for c in _comments(db, rating=1)] == ["Syarat berubah-ubah"]
    assert _comments(db, rating=3) == []
    assert _comments(db, service="fishing_vessel_permit") == []
    assert len(_comments(db, date_to=ctx.now() - timedelta(hours=1))) == 0
    assert len(_comments(db, date_from=ctx.now() - timedelta(hours=1))) == 2
    with pytest.raises(InvalidInput):
        _comments(db, rating=5)


def test_a_supervisor_reads_only_their_offices_comments_and_an_officer_none(db, answered):
    assert _comments(db, Actor.of("supri", ["supervisor"], [], ["bone"])) == []
    assert len(_comments(db, Actor.of("supri", ["supervisor"], [], ["sulsel"]))) == 2
    with pytest.raises(Forbidden):
        _comments(db, Actor.of("vera", ["officer"], ["verifier"], ["sulsel"]))
