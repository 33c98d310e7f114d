"""The ``bill.*`` properties over HTTP: a diagram whose bill names an unknown property and lacks its account is
refused with 422 and the located problems (element id, line, "did you mean"), never a 500; put right, it deploys."""

from __future__ import annotations

import io

import orjson

from tests.engine.conftest import diagram, fields_form


def _service(account_property: str) -> str:
    return diagram(f"""
    <bpmn:extensionElements><camunda:properties>
        <camunda:property name="bill.amount" value="fee" />
        <camunda:property name="{account_property}" value="va" />
    </camunda:properties></bpmn:extensionElements>
    <bpmn:startEvent id="s" camunda:formKey="apply"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="pay"/>
    <bpmn:userTask id="pay" name="Bayar" camunda:formKey="apply" camunda:assignee="${{applicant}}"/>
    <bpmn:sequenceFlow id="f1" sourceRef="pay" targetRef="e"/><bpmn:endEvent id="e" name="Selesai"/>""",
                   process_id="bill_service")


def _deploy(client, headers, bpmn: str):
    data = {"bpmn": [(io.BytesIO(bpmn.encode()), "bill_service.bpmn")],
            "forms": [(io.BytesIO(orjson.dumps(fields_form(fee="integer", va="string"))), "apply.json")]}
    return client.post("/api/v1/definitions", headers=headers, data=data, content_type="multipart/form-data")


def test_a_misnamed_bill_property_is_a_located_422_and_the_corrected_diagram_deploys(client, people):
    analyst = people.headers("analis")
    bpmn = _service("bill.acount")
    response = _deploy(client, analyst, bpmn)
    assert response.status_code == 422, response.get_json()
    problems = {p["code"]: p for p in response.get_json()["error"]["details"] if p["code"].startswith("bill_")}
    assert set(problems) == {"bill_property_unknown", "bill_property_missing"}
    unknown = problems["bill_property_unknown"]
    assert unknown["element_id"] == "bill_service" and "Did you mean bill.account?" in unknown["message"]
    assert unknown["line"] == bpmn[:bpmn.index("bill.acount")].count("\n") + 1
    assert _deploy(client, analyst, _service("bill.account")).status_code == 201
