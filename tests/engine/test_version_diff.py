"""The version diff names exactly what an analyst changed between two versions of a service."""

from __future__ import annotations

from pathlib import Path

import orjson

from engine.bpmn.compiler import SourceFile
from engine.services import definitions, version_diff
from engine.services.version_diff import Element, FieldChange
from tests.conftest import PROJECT_ROOT

RESEARCH = PROJECT_ROOT / "processes" / "research_permit.bpmn"
OLD_CHOICE, NEW_CHOICE = "Kembalikan untuk perbaikan", "Minta perbaikan"


def changed_research_permit(folder: Path) -> tuple[str, Path]:
    """The research permit with a step added (with an SLA) between signing and numbering, a field added to the
    verification form, and the return choice renamed (in the diagram and in the form that names it)."""
    bpmn = RESEARCH.read_text(encoding="utf-8")
    bpmn = bpmn.replace(
        '<bpmn:sequenceFlow id="Flow_SignApprove" name="Tandatangani" sourceRef="Gateway_SignDecision" '
        'targetRef="Task_IssueNumber">',
        '<bpmn:sequenceFlow id="Flow_Archived" sourceRef="Task_Archive" targetRef="Task_IssueNumber" />\n'
        '    <bpmn:sequenceFlow id="Flow_SignApprove" name="Tandatangani" sourceRef="Gateway_SignDecision" '
        'targetRef="Task_Archive">')
    bpmn = bpmn.replace(
        '<bpmn:scriptTask id="Task_IssueNumber"',
        '<bpmn:userTask id="Task_Archive" name="Arsipkan berkas" camunda:candidateGroups="verifier">\n'
        '      <bpmn:extensionElements><camunda:properties><camunda:property name="sla" value="PT1H" />'
        '</camunda:properties></bpmn:extensionElements>\n'
        '    </bpmn:userTask>\n    <bpmn:scriptTask id="Task_IssueNumber"')
    bpmn = bpmn.replace(f'name="{OLD_CHOICE}"', f'name="{NEW_CHOICE}"')
    verify = orjson.loads((PROJECT_ROOT / "forms" / "research_permit" / "verify.json").read_bytes())
    verify = orjson.loads(orjson.dumps(verify).decode().replace(OLD_CHOICE, NEW_CHOICE))
    verify["properties"]["site_visit"] = {"type": "boolean", "title": "Perlu kunjungan lapangan"}
    forms = folder / "forms" / "research_permit"
    forms.mkdir(parents=True)
    (forms / "verify.json").write_bytes(orjson.dumps(verify))
    ui = PROJECT_ROOT / "forms" / "research_permit" / "verify.ui.json"
    if ui.exists():
        (forms / "verify.ui.json").write_bytes(ui.read_bytes())
    return bpmn, folder / "forms"


def deploy_both(db, ctx, tmp_path: Path):
    with db.transaction() as session:
        definitions.deploy(session, ctx, SourceFile(RESEARCH.name, RESEARCH.read_bytes()), [],
                           definitions.form_source(ctx, RESEARCH), actor="analyst")
        bpmn, forms = changed_research_permit(tmp_path)
        second = definitions.deploy(session, ctx, SourceFile(RESEARCH.name, bpmn.encode()), [],
                                    definitions.form_source(ctx, forms_dir=forms), actor="analyst", publish=False)
        assert second.created and second.definition.version == 2


def test_the_diff_lists_exactly_the_step_added_the_field_added_and_the_choice_renamed(db, ctx, tmp_path):
    deploy_both(db, ctx, tmp_path)
    with db.transaction() as session:
        diff = version_diff.diff_versions(session, "research_permit", 1, 2)
        old_verify = definitions.get_version(session, "research_permit", 1).forms["research_permit/verify"]
        new_verify = definitions.get_version(session, "research_permit", 2).forms["research_permit/verify"]
    assert (diff.key, diff.from_version, diff.to_version) == ("research_permit", 1, 2)
    assert diff.added == [Element("Flow_Archived", "sequenceFlow", None),
                          Element("Task_Archive", "userTask", "Arsipkan berkas")]
    assert diff.removed == [] and diff.process == []
    changed = {c.element_id: c.changes for c in diff.changed}
    assert changed == {
        "Flow_Return": [FieldChange("name", OLD_CHOICE, NEW_CHOICE)],
        "Flow_SignApprove": [FieldChange("target", "Task_IssueNumber", "Task_Archive")],
        "Task_Verify": [FieldChange("choices", ["Setujui (approve)", f"{OLD_CHOICE} (return)", "Tolak (reject)"],
                                    ["Setujui (approve)", f"{NEW_CHOICE} (return)", "Tolak (reject)"])],
    }
    assert [c.element_id for c in diff.changed] == sorted(changed)
    [form] = diff.forms
    assert (form.form_key, form.status, form.before, form.after) == (
        "research_permit/verify", "changed", old_verify, new_verify)
    assert form.fields_added == ["site_visit"] and form.fields_removed == []


def test_the_added_step_carries_its_group_and_sla_and_the_reverse_diff_removes_it(db, ctx, tmp_path):
    deploy_both(db, ctx, tmp_path)
    with db.transaction() as session:
        new = version_diff.elements_of(definitions.get_version(session, "research_permit", 2))
        back = version_diff.diff_versions(session, "research_permit", 2, 1)
        same = version_diff.diff_versions(session, "research_permit", 1, 1)
    assert new["Task_Archive"]["sla"] == "PT1H" and new["Task_Archive"]["candidate_groups"] == ["verifier"]
    assert new["Flow_Approve"]["meaning"] == "approve"
    assert [e.element_id for e in back.removed] == ["Flow_Archived", "Task_Archive"] and back.added == []
    assert back.forms[0].fields_removed == ["site_visit"]
    assert same.empty and same.to_dict()["changed"] == []


def test_timer_condition_and_sla_changes_are_named(db, ctx, deploy):
    from tests.engine.conftest import diagram

    def body(timer: str, condition: str, sla: str) -> str:
        return diagram(f"""
        <bpmn:startEvent id="start"/>
        <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="review"/>
        <bpmn:userTask id="review" name="Periksa" camunda:candidateGroups="verifier">
          <bpmn:extensionElements><camunda:properties><camunda:property name="sla" value="{sla}"/>
          </camunda:properties></bpmn:extensionElements></bpmn:userTask>
        <bpmn:boundaryEvent id="late" attachedToRef="review"><bpmn:timerEventDefinition>
          <bpmn:timeDuration>{timer}</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
        <bpmn:sequenceFlow id="f_late" sourceRef="late" targetRef="gone"/>
        <bpmn:endEvent id="gone"/>
        <bpmn:sequenceFlow id="f1" sourceRef="review" targetRef="gw"/>
        <bpmn:exclusiveGateway id="gw" default="small"/>
        <bpmn:sequenceFlow id="big" sourceRef="gw" targetRef="done">
          <bpmn:conditionExpression>{condition}</bpmn:conditionExpression></bpmn:sequenceFlow>
        <bpmn:sequenceFlow id="small" sourceRef="gw" targetRef="done"/>
        <bpmn:endEvent id="done"/>""", process_id="izin_timer")

    deploy(body("P14D", "amount &gt; 1000", "P2D"))
    deploy(body("P7D", "amount &gt; 5000", "PT4H"))
    with db.transaction() as session:
        diff = version_diff.diff_versions(session, "izin_timer", 1, 2)
    changed = {c.element_id: [(f.field, f.before, f.after) for f in c.changes] for c in diff.changed}
    assert changed["late"] == [("timer", "timeDuration: P14D", "timeDuration: P7D")]
    assert changed["big"] == [("condition", "amount > 1000", "amount > 5000")]
    assert changed["review"] == [("sla", "P2D", "PT4H"), ("properties", {"sla": "P2D"}, {"sla": "PT4H"})]
    assert set(changed) == {"late", "big", "review"}
