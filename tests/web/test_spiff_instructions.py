"""The instructions a spiff-arena model gives a step (``spiffworkflow:instructionsForEndUser``) are on its task page
as Markdown, filled from the file's data — and whatever HTML the text or the data holds is shown, never run."""

from __future__ import annotations

import pytest

from engine.casework import applications, tasks
from engine.people.access import Actor
from engine.services import definitions, model_folder
from tests.engine.conftest import open_task_rows
from tests.engine.test_spiff_models import REKLAME
from tests.web.conftest import page

pytestmark = pytest.mark.usefixtures("people")
ANDI = Actor.of("andi", ["applicant"], full_name="Andi Pratama")
VERA = Actor.of("vera", ["officer"], ["verifier"], ["sulsel"])


@pytest.fixture
def verification_task(db, ctx) -> tuple[str, str]:
    """The applicant's first step, then (after it) the verifier's step; their task ids."""
    folder = model_folder.from_directory(REKLAME)
    with db.transaction() as session:
        definitions.deploy(session, ctx, folder.main, folder.supporting, folder.forms, actor="analis")
        instance = applications.start(session, ctx, service="izin_reklame", data={}, actor=ANDI)
        (apply,) = open_task_rows(session, instance.id)
    apply_page = apply.id
    with db.transaction() as session:
        tasks.complete(session, ctx, apply.id, ANDI, {"lokasi": "Jl. <img src=x onerror=alert(1)> *1*",
                                                      "jenis": "papan", "luas": 10})
    with db.transaction() as session:
        (verify,) = open_task_rows(session, instance.id)
    return apply_page, verify.id


def test_the_applicants_step_shows_its_instructions(visitor, verification_task):
    apply_id, _ = verification_task
    andi = visitor("andi")
    section = page(andi.get(f"/tasks/{apply_id}")).cssselect("section.instructions")
    # The step is done by now; its page still says what it asked.
    assert [" ".join(s.text_content().split()) for s in section] == ["Isi lokasi, jenis dan luas reklame."]


def test_the_officers_step_shows_markdown_filled_from_the_data_and_runs_no_html(visitor, verification_task):
    _, verify_id = verification_task
    response = visitor("vera").get(f"/tasks/{verify_id}")
    assert response.status_code == 200
    (section,) = page(response).cssselect("section.instructions")
    assert section.cssselect("h2")[0].text_content() == "Periksa lokasi"
    assert section.cssselect("strong")[0].text_content() == "papan"
    text = " ".join(section.text_content().split())
    assert "seluas 10 m2" in text and "Retribusi: Rp 150000." in text
    # The typed address stays text, its asterisks included; the analyst's <script> and javascript: link are text.
    assert "Jl. <img src=x onerror=alert(1)> *1*" in text
    assert '<script>alert("x")</script>' in text
    assert not section.cssselect("script, img, a, [onerror]")
