"""A field marked ``x-required-for`` must be complete before a choice of that meaning: the research permit's
verification checklist needs all six documents ticked to approve, not to return the file or reject it."""

from __future__ import annotations

import json

import pytest

from engine.errors import InvalidData
from engine.forms import required_for
from engine.forms.schemas import FormFiles, check_form
from engine.texts import render
from tests import samples
from tests.drive import open_rows, start, step
from tests.engine.conftest import VERIFIER, diagram

RETURN = "Kembalikan untuk perbaikan"


@pytest.fixture
def research(db, ctx, deploy_service):
    deploy_service("research_permit")
    return start(db, ctx, "research_permit", samples.research_application())


def test_approving_with_one_of_six_documents_ticked_is_refused_naming_the_field_and_what_is_missing(db, ctx,
                                                                                                    research):
    with pytest.raises(InvalidData) as refused:
        step(db, ctx, research, "Task_Verify", VERIFIER, {"checklist": ["ktp"]}, "Setujui")
    error = refused.value
    assert set(error.details) == {"checklist"}
    missing = error.details["checklist"]
    for title in ("Surat permohonan", "Surat rekomendasi/pengantar", "Proposal penelitian", "KTM (mahasiswa)",
                  "Surat pernyataan"):
        assert title in missing and title in str(error)
    assert "KTP," not in missing and "'Setujui'" in missing
    assert "checklist" in str(error) and "Dokumen yang telah diperiksa dan sesuai" in str(error)
    said = render(error.message.id, error.message.params, "id")
    assert "Sebelum memilih 'Setujui'" in said and "belum dicentang: Surat permohonan" in said
    assert [t.element_id for t in open_rows(db, research)] == ["Task_Verify"], "nothing moved"


def test_approving_with_nothing_ticked_is_refused_too(db, ctx, research):
    with pytest.raises(InvalidData) as refused:
        step(db, ctx, research, "Task_Verify", VERIFIER, {}, "Setujui")
    assert "Surat permohonan" in refused.value.details["checklist"]


def test_returning_or_rejecting_with_one_of_six_ticked_is_allowed(db, ctx, deploy_service):
    deploy_service("research_permit")
    returned = start(db, ctx, "research_permit", samples.research_application())
    assert step(db, ctx, returned, "Task_Verify", VERIFIER, {"checklist": ["ktp"], "note": "KTM belum ada"},
                RETURN) == ["Task_Revise"]
    rejected = start(db, ctx, "research_permit", samples.research_application())
    assert step(db, ctx, rejected, "Task_Verify", VERIFIER, {"checklist": ["ktp"], "note": "Bukan penelitian"},
                "Tolak") == []


def test_approving_with_every_document_ticked_goes_on_to_signing(db, ctx, research):
    assert step(db, ctx, research, "Task_Verify", VERIFIER, samples.VERIFIED, "Setujui") == ["Task_Sign"]


def test_a_boolean_or_a_plain_field_marked_must_be_given_for_that_meaning_only():
    schema = {"type": "object", "properties": {
        "checked": {"type": "boolean", "title": "Diperiksa", "x-required-for": ["approve"]},
        "reason": {"type": "string", "x-required-for": ["reject", "return"]},
        "free": {"type": "string"}}}
    assert set(required_for.incomplete(schema, {}, "approve", "Setujui")) == {"checked"}
    assert required_for.incomplete(schema, {"checked": True}, "approve", "Setujui") == {}
    assert set(required_for.incomplete(schema, {"reason": ""}, "reject", "Tolak")) == {"reason"}
    assert required_for.incomplete(schema, {}, "other", "Tunda") == {}
    assert required_for.incomplete(schema, {}, None, "Apa saja") == {}
    enum = {"type": "object", "properties": {"list": {"type": "array", "items": {"enum": ["a", "b"]},
                                                      "x-required-for": ["approve"]}}}
    assert "b" in required_for.incomplete(enum, {"list": ["a"]}, "approve", "Setujui")["list"]


@pytest.mark.parametrize("value", ["approve", [], ["approved"], [1]])
def test_a_form_misusing_the_keyword_is_refused_at_deploy(value):
    schema = {"type": "object", "properties": {"checklist": {"type": "array", "x-required-for": value}}}
    form, problems = check_form(FormFiles("f", json.dumps(schema), None, "upload:f.json"))
    assert form is None and "x-required-for" in problems[0] and "/properties/checklist" in problems[0]


def test_a_choice_declared_to_approve_needs_the_field_whatever_its_words(deploy, db, ctx):
    """The meaning is the diagram's (``decision.meaning``), not the choice's words: "Teruskan" approves here and
    "Setujui" is declared a refusal."""
    def flow(flow_id, name, target, meaning):
        return (f'<bpmn:sequenceFlow id="{flow_id}" name="{name}" sourceRef="gw" targetRef="{target}">'
                '<bpmn:extensionElements><camunda:properties>'
                f'<camunda:property name="decision.meaning" value="{meaning}"/>'
                '</camunda:properties></bpmn:extensionElements></bpmn:sequenceFlow>')

    deploy(diagram(f"""
        <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="check"/>
        <bpmn:userTask id="check" name="Periksa" camunda:candidateGroups="verifier" camunda:formKey="check"/>
        <bpmn:sequenceFlow id="f1" sourceRef="check" targetRef="gw"/><bpmn:exclusiveGateway id="gw"/>
        {flow("c0", "Teruskan", "e0", "approve")}{flow("c1", "Setujui", "e1", "reject")}
        <bpmn:endEvent id="e0" name="Selesai"/><bpmn:endEvent id="e1" name="Ditutup"/>"""),
           {"check": {"type": "object", "properties": {"ok": {"type": "boolean", "x-required-for": ["approve"]}}}})
    first = start(db, ctx, "p")
    with pytest.raises(InvalidData) as refused:
        step(db, ctx, first, "check", VERIFIER, {}, "Teruskan")
    assert set(refused.value.details) == {"ok"}
    assert step(db, ctx, first, "check", VERIFIER, {"ok": True}, "Teruskan") == []
    other = start(db, ctx, "p")
    assert step(db, ctx, other, "check", VERIFIER, {}, "Setujui") == []
