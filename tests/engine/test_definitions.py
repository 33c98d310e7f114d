"""Deploying service definitions: versions, identical redeploys, drafts, publishing, form snapshots."""

from __future__ import annotations

import orjson
import pytest

from engine.bpmn.compiler import SourceFile
from engine.casework import applications
from engine.errors import InvalidDefinition, NotFound
from engine.forms.schemas import FormSource
from engine.services import definitions
from engine.storage.models import Event, ServiceDefinition
from tests.engine.conftest import APPLICANT, VERIFIER, diagram

FORM = {"type": "object", "properties": {"title": {"type": "string", "minLength": 3}}, "required": ["title"]}


def one_step(task_name: str = "Periksa") -> str:
    return diagram(f"""
    <bpmn:startEvent id="start" camunda:formKey="svc/apply"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="check"/>
    <bpmn:userTask id="check" name="{task_name}" camunda:candidateGroups="verifier"/>
    <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="end"/>
    <bpmn:endEvent id="end" name="Selesai"/>""", process_id="svc")


def test_first_deploy_is_version_1_and_published(db, deploy):
    definition = deploy(one_step(), {"svc/apply": FORM})
    assert (definition.key, definition.version, definition.status) == ("svc", 1, "published")
    with db.transaction() as session:
        assert definitions.latest_published(session, "svc").id == definition.id
        assert session.query(Event).filter_by(kind="deployed", definition_id=definition.id).count() == 1


def test_redeploying_identical_content_returns_the_existing_version(db, deploy):
    first = deploy(one_step(), {"svc/apply": FORM})
    again = deploy(one_step(), {"svc/apply": FORM})
    assert again.id == first.id and again.version == 1
    with db.transaction() as session:
        assert len(definitions.versions(session, "svc")) == 1


def test_the_same_diagram_uploaded_under_another_file_name_is_the_same_version(db, ctx, deploy):
    first = deploy(one_step(), {"svc/apply": FORM}, name="svc.bpmn")
    again = deploy(one_step(), {"svc/apply": FORM}, name="diagram.bpmn")
    assert again.id == first.id and again.bpmn_filename == "svc.bpmn"


def test_a_version_stored_under_the_earlier_hash_with_file_names_is_still_recognised(db, ctx, deploy):
    first = deploy(one_step(), {"svc/apply": FORM}, name="svc.bpmn")
    compiled = definitions.lint(ctx, SourceFile("svc.bpmn", one_step().encode()), [],
                                FormSource({"svc/apply.json": orjson.dumps(FORM)}, []))
    with db.transaction() as session:
        session.get(ServiceDefinition, first.id).sha256 = definitions._named_content_hash(compiled)
    assert deploy(one_step(), {"svc/apply": FORM}, name="svc.bpmn").id == first.id


def test_a_process_id_that_cannot_be_a_service_key_is_an_error_on_the_process(ctx):
    for bad in ("../../etc x", "9lives", "a/b"):
        xml = one_step().replace('id="svc"', f'id="{bad}"')
        compiled = definitions.lint(ctx, SourceFile("t.bpmn", xml.encode()), [], FormSource({}, []))
        errors = [(p.code, p.element_id) for p in compiled.problems.errors]
        assert errors == [("service_key", bad)], bad
        assert "letters, digits" in compiled.problems.errors[0].message
    for good in ("izin_usaha", "izin-usaha.v2", "Perizinan"):
        compiled = definitions.lint(ctx, SourceFile("t.bpmn", one_step().replace('id="svc"', f'id="{good}"').encode()),
                                    [], FormSource({"svc/apply.json": orjson.dumps(FORM)}, []))
        assert not compiled.problems.errors, good


def test_changed_diagram_or_form_makes_a_new_version(db, deploy):
    deploy(one_step(), {"svc/apply": FORM})
    second = deploy(one_step("Periksa berkas"), {"svc/apply": FORM})
    changed_form = dict(FORM, properties={"title": {"type": "string", "minLength": 5}})
    third = deploy(one_step("Periksa berkas"), {"svc/apply": changed_form})
    assert (second.version, third.version) == (2, 3)
    with db.transaction() as session:
        statuses = {d.version: d.status for d in definitions.versions(session, "svc")}
    assert statuses == {1: "retired", 2: "retired", 3: "published"}


def test_a_draft_does_not_change_what_applicants_get_until_published(db, ctx, deploy):
    deploy(one_step(), {"svc/apply": FORM})
    draft = deploy(one_step("Verifikasi"), {"svc/apply": FORM}, publish=False)
    assert draft.status == "draft"
    with db.transaction() as session:
        assert definitions.latest_published(session, "svc").version == 1
        definitions.publish_version(session, ctx, "svc", 2, actor="analyst")
    with db.transaction() as session:
        assert definitions.latest_published(session, "svc").version == 2


def test_running_applications_stay_on_their_version_and_form(db, ctx, deploy):
    deploy(one_step(), {"svc/apply": FORM})
    with db.transaction() as session:
        old = applications.start(session, ctx, service="svc", data={"title": "abc"}, actor=APPLICANT)
    stricter = dict(FORM, properties={"title": {"type": "string", "minLength": 10}})
    deploy(one_step("Verifikasi"), {"svc/apply": stricter})
    with db.transaction() as session:
        old = session.get(applications.Instance, old.id)
        (task,) = applications.open_tasks(session, old)
        assert (old.definition.version, task.name) == (1, "Periksa")
        new = applications.start(session, ctx, service="svc", data={"title": "a long enough title"}, actor=APPLICANT)
        assert new.definition.version == 2
        assert applications.open_tasks(session, new)[0].name == "Verifikasi"
    from engine.casework import tasks

    with db.transaction() as session:
        tasks.complete(session, ctx, task.id, VERIFIER, {})
    with db.transaction() as session:
        assert session.get(applications.Instance, old.id).status == "completed"


def test_form_snapshot_survives_later_edits_of_the_forms_folder(db, ctx, tmp_path):
    from engine.bpmn.compiler import SourceFile

    forms_dir = tmp_path / "forms" / "svc"
    forms_dir.mkdir(parents=True)
    (forms_dir / "apply.json").write_text('{"type": "object", "required": ["title"]}')
    bpmn = tmp_path / "svc.bpmn"
    bpmn.write_text(one_step())
    with db.transaction() as session:
        definitions.deploy(session, ctx, SourceFile("svc.bpmn", bpmn.read_bytes()), [],
                           definitions.form_source(ctx, bpmn), actor="analyst")
    (forms_dir / "apply.json").write_text('{"type": "object", "required": ["other"]}')
    with db.transaction() as session:
        definition = definitions.latest_published(session, "svc")
        form = definitions.form_of(session, definition, "svc/apply")
    assert form.schema["required"] == ["title"]


def test_a_diagram_with_errors_is_not_stored(db, deploy):
    with pytest.raises(InvalidDefinition) as rejected:
        deploy(one_step(), {})  # the start form is missing
    problem = rejected.value.problems[0]
    assert problem["code"] == "form_missing" and problem["element_id"] == "start" and problem["line"] == 5
    with db.transaction() as session, pytest.raises(NotFound):
        definitions.latest_published(session, "svc")


def _deploy_at_once(db, ctx, diagrams: list[str]) -> list[tuple[int, bool]]:
    """Each diagram deployed by its own analyst in its own transaction, all released at the same moment."""
    import threading

    import orjson

    from engine.bpmn.compiler import SourceFile
    from engine.forms.schemas import FormSource

    barrier = threading.Barrier(len(diagrams))
    results, errors = [None] * len(diagrams), []

    def run(number: int, xml: str) -> None:
        try:
            barrier.wait()
            with db.transaction() as session:
                result = definitions.deploy(session, ctx, SourceFile("svc.bpmn", xml.encode()), [],
                                            FormSource({"svc/apply.json": orjson.dumps(FORM)}, []),
                                            actor=f"analis{number}")
                results[number] = (result.definition.version, result.created)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n, xml)) for n, xml in enumerate(diagrams)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


def test_colleagues_deploying_the_same_file_at_the_same_moment_get_one_version(db, ctx):
    results = _deploy_at_once(db, ctx, [one_step()] * 4)
    assert sorted(results) == [(1, False), (1, False), (1, False), (1, True)]
    with db.transaction() as session:
        assert len(definitions.versions(session, "svc")) == 1


def test_colleagues_deploying_different_changes_at_the_same_moment_get_consecutive_versions(db, ctx):
    results = _deploy_at_once(db, ctx, [one_step(f"Periksa {n}") for n in range(4)])
    assert sorted(version for version, created in results if created) == [1, 2, 3, 4]


def test_colleagues_publishing_two_versions_at_the_same_moment_leave_exactly_one_published(db, ctx, deploy,
                                                                                          monkeypatch):
    import threading
    import time

    for n in range(3):
        deploy(one_step(f"Periksa {n}"), {"svc/apply": FORM}, publish=n == 0)
    barrier, errors = threading.Barrier(2), []
    record = definitions.audit.record

    def slowly(*args, **kwargs):  # each publish is slow to commit: the other would read before it does
        time.sleep(0.05)
        return record(*args, **kwargs)

    monkeypatch.setattr(definitions.audit, "record", slowly)

    def publish(version: int) -> None:
        try:
            barrier.wait()
            with db.transaction() as session:
                definitions.publish_version(session, ctx, "svc", version, actor=f"analis{version}")
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=publish, args=(version,)) for version in (2, 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with db.transaction() as session:
        statuses = [d.status for d in sorted(definitions.versions(session, "svc"), key=lambda d: d.version)]
    assert statuses.count("published") == 1 and statuses[0] == "retired"
