"""An incident on the application page: staff see the stopped step, its error and details; a supervisor of the office
retries it from there (or resumes the application, which retries it too), and the history keeps who and why."""

from __future__ import annotations

import pytest

from engine.bpmn.compiler import SourceFile
from engine.casework import applications
from engine.casework.external_outbox import INCIDENT, OPEN
from engine.forms.schemas import FormSource
from engine.integration import external_tasks
from engine.integration.clients import Caller
from engine.integration.external_tasks import TopicRequest
from engine.services import definitions
from engine.storage.models import Event, ExternalTask, Instance
from tests.engine.conftest import APPLICANT, form_uploads
from tests.engine.test_external_tasks import FORMS, NIK_CHECK
from tests.web.conftest import page, text_of

pytestmark = pytest.mark.usefixtures("people")

REGISTRY = Caller("dukcapil", frozenset({"nik-check"}), frozenset(), frozenset())


@pytest.fixture
def stopped(db, ctx) -> tuple[int, str]:
    """An application whose NIK check failed with no retries left: (application id, external task id)."""
    with db.transaction() as session:
        definitions.deploy(session, ctx, SourceFile("nik.bpmn", NIK_CHECK.encode()), [],
                           FormSource(form_uploads(FORMS), []), actor="analis")
    with db.transaction() as session:
        application_id = applications.start(session, ctx, service="p", data={"nik": "7371010101010001"},
                                            actor=APPLICANT).id
    task_id = _fetch(db, ctx)
    with db.transaction() as session:
        external_tasks.handle_failure(session, ctx, REGISTRY, task_id, "w1", error_message="Dukcapil tidak menjawab",
                                      error_details="ConnectTimeout: 10.0.0.5:443", retries=0)
    return application_id, task_id


def _fetch(db, ctx) -> str | None:
    with db.transaction() as session:
        locked = external_tasks.fetch_and_lock(session, ctx, REGISTRY, "w1", 5, [TopicRequest("nik-check", 60_000)])
        return locked[0].row.id if locked else None


def _state(db, application_id: int, task_id: str) -> tuple[str, str, int | None]:
    with db.transaction() as session:
        row = session.get(ExternalTask, task_id)
        return session.get(Instance, application_id).status, row.state, row.retries


def test_staff_see_the_incident_with_its_step_error_and_details_only_a_supervisor_gets_the_button(visitor, stopped):
    application_id, task_id = stopped
    officer = page(visitor("vera").get(f"/applications/{application_id}"))
    (incident,) = officer.cssselect(f"#incident-{task_id}")
    text = " ".join(incident.text_content().split())
    assert "Cek NIK" in text and "nik-check" in text and "Dukcapil tidak menjawab" in text
    assert incident.cssselect("pre.incident-details")[0].text_content() == "ConnectTimeout: 10.0.0.5:443"
    assert not incident.cssselect("form")
    supervisor = page(visitor("supri").get(f"/applications/{application_id}"))
    (form,) = supervisor.cssselect(f"#incident-{task_id} form")
    assert form.get("action") == f"/applications/{application_id}/incidents/{task_id}/retry"
    assert form.cssselect("input[name=_csrf]") and form.cssselect("input[name=retries]")[0].get("value") == "1"
    assert page(visitor("admin").get(f"/applications/{application_id}")).cssselect(f"#incident-{task_id} form")
    assert not page(visitor("andi").get(f"/applications/{application_id}")).cssselect("#incidents")


def test_a_supervisor_retries_it_from_the_page_and_the_worker_gets_it_again(db, ctx, visitor, stopped):
    application_id, task_id = stopped
    supri = visitor("supri")
    response = supri.post(f"/applications/{application_id}/incidents/{task_id}/retry",
                          {"retries": "3", "note": "Dukcapil sudah menyala"})
    assert response.status_code == 302
    assert _state(db, application_id, task_id) == ("running", OPEN, 3)
    after = supri.get(f"/applications/{application_id}")
    text = text_of(after)
    assert not page(after).cssselect("#incidents") and not page(after).cssselect("#stopped")
    assert "Insiden diulang" in text and "Dukcapil sudah menyala" in text
    with db.transaction() as session:
        (event,) = session.query(Event).filter_by(kind="incident_retried").all()
        assert (event.actor, event.data["retries"], event.data["note"]) == ("supri", 3, "Dukcapil sudah menyala")
    assert _fetch(db, ctx) == task_id


def test_an_officer_cannot_retry_by_posting_nor_can_a_page_without_its_csrf_token(db, visitor, stopped):
    application_id, task_id = stopped
    vera = visitor("vera")
    assert vera.post(f"/applications/{application_id}/incidents/{task_id}/retry", {}).status_code == 403
    supri = visitor("supri")
    refused = supri.post(f"/applications/{application_id}/incidents/{task_id}/retry", {}, csrf=False)
    assert refused.status_code in (400, 403)
    assert _state(db, application_id, task_id) == ("error", INCIDENT, 0)


def test_a_retry_of_an_incident_already_retried_says_so(db, visitor, stopped):
    application_id, task_id = stopped
    supri = visitor("supri")
    supri.post(f"/applications/{application_id}/incidents/{task_id}/retry", {})
    again = supri.post(f"/applications/{application_id}/incidents/{task_id}/retry", {}, follow_redirects=True)
    assert f"External task {task_id} has no incident" in text_of(again)
    bad = supri.post(f"/applications/{application_id}/incidents/{task_id}/retry", {"retries": "0"},
                     follow_redirects=True)
    assert "bilangan bulat dari 1 sampai 100" in text_of(bad)


def test_resuming_the_application_sends_the_incident_back_to_its_worker(db, ctx, visitor, stopped):
    application_id, task_id = stopped
    supri = visitor("supri")
    assert "Melanjutkan mengirim" in text_of(supri.get(f"/applications/{application_id}"))
    assert supri.post(f"/applications/{application_id}/resume", {"note": "dicoba lagi"}).status_code == 302
    assert _state(db, application_id, task_id) == ("running", OPEN, 1)
    assert _fetch(db, ctx) == task_id
    with db.transaction() as session:
        (event,) = session.query(Event).filter_by(kind="incident_retried").all()
        assert (event.actor, event.data["via"]) == ("supri", "resume")
