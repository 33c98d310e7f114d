"""Models drawn for spiff-arena deploy as one unit from their model folder and run: the decision named by
``spiffworkflow:calledDecisionId``, forms named by ``spiffworkflow:properties``, pre- and post-scripts in the
sandbox, instructions kept for the task page, lanes as groups, a process called from a sibling file."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from engine.bpmn.compiler import SourceFile
from engine.casework import applications, tasks
from engine.errors import InvalidDefinition
from engine.forms.schemas import FormSource
from engine.integration import external_tasks
from engine.integration.clients import Caller
from engine.integration.external_tasks import TopicRequest
from engine.services import definitions, model_folder
from engine.storage.models import Instance
from engine.workflow import runtime
from tests.engine.conftest import APPLICANT, VERIFIER, diagram, open_task_rows

MODELS = Path(__file__).parent / "spiff_models"
REKLAME = MODELS / "izin_reklame"
SPIFF_HEADER = ('xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
                'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"')


def spiff_diagram(body: str, process_id: str = "p") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions {SPIFF_HEADER} id="d" '
            f'targetNamespace="http://lincah.test">\n<bpmn:process id="{process_id}" isExecutable="true">\n{body}\n'
            "</bpmn:process>\n</bpmn:definitions>\n")


def deploy_reklame(db, ctx):
    folder = model_folder.from_directory(REKLAME)
    with db.transaction() as session:
        return definitions.deploy(session, ctx, folder.main, folder.supporting, folder.forms, actor="analyst")


def data_of(db, ctx, instance_id: int, element_id: str) -> dict:
    with db.transaction() as session:
        workflow = runtime.load(ctx, session.get(Instance, instance_id))
        return next(t.data for t in workflow.get_tasks() if t.task_spec.bpmn_id == element_id)


def test_the_model_folder_is_one_service_whose_primary_file_process_model_json_names(db, ctx):
    result = deploy_reklame(db, ctx)
    definition = result.definition
    assert (definition.key, definition.bpmn_filename) == ("izin_reklame", "izin_reklame.bpmn")
    assert set(definition.extra_bpmn) == {"retribusi_reklame.bpmn"}
    # Both forms snapshotted with their UI schemas, found by the names spiff-arena gave them.
    assert set(definition.forms) == {"permohonan-schema.json", "verifikasi-schema.json"}
    tasks_meta = definition.meta["tasks"]
    assert tasks_meta["verifikasi_lapangan"]["candidate_groups"] == ["verifier"]
    assert tasks_meta["isi_permohonan"]["for_applicant"] is True
    assert tasks_meta["verifikasi_lapangan"]["instructions"].startswith("## Periksa lokasi")


def test_a_spiff_arena_model_runs_end_to_end(db, ctx):
    deploy_reklame(db, ctx)
    with db.transaction() as session:
        instance = applications.start(session, ctx, service="izin_reklame", data={}, actor=APPLICANT)
        (apply,) = open_task_rows(session, instance.id)
        assert (apply.element_id, apply.for_applicant) == ("isi_permohonan", True)
        ui = definitions.form_of(session, instance.definition, "permohonan-schema.json").ui_schema
        assert ui["ui:order"] == ["jenis", "lokasi", "luas"]
    with db.transaction() as session:
        tasks.complete(session, ctx, apply.id, APPLICANT, {"lokasi": "Jl. Sam Ratulangi 1", "jenis": "baliho",
                                                           "luas": 4})
    with db.transaction() as session:
        (verify,) = open_task_rows(session, instance.id)
        assert (verify.element_id, verify.candidate_groups) == ("verifikasi_lapangan", ["verifier"])
    data = data_of(db, ctx, instance.id, "verifikasi_lapangan")
    # the table's output under its own name; the called file's script and its post-script; the pre-script
    assert data["tarif_per_m2"] == 10000
    assert data["retribusi"] == 50000  # 4 m2 x 10,000 raised to the minimum by the post-script
    assert data["ringkasan"] == "baliho 4 m2 di Jl. Sam Ratulangi 1"
    with db.transaction() as session:
        tasks.complete(session, ctx, verify.id, VERIFIER, {"keputusan": "setuju"})
    with db.transaction() as session:
        finished = session.get(Instance, instance.id)
        assert finished.outcome == "Selesai"
        workflow = runtime.load(ctx, finished)
        assert workflow.last_task.data["disetujui"] is True


def test_pre_and_post_scripts_survive_the_stored_spec_and_stay_in_the_sandbox(db, ctx):
    xml = spiff_diagram("""
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="t"/>
    <bpmn:manualTask id="t" name="Cek"><bpmn:extensionElements>
      <spiffworkflow:preScript>x = ().__class__</spiffworkflow:preScript>
    </bpmn:extensionElements></bpmn:manualTask>
    <bpmn:sequenceFlow id="f1" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/>""")
    compiled = definitions.lint(ctx, SourceFile("p.bpmn", xml.encode()), [], FormSource())
    (problem,) = compiled.problems.errors
    assert (problem.code, problem.element_id, problem.line) == ("code_invalid", "t", 7)
    assert "spiffworkflow:preScript" in problem.message
    # A script the check lets through still runs in the sandbox, after a save/load round trip of the spec.
    xml = xml.replace("x = ().__class__", "x = sum(range(10**9))")
    with db.transaction() as session:
        definitions.deploy(session, ctx, SourceFile("p.bpmn", xml.encode()), [], FormSource(), actor="analyst")
    with db.transaction() as session:
        instance = applications.start(session, ctx, service="p", data={}, actor=APPLICANT)
    with db.transaction() as session:
        stopped = session.get(Instance, instance.id)
        assert (stopped.status, stopped.error_element) == ("error", "t")
        assert "range() is limited" in stopped.error_message


def test_lint_says_which_flavour_it_read(ctx):
    plain = diagram('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="e"/>'
                    '<bpmn:endEvent id="e"/>')
    camunda = plain.replace('<bpmn:startEvent id="s"/>', '<bpmn:startEvent id="s" camunda:formKey="x"/>')
    spiff = spiff_diagram('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="e"/>'
                          '<bpmn:endEvent id="e"><bpmn:extensionElements><spiffworkflow:instructionsForEndUser>'
                          'ok</spiffworkflow:instructionsForEndUser></bpmn:extensionElements></bpmn:endEvent>')
    seen = {}
    for name, xml in {"plain": plain, "camunda": camunda, "spiff": spiff}.items():
        seen[name] = definitions.lint(ctx, SourceFile(f"{name}.bpmn", xml.encode()), [],
                                      FormSource({"x.json": b'{"type": "object"}'}, [])).flavour
    assert seen == {"plain": "plain", "camunda": "camunda", "spiff": "spiff"}


def test_a_called_decision_missing_from_the_folder_is_located(ctx):
    folder = model_folder.from_directory(REKLAME)
    without_table = [s for s in folder.supporting if not s.name.endswith(".dmn")]
    compiled = definitions.lint(ctx, folder.main, without_table, folder.forms)
    assert not compiled.ok
    assert any(p.element_id == "tentukan_tarif" and "tarif_reklame" in p.message for p in compiled.problems.errors)


def test_a_form_file_missing_from_the_folder_is_located(ctx):
    folder = model_folder.from_directory(REKLAME)
    forms = FormSource({n: c for n, c in folder.forms.uploads.items() if not n.startswith("verifikasi")}, [])
    compiled = definitions.lint(ctx, folder.main, folder.supporting, forms)
    (problem,) = compiled.problems.errors
    assert (problem.code, problem.element_id) == ("form_missing", "verifikasi_lapangan")


def _zip(entries: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _folder_files() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(REKLAME.iterdir())}


def test_a_zipped_model_folder_deploys_like_the_folder(db, ctx):
    data = _zip({f"izin_reklame/{name}": content for name, content in _folder_files().items()})
    folder = model_folder.from_zip("izin_reklame.zip", data)
    with db.transaction() as session:
        result = definitions.deploy(session, ctx, folder.main, folder.supporting, folder.forms, actor="analyst")
    assert (result.definition.key, result.created) == ("izin_reklame", True)
    assert deploy_reklame(db, ctx).created is False  # the same content from the folder: the same version


@pytest.mark.parametrize(("entries", "code"), [
    ({"../evil.bpmn": b"<x/>"}, "zip_path"),
    ({"/etc/evil.bpmn": b"<x/>"}, "zip_path"),
    ({"bomb.json": b"0" * (model_folder.MAX_FILE_BYTES + 1)}, "zip_entry_too_large"),
    ({f"f{i}.json": b"{}" for i in range(model_folder.MAX_FILES + 1)}, "zip_too_many"),
    ({"a/x.bpmn": b"<x/>", "b/y.bpmn": b"<x/>"}, "zip_nested"),
])
def test_a_hostile_zip_is_refused_by_name(entries, code):
    with pytest.raises(InvalidDefinition) as refused:
        model_folder.from_zip("upload.zip", _zip(entries))
    assert code in {p["code"] for p in refused.value.problems}


def test_a_zip_entry_that_lies_about_its_size_is_read_only_to_the_limit():
    data = bytearray(_zip({"big.json": b"0" * (model_folder.MAX_FILE_BYTES + 10)}))
    # Claim a small size in both headers: the read stops at the limit, whatever the header says.
    honest = (model_folder.MAX_FILE_BYTES + 10).to_bytes(4, "little")
    data = data.replace(honest, (100).to_bytes(4, "little"))
    with pytest.raises(InvalidDefinition) as refused:
        model_folder.from_zip("liar.zip", bytes(data))
    assert {p["code"] for p in refused.value.problems} & {"zip_entry_too_large", "zip_invalid"}


def test_a_folder_without_a_primary_file_says_how_to_name_it():
    files = [(name, content) for name, content in _folder_files().items() if name != "process_model.json"]
    other = spiff_diagram('<bpmn:startEvent id="s2"/>', process_id="lain")
    with pytest.raises(InvalidDefinition) as refused:
        model_folder.from_files("reklame", [*files, ("lain.bpmn", other.encode())])
    (problem,) = refused.value.problems
    assert problem["code"] == "model_primary" and "primary_file_name" in problem["message"]
    # Without the marker, the one diagram no other calls is the service.
    assert model_folder.from_files("reklame", files).main.name == "izin_reklame.bpmn"


def test_spiff_arena_corpus_models_deploy_and_run(db, ctx, corpus):
    folder = corpus / "spiff-arena-tests" / "data" / "simple_form"
    model = model_folder.from_directory(folder)
    # Its manual task's post-script asks who completed another step (get_last_user_completing_task), which
    # Lincah does not give scripts: refused at deploy, named, instead of failing when a file gets there.
    with pytest.raises(InvalidDefinition) as refused:
        with db.transaction() as session:
            definitions.deploy(session, ctx, model.main, model.supporting, model.forms, actor="corpus")
    (problem,) = [p for p in refused.value.problems if p["severity"] == "error"]
    assert (problem["code"], problem["element_id"]) == ("spiff_helper_unsupported", "Activity_1cscoeg")
    assert "get_last_user_completing_task()" in problem["message"]
    # Without that line it deploys and runs; its other post-script's get_process_initiator_user() gives the
    # applicant.
    main = SourceFile(model.main.name, b"\n".join(line for line in model.main.data.split(b"\n")
                                                 if b"get_last_user_completing_task" not in line))
    with db.transaction() as session:
        result = definitions.deploy(session, ctx, main, model.supporting, model.forms, actor="corpus")
        assert result.definition.meta["tasks"]["Activity_1cscoeg"]["instructions"].startswith("Hello {{ name }}")
        instance = applications.start(session, ctx, service="Process_WithForm", data={}, actor=APPLICANT)
        (task,) = open_task_rows(session, instance.id)
        assert (task.element_id, task.for_applicant) == ("Activity_SimpleForm", True)
    with db.transaction() as session:
        tasks.complete(session, ctx, task.id, APPLICANT, {"name": "Andi"})
    assert data_of(db, ctx, instance.id, "Activity_1cscoeg")["process_initiator_user"]["username"] == "andi"


def test_a_chain_of_called_files_in_the_folder_deploys_and_runs(db, ctx):
    def calling(process_id: str, called: str) -> bytes:
        return spiff_diagram(f"""
        <bpmn:startEvent id="s_{process_id}"/><bpmn:sequenceFlow id="f0" sourceRef="s_{process_id}" targetRef="c"/>
        <bpmn:callActivity id="c" name="Panggil" calledElement="{called}"/>
        <bpmn:sequenceFlow id="f1" sourceRef="c" targetRef="e"/><bpmn:endEvent id="e" name="Selesai"/>""",
                             process_id=process_id).encode()
    last = spiff_diagram("""
        <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="t"/>
        <bpmn:scriptTask id="t"><bpmn:script>sampai = "ujung"</bpmn:script></bpmn:scriptTask>
        <bpmn:sequenceFlow id="f1" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/>""", process_id="ujung")
    folder = model_folder.from_files("rantai", [("layanan.bpmn", calling("rantai", "tengah")),
                                                ("tengah.bpmn", calling("tengah", "ujung")),
                                                ("ujung.bpmn", last.encode())])
    assert folder.main.name == "layanan.bpmn"
    with db.transaction() as session:
        definition = definitions.deploy(session, ctx, folder.main, folder.supporting, folder.forms,
                                        actor="analyst").definition
        assert set(definition.extra_bpmn) == {"tengah.bpmn", "ujung.bpmn"}
        instance = applications.start(session, ctx, service="rantai", data={}, actor=APPLICANT)
    with db.transaction() as session:
        finished = session.get(Instance, instance.id)
        assert finished.outcome == "Selesai"
        assert runtime.load(ctx, finished).last_task.data["sampai"] == "ujung"
    # Without the last file, the call activity that needs it is named, in the file that holds it.
    compiled = definitions.lint(ctx, folder.main, folder.supporting[:1], folder.forms)
    (problem,) = compiled.problems.errors
    assert (problem.code, problem.file, problem.element_id) == ("call_activity_missing", "tengah.bpmn", "c")


def test_a_spiff_start_event_form_is_the_start_form_with_its_own_ui_schema(ctx):
    xml = spiff_diagram("""
    <bpmn:startEvent id="s"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="formJsonSchemaFilename" value="mulai-schema.json"/>
      <spiffworkflow:property name="formUiSchemaFilename" value="mulai-uischema.json"/>
    </spiffworkflow:properties></bpmn:extensionElements></bpmn:startEvent>
    <bpmn:sequenceFlow id="f" sourceRef="s" targetRef="e"/><bpmn:endEvent id="e"/>""")
    forms = FormSource({"mulai-schema.json": b'{"type": "object", "properties": {"nama": {"type": "string"}}}',
                        "mulai-uischema.json": b'{"nama": {"ui:autofocus": true}}'}, [])
    compiled = definitions.lint(ctx, SourceFile("p.bpmn", xml.encode()), [], forms)
    assert compiled.ok, [p.as_line() for p in compiled.problems]
    assert compiled.meta["start_form"] == "mulai-schema.json"
    assert compiled.forms["mulai-schema.json"].ui_schema == {"nama": {"ui:autofocus": True}}


def test_a_step_in_a_called_file_gets_its_form_and_instructions(db, ctx):
    main = spiff_diagram("""
        <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="c"/>
        <bpmn:callActivity id="c" name="Periksa" calledElement="periksa"/>
        <bpmn:sequenceFlow id="f1" sourceRef="c" targetRef="e"/><bpmn:endEvent id="e" name="Selesai"/>""",
                         process_id="induk")
    called = spiff_diagram("""
        <bpmn:laneSet id="ls"><bpmn:lane id="l" name="verifier"><bpmn:flowNodeRef>cek</bpmn:flowNodeRef></bpmn:lane>
        </bpmn:laneSet>
        <bpmn:startEvent id="s2"/><bpmn:sequenceFlow id="g0" sourceRef="s2" targetRef="cek"/>
        <bpmn:userTask id="cek" name="Cek berkas"><bpmn:extensionElements>
          <spiffworkflow:properties>
            <spiffworkflow:property name="formJsonSchemaFilename" value="cek-schema.json"/>
            <spiffworkflow:property name="formUiSchemaFilename" value="cek-uischema.json"/>
          </spiffworkflow:properties>
          <spiffworkflow:instructionsForEndUser>Cek **semua** berkas.</spiffworkflow:instructionsForEndUser>
        </bpmn:extensionElements></bpmn:userTask>
        <bpmn:sequenceFlow id="g1" sourceRef="cek" targetRef="e2"/><bpmn:endEvent id="e2"/>""",
                           process_id="periksa")
    folder = model_folder.from_files("induk", [
        ("induk.bpmn", main.encode()), ("periksa.bpmn", called.encode()),
        ("cek-schema.json", b'{"type": "object", "properties": {"lengkap": {"type": "boolean"}}}'),
        ("cek-uischema.json", b'{"lengkap": {"ui:widget": "radio"}}')])
    with db.transaction() as session:
        definition = definitions.deploy(session, ctx, folder.main, folder.supporting, folder.forms,
                                        actor="analyst").definition
        assert definition.meta["instructions"]["cek"] == "Cek **semua** berkas."
        instance = applications.start(session, ctx, service="induk", data={}, actor=APPLICANT)
        (step,) = open_task_rows(session, instance.id)
        assert (step.element_id, step.candidate_groups, step.form_key) == ("cek", ["verifier"], "cek-schema.json")
        form = definitions.form_of(session, definition, step.form_key)
        assert form.ui_schema == {"lengkap": {"ui:widget": "radio"}}
    with db.transaction() as session:
        tasks.complete(session, ctx, step.id, VERIFIER, {"lengkap": True})
    with db.transaction() as session:
        assert session.get(Instance, instance.id).outcome == "Selesai"


def test_a_spiff_connector_call_is_an_external_task_for_a_worker_of_its_operator(db, ctx):
    xml = spiff_diagram("""
        <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="cek_nik"/>
        <bpmn:serviceTask id="cek_nik" name="Cek NIK"><bpmn:extensionElements>
          <spiffworkflow:serviceTaskOperator id="dukcapil/CekNik" resultVariable="hasil">
            <spiffworkflow:parameters>
              <spiffworkflow:parameter id="nik" type="str" value="nik"/>
              <spiffworkflow:parameter id="kanal" type="str" value="&#34;lincah&#34;"/>
              <spiffworkflow:parameter id="batas" type="int" value="3 * 2"/>
            </spiffworkflow:parameters>
          </spiffworkflow:serviceTaskOperator>
        </bpmn:extensionElements></bpmn:serviceTask>
        <bpmn:sequenceFlow id="f1" sourceRef="cek_nik" targetRef="e"/><bpmn:endEvent id="e" name="Selesai"/>""",
                        process_id="cek")
    compiled = definitions.lint(ctx, SourceFile("cek.bpmn", xml.encode()), [], FormSource())
    (warning,) = [p for p in compiled.problems if p.code == "spiff_parameter_expression"]
    assert (warning.element_id, "'batas'" in warning.message) == ("cek_nik", True)
    with db.transaction() as session:
        definitions.deploy(session, ctx, SourceFile("cek.bpmn", xml.encode()), [], FormSource(), actor="analyst")
        instance = applications.start(session, ctx, service="cek", data={}, actor=APPLICANT)
    worker = Caller("dukcapil", frozenset({"dukcapil/CekNik"}), frozenset(), frozenset())
    with db.transaction() as session:
        (locked,) = external_tasks.fetch_and_lock(session, ctx, worker, "w1", 5,
                                                  [TopicRequest("dukcapil/CekNik", 60_000)])
        assert locked.row.element_id == "cek_nik"
        # a literal as itself, a variable by its value (none typed yet), an expression as its text (warned)
        assert locked.variables == {"nik": None, "kanal": "lincah", "batas": "3 * 2"}
        task_id = locked.row.id
    with db.transaction() as session:
        external_tasks.complete(session, ctx, worker, task_id, "w1", {"hasil": {"value": "valid", "type": "String"}})
    with db.transaction() as session:
        finished = session.get(Instance, instance.id)
        assert finished.outcome == "Selesai"
        assert runtime.load(ctx, finished).last_task.data["hasil"] == "valid"
