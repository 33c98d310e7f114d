"""A step's read carries only the definition's changing columns; the rest comes from the process's copy, named by
the row's random ``content_id`` (engine/storage/definition_rows.py) — never another row's copy."""

from __future__ import annotations

from alembic import command
from sqlalchemy import select, text

from engine.casework import applications, tasks
from engine.storage import definition_rows
from engine.storage.db import alembic_config, make_engine, upgrade
from engine.storage.models import ServiceDefinition
from tests.conftest import T0, emptied
from tests.engine.conftest import APPLICANT, VERIFIER, diagram, fields_form, open_task_rows


def _review(name: str, sla: str) -> str:
    return diagram(f"""
    <bpmn:startEvent id="s" camunda:formKey="apply"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="review"/>
    <bpmn:userTask id="review" name="{name}" camunda:candidateGroups="verifier" camunda:formKey="review">
      <bpmn:extensionElements><camunda:properties>
        <camunda:property name="sla" value="{sla}"/>
      </camunda:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f1" sourceRef="review" targetRef="e"/><bpmn:endEvent id="e" name="Selesai"/>""")


FORMS = {"apply": fields_form(topic="string"), "review": fields_form(note="string")}


def _waiting_task(db, ctx) -> str:
    with db.transaction() as session:
        instance_id = applications.start(session, ctx, service="p", data={"topic": "x"}, actor=APPLICANT).id
    with db.transaction() as session:
        (row,) = open_task_rows(session, instance_id)
        return row.id


def _as_stored(db, definition_id: int) -> dict:
    """The definition row's columns as the ORM loads them, in a session of its own."""
    with db.transaction() as session:
        row = session.get(ServiceDefinition, definition_id)
        return {key: getattr(row, key) for key in ("key", "version", "status", "name_id", "meta", "forms",
                                                   "warnings", "sha256", "content_id")}


def _as_a_step_reads_it(db, task_id: str) -> dict:
    with db.transaction() as session:
        _, instance = tasks.get(session, task_id, VERIFIER)
        definition = instance.definition
        return {key: getattr(definition, key) for key in ("key", "version", "status", "name_id", "meta", "forms",
                                                          "warnings", "sha256", "content_id")}


def test_a_step_sees_its_own_rows_settings_after_the_database_starts_over_with_the_same_ids(db, ctx, deploy):
    first = deploy(_review("Periksa berkas", "P2D"), FORMS)
    task_id = _waiting_task(db, ctx)
    assert _as_a_step_reads_it(db, task_id) == _as_stored(db, first.id)  # the copy is now kept

    emptied(db)  # as between two tests, or a database restored from scratch: ids start again at 1
    second = deploy(_review("Verifikasi lapangan", "P5D"), FORMS)
    task_id = _waiting_task(db, ctx)
    assert second.id == first.id and second.deployed_at == first.deployed_at  # same id, same (frozen) time

    read = _as_a_step_reads_it(db, task_id)
    assert read == _as_stored(db, second.id)
    assert read["meta"]["tasks"]["review"]["name"] == "Verifikasi lapangan"


def test_the_settings_are_read_once_per_definition_and_publishing_is_seen_at_once(db, ctx, deploy, monkeypatch):
    deploy(_review("Periksa berkas", "P2D"), FORMS)
    reads = []
    content_rows = definition_rows._CONTENT.rows  # noqa: SLF001 - counting the one read a first step makes

    def counting(session, values):
        reads.append(values["b_id"])
        return content_rows(session, values)

    monkeypatch.setattr(definition_rows._CONTENT, "rows", counting)  # noqa: SLF001
    first_task, second_task = _waiting_task(db, ctx), _waiting_task(db, ctx)
    assert _as_a_step_reads_it(db, first_task)["status"] == "published"
    assert _as_a_step_reads_it(db, second_task)["status"] == "published"
    assert reads == [1]  # the second application's read took the copy

    deploy(_review("Periksa berkas ulang", "P3D"), FORMS)  # version 2, published: version 1 retires
    read = _as_a_step_reads_it(db, first_task)
    assert (read["version"], read["status"]) == (1, "retired")
    assert reads == [1]


def test_every_definition_gets_its_own_key_at_deploy_and_from_the_migration(tmp_path, db, deploy):
    one = deploy(_review("Periksa berkas", "P2D"), FORMS)
    two = deploy(_review("Periksa berkas ulang", "P3D"), FORMS)
    assert len({one.content_id, two.content_id}) == 2 and all(len(d.content_id) == 32 for d in (one, two))

    url = f"sqlite:///{tmp_path / 'before.db'}"
    upgrade(url, "0022")  # definitions deployed before the key existed
    engine = make_engine(url)
    with engine.begin() as conn:
        for version in (1, 2):
            conn.execute(text(
                "INSERT INTO service_definition (key, version, status, name_id, name_en, bpmn_filename, bpmn, "
                "extra_bpmn, spec_json, meta, forms, warnings, sha256, deployed_at) VALUES ('p', :version, "
                "'published', '', '', 'p.bpmn', '<x/>', '{}', '{}', '{}', '{}', '[]', :sha, :at)"),
                {"version": version, "sha": "0" * 64, "at": T0.replace(tzinfo=None)})
    upgrade(url)
    with engine.connect() as conn:
        keys = conn.execute(select(ServiceDefinition.content_id)).scalars().all()
    engine.dispose()
    assert len(keys) == 2 and len(set(keys)) == 2 and all(len(key) == 32 for key in keys)
    command.downgrade(alembic_config(url), "0022")  # and back: the column goes again
