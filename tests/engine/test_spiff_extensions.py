"""The rest of spiff-arena's extensions: ``scriptsOnInstances`` runs a multi-instance element's pre/post scripts on
each instance; ``unitTests`` run (tests/api/test_spiff_script_unit_tests.py), ``taskMetadataValues`` is read and said
to be ignored (info, never a block);
``lane_owners`` set by a script is said where it is set, with the lanes it can name (applied at run time:
tests/api/test_spiff_lane_owners.py)."""

from __future__ import annotations

from engine.bpmn.compiler import SourceFile
from engine.casework import applications
from engine.forms.schemas import FormSource
from engine.services import definitions
from engine.storage.models import Instance
from engine.workflow import runtime
from tests.engine.conftest import APPLICANT
from tests.engine.test_spiff_models import spiff_diagram

EACH = """
<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="siapkan"/>
<bpmn:scriptTask id="siapkan"><bpmn:script>angka = [1, 2, 3]</bpmn:script></bpmn:scriptTask>
<bpmn:sequenceFlow id="f1" sourceRef="siapkan" targetRef="kali"/>
<bpmn:scriptTask id="kali" name="Kali sepuluh"><bpmn:extensionElements>
  <spiffworkflow:postScript>hasil = hasil + n</spiffworkflow:postScript>
</bpmn:extensionElements>
  <bpmn:multiInstanceLoopCharacteristics isSequential="true" spiffworkflow:scriptsOnInstances="true">
    <bpmn:loopDataInputRef>angka</bpmn:loopDataInputRef><bpmn:loopDataOutputRef>semua</bpmn:loopDataOutputRef>
    <bpmn:inputDataItem id="n" name="n"/><bpmn:outputDataItem id="hasil" name="hasil"/>
  </bpmn:multiInstanceLoopCharacteristics>
  <bpmn:script>hasil = n * 10</bpmn:script></bpmn:scriptTask>
<bpmn:sequenceFlow id="f2" sourceRef="kali" targetRef="e"/><bpmn:endEvent id="e" name="Selesai"/>"""


def _run(db, ctx, xml: str) -> Instance:
    with db.transaction() as session:
        definitions.deploy(session, ctx, SourceFile("p.bpmn", xml.encode()), [], FormSource(), actor="analyst")
        instance = applications.start(session, ctx, service="p", data={}, actor=APPLICANT)
    with db.transaction() as session:
        return session.get(Instance, instance.id)


def test_scripts_on_instances_run_on_each_instance(db, ctx):
    finished = _run(db, ctx, spiff_diagram(EACH))
    assert (finished.status, finished.outcome) == ("completed", "Selesai")
    assert runtime.load(ctx, finished).last_task.data["semua"] == [11, 22, 33]


def test_without_it_the_scripts_run_once_around_all_instances(db, ctx):
    once = EACH.replace(' spiffworkflow:scriptsOnInstances="true"', "").replace(
        "hasil = hasil + n", "jumlah = sum(semua)")
    finished = _run(db, ctx, spiff_diagram(once))
    data = runtime.load(ctx, finished).last_task.data
    assert (data["semua"], data["jumlah"]) == ([10, 20, 30], 60)


def test_unit_tests_task_metadata_and_lane_owners_are_said_where_they_are(ctx):
    xml = spiff_diagram("""
<bpmn:laneSet id="ls"><bpmn:lane id="l1" name="verifier"><bpmn:flowNodeRef>periksa</bpmn:flowNodeRef></bpmn:lane>
  <bpmn:lane id="l2" name="Penata"><bpmn:flowNodeRef>s</bpmn:flowNodeRef><bpmn:flowNodeRef>pemilik</bpmn:flowNodeRef>
  <bpmn:flowNodeRef>e</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="pemilik"/>
<bpmn:scriptTask id="pemilik" name="Pemilik lane"><bpmn:extensionElements><spiffworkflow:unitTests>
  <spiffworkflow:unitTest id="t1"><spiffworkflow:inputJson>{}</spiffworkflow:inputJson>
  <spiffworkflow:expectedOutputJson>{"lane_owners": {"verifier": ["vera"]}}</spiffworkflow:expectedOutputJson>
  </spiffworkflow:unitTest>
</spiffworkflow:unitTests></bpmn:extensionElements>
  <bpmn:script>lane_owners = {"verifier": ["vera"]}</bpmn:script></bpmn:scriptTask>
<bpmn:sequenceFlow id="f1" sourceRef="pemilik" targetRef="periksa"/>
<bpmn:manualTask id="periksa" name="Periksa"><bpmn:extensionElements><spiffworkflow:taskMetadataValues>
  <spiffworkflow:taskMetadataValue name="lokasi" value="lokasi"/></spiffworkflow:taskMetadataValues>
</bpmn:extensionElements></bpmn:manualTask>
<bpmn:sequenceFlow id="f2" sourceRef="periksa" targetRef="e"/><bpmn:endEvent id="e"/>""")
    compiled = definitions.lint(ctx, SourceFile("p.bpmn", xml.encode()), [], FormSource())
    assert compiled.ok
    said = {p.code: (p.severity, p.element_id, p.message) for p in compiled.problems}
    assert said["spiff_unit_tests_passed"][:2] == ("info", "pemilik") and "1 spiff-arena unit test(s)" in \
        said["spiff_unit_tests_passed"][2]
    assert said["spiff_task_metadata"][:2] == ("info", "periksa") and "(lokasi," in said["spiff_task_metadata"][2]
    severity, element_id, message = said["spiff_lane_owners"]
    assert (severity, element_id) == ("info", "pemilik") and "lanes: Penata, verifier)" in message
