"""The satisfaction survey through the pages: the applicant of a finished file answers once; managers read the
index per service."""

from __future__ import annotations

import pytest

from engine.reporting import satisfaction
from engine.storage.models import SurveyResponse
from tests.web.conftest import apply, page
from tests.web.studio_support import studio_people  # noqa: F401 - fixture
from tests.web.test_permits import issue as _issue

pytestmark = pytest.mark.usefixtures("deployed", "studio_people")


def _answers(value: int = 4) -> dict:
    return dict.fromkeys(satisfaction.CODES, str(value))


def test_the_applicant_of_a_finished_file_answers_the_survey_once(visitor, db):
    application_id = _issue(visitor, db)
    andi = visitor("andi")
    tree = page(andi.get(f"/applications/{application_id}"))
    assert len(tree.cssselect("#survey fieldset.survey-item")) == 9
    assert "Bagaimana pelayanan kami?" in tree.cssselect("#survey h2")[0].text_content()
    incomplete = andi.post(f"/applications/{application_id}/survey", {**_answers(), "time": ""})
    assert incomplete.status_code == 422
    andi.post(f"/applications/{application_id}/survey", {**_answers(4), "time": "2", "comment": "Cepat"})
    tree = page(andi.get(f"/applications/{application_id}"))
    assert "Terima kasih!" in tree.text_content() and not tree.cssselect("#survey form")
    andi.post(f"/applications/{application_id}/survey", _answers(1))  # a second answer changes nothing
    with db.transaction() as session:
        (response,) = session.query(SurveyResponse).all()
        assert response.answers["time"] == 2 and response.answers["cost"] == 4 and response.comment == "Cepat"


def test_an_incomplete_survey_comes_back_with_the_answers_kept_and_the_missing_item_marked(visitor, db):
    application_id = _issue(visitor, db)
    andi = visitor("andi")
    chosen = {**_answers(3), "time": "", "cost": "", "comment": "Petugas ramah"}
    response = andi.post(f"/applications/{application_id}/survey", chosen)
    assert response.status_code == 422
    tree = page(response)
    (summary,) = tree.cssselect("#survey #error-summary")  # the page's script moves the focus there
    assert [a.get("href") for a in summary.cssselect("a")] == ["#survey-time-1", "#survey-cost-1"]
    assert "Waktu penyelesaian: Pilih 1, 2, 3 atau 4." in summary.text_content()
    (time_item,) = [f for f in tree.cssselect("#survey fieldset") if f.cssselect("input[name=time]")]
    assert time_item.get("aria-describedby") == "survey-time-error"
    assert "Pilih 1, 2, 3 atau 4." in tree.get_element_by_id("survey-time-error").text_content()
    assert tree.cssselect("input[name=requirements][value='3'][checked]"), "the answers given are kept"
    assert not tree.cssselect("input[name=time][checked]")
    assert tree.get_element_by_id("survey-comment").text_content() == "Petugas ramah"
    assert tree.cssselect("#survey form[novalidate]"), "the browser's own (English) bubbles stay out of the way"
    with db.transaction() as session:
        assert session.query(SurveyResponse).count() == 0
    answered = andi.post(f"/applications/{application_id}/survey", {**chosen, "time": "4", "cost": "4"})
    assert answered.status_code == 302


def test_nobody_else_answers_and_a_running_file_asks_nothing(visitor, db):
    application_id = _issue(visitor, db)
    assert visitor("budi").post(f"/applications/{application_id}/survey", _answers()).status_code == 404
    assert not page(visitor("vera").get(f"/applications/{application_id}")).cssselect("#survey")
    running = apply(visitor("andi"))
    assert not page(visitor("andi").get(f"/applications/{running}")).cssselect("#survey")


def test_the_manager_reads_the_index_per_service(visitor, db):
    application_id = _issue(visitor, db)
    visitor("andi").post(f"/applications/{application_id}/survey", {**_answers(4), "time": "3"})
    tree = page(visitor("mira").get("/manager/satisfaction"))
    (row,) = tree.cssselect("tr[data-service=research_permit]")
    # eight items at 4 and one at 3: mean 3.8889 × 25 = 97.22, grade A
    # in the page's language: a decimal comma in Indonesian, a point in English
    assert row.cssselect(".ikm")[0].text_content() == "97,22" and row.cssselect(".grade")[0].text_content() == "A"
    english = page(visitor("mira").english().get("/manager/satisfaction"))
    assert english.cssselect("tr[data-service=research_permit] .ikm")[0].text_content() == "97.22"
    assert "Izin Penelitian" in row.text_content()
    assert visitor("andi").get("/manager/satisfaction").status_code in (302, 403)


def test_the_manager_reads_comments_filtered_by_service_period_and_rating(visitor, db):
    kind, harsh = _issue(visitor, db), _issue(visitor, db)
    andi = visitor("andi")
    andi.post(f"/applications/{kind}/survey", {**_answers(4), "comment": "Petugas ramah dan cepat"})
    andi.post(f"/applications/{harsh}/survey",
              {**_answers(1), "requirements": "2", "comment": "Syarat <b>terlalu</b> banyak"})
    mira = visitor("mira")
    comments = page(mira.get("/manager/satisfaction")).cssselect(".survey-comment")
    assert sorted(c.get("data-rating") for c in comments) == ["1", "4"]
    low = page(mira.get("/manager/satisfaction?rating=1")).cssselect(".survey-comment")
    assert len(low) == 1 and low[0].cssselect(".comment-text")[0].text_content() == "Syarat <b>terlalu</b> banyak"
    assert "rata-rata 1,11" in low[0].cssselect(".comment-rating")[0].text_content()
    with db.transaction() as session:
        month = session.query(SurveyResponse).first().submitted_at.strftime("%Y-%m")
    assert len(page(mira.get(f"/manager/satisfaction?month={month}&service=research_permit"))
               .cssselect(".survey-comment")) == 2
    other = page(mira.get("/manager/satisfaction?month=2020-01"))
    assert not other.cssselect(".survey-comment") and not other.cssselect("tr[data-service]")
    assert page(mira.get("/manager/satisfaction?service=fishing_vessel_permit")).cssselect(".survey-comment") == []
    wrong = mira.get("/manager/satisfaction?month=2026-13&rating=9")
    assert wrong.status_code == 200 and len(page(wrong).cssselect(".survey-comment")) == 2
