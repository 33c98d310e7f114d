"""Whatever a diagram holds, deploying it answers 201 or 422 with located problems — the same problems lint gives."""

from __future__ import annotations

import io
import logging

import pytest

from tests.api.conftest import apply, complete, open_task
from tests.engine.conftest import diagram

MESSAGE = '<bpmn:message id="paid" name="paid"/>\n'
SCRIPT = '<bpmn:scriptTask id="step" name="Hitung"><bpmn:script>fee = 0</bpmn:script></bpmn:scriptTask>'


def _service(step: str, process_id: str = "uji") -> str:
    """A service whose file goes through ``step`` (element id ``step``) and then to a verifier."""
    return diagram(f"""
    <bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="step"/>
    {step}
    <bpmn:sequenceFlow id="f1" sourceRef="step" targetRef="review"/>
    <bpmn:userTask id="review" name="Periksa" camunda:candidateGroups="verifier"/>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="done"/><bpmn:endEvent id="done" name="Selesai"/>""",
                   process_id=process_id, extra=MESSAGE)


# Each of these passed lint and then crashed the deploy with a 500 ("Type is not JSON serializable: …").
CRASHED_BEFORE = {
    "service task": '<bpmn:serviceTask id="step" name="Cek NIK"/>',
    "send task": '<bpmn:sendTask id="step" name="Kirim" messageRef="paid"/>',
    "receive task": '<bpmn:receiveTask id="step" name="Terima" messageRef="paid"/>',
    "multi-instance script task": (
        '<bpmn:scriptTask id="step" name="Hitung"><bpmn:multiInstanceLoopCharacteristics camunda:collection="items" '
        'camunda:elementVariable="item"/><bpmn:script>total = item</bpmn:script></bpmn:scriptTask>'),
}


def _post(client, headers, path: str, xml: str):
    return client.post(path, headers=headers, data={"bpmn": [(io.BytesIO(xml.encode()), "uji.bpmn")]},
                       content_type="multipart/form-data")


@pytest.mark.parametrize("kind", CRASHED_BEFORE)
def test_a_diagram_that_lints_clean_deploys(client, people, kind):
    analyst = people.headers("analis")
    xml = _service(CRASHED_BEFORE[kind])
    assert _post(client, analyst, "/api/v1/lint", xml).get_json()["ok"] is True
    response = _post(client, analyst, "/api/v1/definitions?publish=true", xml)
    assert response.status_code == 201, response.get_json()
    warned = {w["code"] for w in response.get_json()["warnings"]}
    assert ("service_task_no_worker" in warned) == (kind == "service task")  # it would wait for nobody


def test_a_flow_to_a_missing_element_is_refused_in_our_words_by_deploy_and_lint_alike(client, people):
    analyst = people.headers("analis")
    xml = _service('<bpmn:task id="step"/><bpmn:sequenceFlow id="Flow_x" sourceRef="step" targetRef="Gateway_y"/>')
    deployed = _post(client, analyst, "/api/v1/definitions", xml)
    assert deployed.status_code == 422
    problems = deployed.get_json()["error"]["problems"]
    (dangling,) = [p for p in problems if p["severity"] == "error"]
    assert dangling["element_id"] == "Flow_x" and dangling["line"]
    assert "Flow 'Flow_x' goes to Gateway_y, which is not in the diagram" in dangling["message"]
    assert "perhaps a form" not in str(problems)
    linted = _post(client, analyst, "/api/v1/lint", xml).get_json()
    assert linted["ok"] is False and linted["problems"] == problems


def test_element_ids_the_engine_keeps_for_itself_are_renamed_and_the_service_runs(client, people):
    """Start, End and Root are the names SpiffWorkflow gives its own task specs: a user task called End replaced
    the workflow's end, and every application of such a service answered 500."""
    analyst = people.headers("analis")
    xml = (_service(SCRIPT).replace('"start"', '"Start"').replace('"review"', '"End"')
           .replace('"done"', '"Root"'))
    response = _post(client, analyst, "/api/v1/definitions?publish=true", xml)
    assert response.status_code == 201, response.get_json()
    renamed = {w["element_id"] for w in response.get_json()["warnings"] if w["code"] == "reserved_id"}
    assert renamed == {"Start_1", "End_1", "Root_1"}
    stored = client.get("/api/v1/definitions/uji/1/bpmn", headers=analyst).get_data(as_text=True)
    assert 'id="End_1"' in stored and 'targetRef="End_1"' in stored and 'id="End"' not in stored
    applicant = people.headers("andi")
    application = apply(client, applicant, service="uji", data={})
    task = open_task(client, people.headers("vera"), application["id"], "End_1")
    assert complete(client, people.headers("vera"), task["id"]).status_code == 200
    detail = client.get(f"/api/v1/applications/{application['id']}", headers=applicant).get_json()
    assert detail["status"] == "completed"


def test_a_spec_the_engine_cannot_store_is_a_located_422_not_a_500(client, people, ctx, monkeypatch, caplog):
    """Had a converter been missing again, the deploy answers 422 on the element, and the log keeps the cause."""
    analyst = people.headers("analis")
    known = {cls: name for cls, name in ctx.codec.registry.typenames.items() if cls.__name__ != "ServiceTask"}
    monkeypatch.setattr(ctx.codec.registry, "typenames", known)
    with caplog.at_level(logging.WARNING, logger="lincah.deploy"):
        response = _post(client, analyst, "/api/v1/definitions", _service(CRASHED_BEFORE["service task"]))
    assert response.status_code == 422
    problems = response.get_json()["error"]["problems"]
    (problem,) = [p for p in problems if p["severity"] == "error"]
    assert (problem["code"], problem["element_id"]) == ("engine_prepare", "step") and problem["line"]
    assert "could not prepare 'step'" in problem["message"] and "report" in problem["message"]
    assert any("ServiceTask" in str(record.exc_info) for record in caplog.records)


def test_any_unexpected_failure_during_deploy_is_a_located_422_and_logged(client, people, monkeypatch, caplog):
    from engine.services import definitions

    def broken(compiled):
        raise RuntimeError("something nobody foresaw")

    monkeypatch.setattr(definitions, "_check_office_rule", broken)
    with caplog.at_level(logging.ERROR, logger="lincah.deploy"):
        response = _post(client, people.headers("analis"), "/api/v1/definitions", _service(SCRIPT))
    assert response.status_code == 422
    (problem,) = response.get_json()["error"]["problems"]
    assert problem["code"] == "engine_failure" and (problem["element_id"] or problem["line"])
    assert "something nobody foresaw" in problem["message"] and "report" in problem["message"]
    assert any(record.exc_info for record in caplog.records)
