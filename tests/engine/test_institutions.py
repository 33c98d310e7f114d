"""Campuses as institutions: students register under their campus, a step for ``institution`` goes to that campus's
operators only, and an operator sees and submits only its own students' files."""

from __future__ import annotations

import pytest

from engine.bpmn.compiler import SourceFile
from engine.casework import applications, tasks, use_cases
from engine.errors import Forbidden, InvalidData, InvalidInput, NotFound
from engine.people import institutions, users
from engine.people.access import ADMIN, ALL_JURISDICTIONS, Actor, may_view_file
from engine.services import definitions
from engine.storage.models import Event, Instance
from tests import samples
from tests.conftest import PROJECT_ROOT
from tests.engine.conftest import VERIFIER, diagram, fields_form, open_task_rows

ADMIN_ACTOR = Actor.of("admin", [ADMIN], jurisdictions=[ALL_JURISDICTIONS])
PASSWORD = "kampus-merdeka-2026"

# A campus's student is confirmed by the campus (the *surat pengantar*) before the office verifies; anyone else goes
# straight to verification.
CONFIRM_THEN_VERIFY = diagram("""
    <bpmn:startEvent id="s" camunda:formKey="apply"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="g"/>
    <bpmn:exclusiveGateway id="g" default="f_direct"/>
    <bpmn:sequenceFlow id="f_campus" sourceRef="g" targetRef="confirm">
      <bpmn:conditionExpression>"institution" in application</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_direct" sourceRef="g" targetRef="verify"/>
    <bpmn:userTask id="confirm" name="Konfirmasi kampus" camunda:candidateGroups="institution"/>
    <bpmn:sequenceFlow id="f1" sourceRef="confirm" targetRef="verify"/>
    <bpmn:userTask id="verify" name="Verifikasi" camunda:candidateGroups="verifier"/>
    <bpmn:sequenceFlow id="f2" sourceRef="verify" targetRef="e"/><bpmn:endEvent id="e" name="Selesai"/>""",
                             process_id="campus_permit")
FORMS = {"apply": {**fields_form(institution="string", research_title="string"),
                   "required": ["institution", "research_title"]}}


@pytest.fixture
def campuses(db, ctx, deploy):
    deploy(CONFIRM_THEN_VERIFY, FORMS, name="campus_permit.bpmn")
    with db.transaction() as session:
        for code, name in (("unhas", "Universitas Hasanuddin"), ("unm", "Universitas Negeri Makassar")):
            institutions.create(session, ctx, ADMIN_ACTOR, code=code, name=name, address="Makassar",
                                email=f"humas@{code}.ac.id")
            institutions.add_operator(session, ctx, ADMIN_ACTOR, code=code, username=f"op-{code}", password=PASSWORD,
                                      full_name=f"Operator {code}")
        institutions.register_student(session, ctx, code="unhas", username="andi", password=PASSWORD,
                                      full_name="Andi Pratama")
        institutions.register_student(session, ctx, code="unm", username="sari", password=PASSWORD)
        users.create(session, username="budi", password=PASSWORD, roles=["applicant"], at=ctx.now())


def _actor(db, username: str) -> Actor:
    with db.transaction() as session:
        return users.actor_of(users.by_username(session, username))


def _apply(db, ctx, actor: Actor, data: dict, applicant: str | None = None) -> int:
    with db.transaction() as session:
        return use_cases.start_application(session, ctx, actor, service="campus_permit", data=data,
                                           applicant=applicant).id


def test_a_student_file_keeps_its_campus_and_its_confirmation_goes_to_that_campus(db, ctx, campuses):
    andi = _actor(db, "andi")
    assert andi.institution == "unhas"
    instance_id = _apply(db, ctx, andi, {"research_title": "Mangrove di Maros"})
    with db.transaction() as session:
        instance = session.get(Instance, instance_id)
        (step,) = open_task_rows(session, instance_id)
        assert instance.institution_code == "unhas"
        assert step.element_id == "confirm" and step.candidate_groups == ["institution:unhas"]
        started = session.query(Event).filter_by(instance_id=instance_id, kind="started").one()
        assert started.data["data"]["institution"] == "Universitas Hasanuddin"  # filled in from the account
        step_id = step.id
    op_unhas, op_unm = _actor(db, "op-unhas"), _actor(db, "op-unm")
    with db.transaction() as session, pytest.raises(NotFound):  # another campus's step is not even listed
        tasks.complete(session, ctx, step_id, op_unm)
    with db.transaction() as session, pytest.raises(Forbidden):
        tasks.complete(session, ctx, step_id, VERIFIER)
    with db.transaction() as session:
        tasks.complete(session, ctx, step_id, op_unhas)
    with db.transaction() as session:
        (step,) = open_task_rows(session, instance_id)
        assert step.element_id == "verify"
        confirmed = session.query(Event).filter_by(instance_id=instance_id, kind="task_completed").one()
        assert confirmed.actor == "op-unhas"


def test_an_applicant_without_a_campus_skips_the_confirmation(db, ctx, campuses):
    instance_id = _apply(db, ctx, _actor(db, "budi"), {"research_title": "Pasar", "institution": "Mandiri"})
    with db.transaction() as session:
        assert session.get(Instance, instance_id).institution_code is None
        assert [t.element_id for t in open_task_rows(session, instance_id)] == ["verify"]


def test_an_operator_sees_only_its_own_students_files(db, ctx, campuses):
    andi_file = _apply(db, ctx, _actor(db, "andi"), {"research_title": "Mangrove"})
    sari_file = _apply(db, ctx, _actor(db, "sari"), {"research_title": "Terumbu karang"})
    budi_file = _apply(db, ctx, _actor(db, "budi"), {"research_title": "Pasar", "institution": "Mandiri"})
    op_unhas, op_unm, andi = _actor(db, "op-unhas"), _actor(db, "op-unm"), _actor(db, "andi")
    assert not op_unhas.is_staff
    with db.transaction() as session:
        files = {i: session.get(Instance, i) for i in (andi_file, sari_file, budi_file)}
        assert may_view_file(session, op_unhas, files[andi_file])
        assert not may_view_file(session, op_unhas, files[sari_file])
        assert not may_view_file(session, op_unhas, files[budi_file])
        assert may_view_file(session, op_unm, files[sari_file])
        assert [i.id for i in institutions.files(session, op_unhas)] == [andi_file]
        assert [i.id for i in institutions.files(session, op_unm)] == [sari_file]
        with pytest.raises(Forbidden):
            institutions.files(session, andi)


def test_a_form_naming_another_campus_is_refused_on_its_field(db, ctx, campuses):
    with pytest.raises(InvalidData) as refused:
        _apply(db, ctx, _actor(db, "andi"), {"research_title": "X", "institution": "Universitas Negeri Makassar"})
    assert "institution" in refused.value.details
    assert "Universitas Hasanuddin" in str(refused.value.details["institution"])


def test_an_operator_submits_for_its_own_student_only(db, ctx, campuses):
    op_unhas = _actor(db, "op-unhas")
    instance_id = _apply(db, ctx, op_unhas, {"research_title": "Mangrove"}, applicant="andi")
    with db.transaction() as session:
        instance = session.get(Instance, instance_id)
        assert (instance.applicant, instance.institution_code) == ("andi", "unhas")
    for someone in ("sari", "budi", None):
        with pytest.raises(InvalidData) as refused:
            _apply(db, ctx, op_unhas, {"research_title": "X"}, applicant=someone)
        assert "applicant" in refused.value.details


def test_registration_and_institutions_refuse_bad_input_on_the_field(db, ctx, campuses):
    with db.transaction() as session, pytest.raises(InvalidInput) as refused:
        institutions.register_student(session, ctx, code="itb", username="rina", password=PASSWORD)
    assert "institution" in refused.value.details
    with db.transaction() as session, pytest.raises(InvalidInput) as refused:
        institutions.create(session, ctx, ADMIN_ACTOR, code="U H", name="", email="nope")
    assert set(refused.value.details) == {"code", "name", "email"}
    operator = _actor(db, "op-unhas")
    with db.transaction() as session, pytest.raises(Forbidden):
        institutions.create(session, ctx, operator, code="uin", name="UIN Alauddin")
    with db.transaction() as session:
        assert [i.code for i in institutions.listing(session)] == ["unhas", "unm"]


def test_the_research_permit_with_campus_confirmation_deploys_and_routes_by_campus(db, ctx, campuses):
    path = PROJECT_ROOT / "examples" / "research_permit_campus.bpmn"
    with db.transaction() as session:
        definition = definitions.deploy(session, ctx, SourceFile(path.name, path.read_bytes()), [],
                                        definitions.form_source(ctx, path), actor="analyst").definition
        assert definition.key == "research_permit"
        # the staff groups have no accounts in this test; "institution" is not a staff group and is never named
        assert [w["element_id"] for w in definition.warnings if "institution" in w["message"]] == []
        assert definition.meta["letter"]["file"] == "research_permit.html"  # the service's own letter
    andi, budi = _actor(db, "andi"), _actor(db, "budi")
    with db.transaction() as session:
        # the sample's uploads are references the casework layer would look up: started one level down, with
        # the campus the account gives (what start_application passes)
        student = applications.start(session, ctx, service="research_permit", data=samples.research_application(),
                                     actor=andi, institution=andi.institution).id
        other = applications.start(session, ctx, service="research_permit", data=samples.research_application(),
                                   actor=budi, institution=budi.institution).id
    with db.transaction() as session:
        (confirm,) = open_task_rows(session, student)
        assert (confirm.element_id, confirm.candidate_groups) == ("Task_CampusConfirm", ["institution:unhas"])
        assert [t.element_id for t in open_task_rows(session, other)] == ["Task_Verify"]
        confirm_id = confirm.id
    operator = _actor(db, "op-unhas")
    with db.transaction() as session:
        tasks.complete(session, ctx, confirm_id, operator, {"student_confirmed": True})
    with db.transaction() as session:
        assert [t.element_id for t in open_task_rows(session, student)] == ["Task_Verify"]
