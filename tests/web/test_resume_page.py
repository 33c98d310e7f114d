"""The application page of a file stopped by an error: staff see where and why; a supervisor resumes it there."""

from __future__ import annotations

import pytest

from engine.bpmn.compiler import SourceFile
from engine.casework import applications, tasks
from engine.errors import ProcessError
from engine.forms.schemas import FormSource
from engine.services import definitions
from tests.engine.conftest import APPLICANT, REVIEW_FORMS, REVIEW_THEN_DIVIDE, VERIFIER, form_uploads, open_task_rows
from tests.web.conftest import page, text_of

pytestmark = pytest.mark.usefixtures("people")


@pytest.fixture
def stopped(db, ctx) -> int:
    """An application whose verification failed on the officer's data (division by zero)."""
    with db.transaction() as session:
        definitions.deploy(session, ctx, SourceFile("p.bpmn", REVIEW_THEN_DIVIDE.encode()), [],
                           FormSource(form_uploads(REVIEW_FORMS), []),
                           actor="analis")
    with db.transaction() as session:
        application_id = applications.start(session, ctx, service="p", data={"base_fee": 100}, actor=APPLICANT).id
    with db.transaction() as session:
        (row,) = open_task_rows(session, application_id)
        task_id = row.id
    with pytest.raises(ProcessError), db.transaction() as session:
        tasks.complete(session, ctx, task_id, VERIFIER, {"divisor": 0})
    return application_id


def test_staff_see_where_and_why_it_stopped_and_only_a_supervisor_gets_the_button(visitor, stopped):
    officer = page(visitor("vera").get(f"/applications/{stopped}"))
    (notice,) = officer.cssselect("#stopped")
    assert "Terhenti karena galat pada tahap compute:" in notice.text_content()
    assert "division by zero" in notice.text_content()
    assert not notice.cssselect("form") and "Administrator atau supervisor kantor" in notice.text_content()
    supervisor = page(visitor("supri").get(f"/applications/{stopped}"))
    assert supervisor.cssselect("#stopped form button")[0].text_content() == "Lanjutkan permohonan"
    assert not page(visitor("andi").get(f"/applications/{stopped}")).cssselect("#stopped")  # not for applicants


def test_a_supervisor_resumes_it_from_the_page_and_the_history_keeps_the_note(visitor, stopped):
    supri = visitor("supri")
    response = supri.post(f"/applications/{stopped}/resume", {"note": "Pembagi dikoreksi"})
    assert response.status_code == 302
    after = supri.get(f"/applications/{stopped}")
    text = text_of(after)
    assert "Permohonan telah dilanjutkan." in text and not page(after).cssselect("#stopped")
    assert "Permohonan dilanjutkan" in text and "Pembagi dikoreksi" in text
    assert "division by zero" in text  # the error stays in the history
    stages = [s.text_content() for s in page(visitor("andi").get(f"/applications/{stopped}")).cssselect(
        ".timeline .stage-head strong")]
    assert stages[-3:-1] == ["Terkendala: kantor telah diberi tahu", "Dilanjutkan kembali oleh kantor"]


def test_an_officer_cannot_resume_by_posting(visitor, stopped):
    vera = visitor("vera")
    response = vera.post(f"/applications/{stopped}/resume", {"note": "coba"})
    assert response.status_code == 403
    assert page(vera.get(f"/applications/{stopped}")).cssselect("#stopped")
