"""Moving running applications to a new version of their service: what they had stays exactly (timer due times, SLA
clocks, claims, task ids, data), the new version's steps apply from there on, and what cannot move is said and left
alone."""

from __future__ import annotations

from datetime import timedelta

import orjson
import pytest
from sqlalchemy import select

from engine.casework import drafts, migration, migration_batch, tasks, waiting
from engine.errors import Conflict
from engine.storage import audit
from engine.storage.models import Event, Instance, Task
from scheduler import jobs
from tests.drive import instance, open_rows, start, step
from tests.engine.conftest import VERIFIER, diagram, fields_form


def _review(*, after: str = "", timer: str = "P5D", review_id: str = "review", sla: str = "P2D") -> str:
    following = (f'<bpmn:sequenceFlow id="f1" sourceRef="{review_id}" targetRef="{after}"/>'
                 f'<bpmn:userTask id="{after}" name="Setujui" camunda:candidateGroups="verifier"/>'
                 f'<bpmn:sequenceFlow id="f1b" sourceRef="{after}" targetRef="done"/>') if after else \
        f'<bpmn:sequenceFlow id="f1" sourceRef="{review_id}" targetRef="done"/>'
    return diagram(f"""
    <bpmn:startEvent id="s" camunda:formKey="apply"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="{review_id}"/>
    <bpmn:userTask id="{review_id}" name="Telaah" camunda:candidateGroups="verifier">
      <bpmn:extensionElements><camunda:properties><camunda:property name="sla" value="{sla}"/></camunda:properties>
      </bpmn:extensionElements>
    </bpmn:userTask>
    {following}
    <bpmn:endEvent id="done" name="Selesai"/>
    <bpmn:boundaryEvent id="remind_timer" name="Pengingat" attachedToRef="{review_id}" cancelActivity="false">
      <bpmn:timerEventDefinition><bpmn:timeDuration>{timer}</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="remind_timer" targetRef="remind"/>
    <bpmn:userTask id="remind" name="Tindak lanjut" camunda:candidateGroups="verifier"/>
    <bpmn:sequenceFlow id="f3" sourceRef="remind" targetRef="reminded"/>
    <bpmn:endEvent id="reminded" name="Diingatkan"/>""",
                   process_id="pengujian")


APPLY = fields_form(title="string")
_UNREACHED = migration._UNREACHED
APPLY_WITH_PHONE = {**fields_form(title="string", phone="string"), "required": ["title", "phone"]}


@pytest.fixture
def two_versions(db, ctx, clock, deploy):
    """Version 1 (review, then done) with two applications at review, one claimed; version 2 adds an approval step
    after review and a longer reminder timer."""
    deploy(_review(), forms={"apply": APPLY})
    first = start(db, ctx, "pengujian", {"title": "Terumbu karang"})
    second = start(db, ctx, "pengujian", {"title": "Mangrove"})
    clock.advance(timedelta(hours=3))
    (row,) = open_rows(db, first)
    with db.transaction() as session:
        tasks.claim(session, ctx, row.id, VERIFIER)
    deploy(_review(after="approve", timer="P10D"), forms={"apply": APPLY})
    return first, second


def _plan(db, ctx, **mapping) -> migration.Plan:
    with db.transaction() as session:
        plan = migration.default_plan(session, ctx, "pengujian", 1, 2)
    plan.mapping.update(mapping)
    return plan


def _snapshot(db, instance_id: int):
    row = next(r for r in open_rows(db, instance_id) if r.element_id in ("review", "check"))
    app = instance(db, instance_id)
    return {"task_id": row.id, "assignee": row.assignee, "due_at": row.due_at, "created_at": row.created_at,
            "sla_due_at": app.sla_due_at, "next_timer_at": app.next_timer_at}


def test_moved_applications_keep_timer_due_times_clocks_claims_and_take_the_new_steps(db, ctx, clock, two_versions):
    first, second = two_versions
    before = {iid: _snapshot(db, iid) for iid in (first, second)}
    # The verifier had half filled in the first application's review: the draft is kept by the task it belongs to.
    with db.transaction() as session:
        drafts.save(session, ctx, VERIFIER, drafts.scope_for_task(before[first]["task_id"]), [["note", "Separuh"]])
    plan = _plan(db, ctx)
    with db.transaction() as session:
        dry = migration_batch.dry_run(session, ctx, plan)
    assert dry.movable == 2 and dry.by_step() == {"remind_timer": {"movable": 2, "blocked": 0},
                                                  "review": {"movable": 2, "blocked": 0}}
    report = migration_batch.run(db.factory, ctx, plan, actor="analis", note="Perda 2026")
    assert sorted(report.moved) == [first, second] and not report.refused
    for iid in (first, second):
        assert instance(db, iid).definition.version == 2
        assert _snapshot(db, iid) == before[iid]  # same task, same claim, same SLA due, same timer due
    with db.transaction() as session:  # the draft of the task the application is at now, after the move
        restored = drafts.load(session, ctx, VERIFIER, drafts.scope_for_task(_snapshot(db, first)["task_id"]))
    assert restored is not None and ("note", "Separuh") in restored.pairs
    # The timer keeps the due time version 1 gave it (5 days), though version 2 says 10: never restarted.
    assert before[first]["next_timer_at"] == before[first]["created_at"] + timedelta(days=5)
    # Version 2's flow applies from the step the application is at: after review comes the new approval.
    assert "approve" in step(db, ctx, first, "review", VERIFIER)
    clock.advance(timedelta(days=5, seconds=1))
    jobs.fire_timers(db.factory, ctx)
    assert "remind" in [r.element_id for r in open_rows(db, second)]
    with db.transaction() as session:
        (event,) = session.scalars(select(Event).where(Event.instance_id == second, Event.kind == "migrated"))
        assert (event.actor, event.data["from_version"], event.data["to_version"]) == ("analis", 1, 2)
        assert event.data["note"] == "Perda 2026"


def test_a_removed_step_without_mapping_is_refused_and_the_application_left_untouched(db, ctx, deploy, clock):
    deploy(_review(), forms={"apply": APPLY})
    iid = start(db, ctx, "pengujian", {"title": "Padang lamun"})
    deploy(_review(review_id="check"), forms={"apply": APPLY})
    state_before, revision_before = instance(db, iid).state, instance(db, iid).revision
    plan = _plan(db, ctx)
    assert plan.mapping["review"] is None
    with db.transaction() as session:
        (verdict,) = migration_batch.dry_run(session, ctx, plan).verdicts
    assert not verdict.movable and "'review'" in verdict.reasons[0] and "maps it nowhere" in verdict.reasons[0]
    report = migration_batch.run(db.factory, ctx, plan, actor="analis")
    assert report.moved == [] and "'review'" in report.refused[iid]
    assert (instance(db, iid).state, instance(db, iid).revision) == (state_before, revision_before)
    assert instance(db, iid).definition.version == 1
    # Mapped to its new id, it moves: the open row keeps its id and takes the new element.
    row_id = open_rows(db, iid)[0].id
    report = migration_batch.run(db.factory, ctx, _plan(db, ctx, review="check"), actor="analis")
    assert report.moved == [iid]
    (row,) = [r for r in open_rows(db, iid) if r.id == row_id]
    assert row.element_id == "check"
    assert step(db, ctx, iid, "check", VERIFIER) == []
    assert instance(db, iid).status == "completed"


def test_a_new_required_field_of_a_form_already_filled_in_blocks_the_move(db, ctx, deploy):
    deploy(_review(), forms={"apply": APPLY})
    start(db, ctx, "pengujian", {"title": "Padang lamun"})
    deploy(_review(), forms={"apply": APPLY_WITH_PHONE})
    with db.transaction() as session:
        (verdict,) = migration_batch.dry_run(session, ctx, _plan(db, ctx)).verdicts
    assert not verdict.movable and "phone" in verdict.reasons[0] and "application form" in verdict.reasons[0]


def test_a_crash_half_way_keeps_the_batches_written_and_a_second_run_moves_only_the_rest(db, ctx, two_versions,
                                                                                       monkeypatch):
    first, second = two_versions
    real_prepare, calls = migration.prepare, []

    def crashing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the server lost power")
        return real_prepare(*args, **kwargs)

    monkeypatch.setattr(migration, "prepare", crashing)
    with pytest.raises(RuntimeError):
        migration_batch.run(db.factory, ctx, _plan(db, ctx), actor="analis", batch=1)
    assert [instance(db, iid).definition.version for iid in (first, second)] == [2, 1]
    monkeypatch.setattr(migration, "prepare", real_prepare)
    report = migration_batch.run(db.factory, ctx, _plan(db, ctx), actor="analis")
    assert report.moved == [second]
    with db.transaction() as session:
        moves = session.scalars(select(Event.instance_id).where(Event.kind == "migrated")).all()
    assert sorted(moves) == sorted([first, second])  # each moved exactly once


def test_a_crash_after_a_batch_was_written_loses_the_whole_batch_and_the_rerun_moves_it_once(db, ctx, two_versions,
                                                                                            monkeypatch):
    first, second = two_versions
    states = {iid: (instance(db, iid).state, instance(db, iid).revision) for iid in (first, second)}
    real_sync, calls = waiting.sync, []

    def crashing(*args, **kwargs):  # runs after the batch's rows were sent to the database
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the server lost power")
        return real_sync(*args, **kwargs)

    monkeypatch.setattr(waiting, "sync", crashing)
    with pytest.raises(RuntimeError):
        migration_batch.run(db.factory, ctx, _plan(db, ctx), actor="analis")
    for iid in (first, second):  # nothing of the batch is half-written
        assert (instance(db, iid).state, instance(db, iid).revision) == states[iid]
        assert instance(db, iid).definition.version == 1
    monkeypatch.setattr(waiting, "sync", real_sync)
    assert sorted(migration_batch.run(db.factory, ctx, _plan(db, ctx), actor="analis").moved) == [first, second]
    with db.transaction() as session:
        moves = session.scalars(select(Event.instance_id).where(Event.kind == "migrated")).all()
    assert sorted(moves) == [first, second]


@pytest.mark.parametrize("version_2", [_review(after="approve"), _review(sla="P3D")], ids=["new_step", "same_graph"])
def test_one_failing_application_in_a_batch_leaves_the_others_moved_and_itself_untouched(db, ctx, deploy, monkeypatch,
                                                                                         version_2):
    deploy(_review(), forms={"apply": APPLY})
    ids = [start(db, ctx, "pengujian", {"title": title}) for title in ("Terumbu karang", "Mangrove", "Lamun")]
    deploy(version_2, forms={"apply": APPLY})
    victim = ids[1]
    before = {"state": instance(db, victim).state, "revision": instance(db, victim).revision,
              "rows": [(r.id, r.element_id, r.name, r.due_at) for r in open_rows(db, victim)]}
    real_entry = audit.entry

    def refused_row(kind, **fields):  # the database refuses the victim's audit row (kind NOT NULL)
        row = real_entry(kind, **fields)
        return {**row, "kind": None} if fields.get("instance_id") == victim else row

    monkeypatch.setattr(audit, "entry", refused_row)
    real_write, writes = migration.write, []

    def counted(session, ctx, moves):
        writes.append(len(moves))
        return real_write(session, ctx, moves)

    monkeypatch.setattr(migration, "write", counted)
    plan = _plan(db, ctx)
    with db.transaction() as session:
        assert plan.same_graph(session) == (version_2 == _review(sla="P3D"))
    report = migration_batch.run(db.factory, ctx, plan, actor="analis")
    assert report.moved == [ids[0], ids[2]] and list(report.refused) == [victim]
    assert "could not be saved" in report.refused[victim]
    assert writes == [3, 1, 1, 1]  # the batch at once, refused; then one savepoint per application
    assert [instance(db, iid).definition.version for iid in ids] == [2, 1, 2]
    assert instance(db, victim).state == before["state"] and instance(db, victim).revision == before["revision"]
    assert [(r.id, r.element_id, r.name, r.due_at) for r in open_rows(db, victim)] == before["rows"]
    with db.transaction() as session:
        moves = session.scalars(select(Event.instance_id).where(Event.kind == "migrated")).all()
    assert sorted(moves) == [ids[0], ids[2]]
    monkeypatch.setattr(audit, "entry", real_entry)
    assert migration_batch.run(db.factory, ctx, _plan(db, ctx), actor="analis").moved == [victim]
    assert writes[4:] == [1]


def test_a_batch_is_written_at_once(db, ctx, two_versions, monkeypatch):
    real_write, writes = migration.write, []

    def counted(session, ctx, moves):
        writes.append(len(moves))
        return real_write(session, ctx, moves)

    monkeypatch.setattr(migration, "write", counted)
    assert sorted(migration_batch.run(db.factory, ctx, _plan(db, ctx), actor="analis").moved) == list(two_versions)
    assert writes == [2]  # one set of statements for both (the update counted both rows: no fallback)


def test_a_version_with_the_same_graph_is_moved_by_rewriting_the_stored_state(db, ctx, deploy):
    deploy(_review(), forms={"apply": APPLY})
    iid = start(db, ctx, "pengujian", {"title": "Padang lamun"})
    deploy(_review(review_id="check", sla="P3D"), forms={"apply": APPLY})
    before, kept = orjson.loads(instance(db, iid).state)["tasks"], _snapshot(db, iid)
    plan, unmapped = _plan(db, ctx, review="check"), _plan(db, ctx)
    merged = _plan(db, ctx, review="check", remind="check")
    with db.transaction() as session:
        assert plan.same_graph(session)
        assert not unmapped.same_graph(session)  # "review" removed: not the same graph
        assert not merged.same_graph(session)  # two steps into one
    assert migration_batch.run(db.factory, ctx, plan, actor="analis").moved == [iid]
    after = orjson.loads(instance(db, iid).state)["tasks"]
    reached = {task_id for task_id, task in before.items() if not task["state"] & _UNREACHED}
    def named(tasks, task_id):
        return migration.renamed(tasks[task_id]["task_spec"], plan.mapping)

    for task_id in reached:  # kept as they were (same id, state, data, internal data), under the new element names
        assert {**after[task_id], "children": None} == {**before[task_id], "children": None,
                                                        "task_spec": named(before, task_id)}
        assert [named(after, c) for c in after[task_id]["children"]] == [named(before, c)
                                                                         for c in before[task_id]["children"]]
    # The tasks not reached yet are the same tasks under new ids: the text changed, so no process hands out a
    # workflow it kept for the old text (which runs on version 1's spec).
    assert sorted(t["task_spec"] for t in after.values()) == sorted(
        migration.renamed(t["task_spec"], plan.mapping) for t in before.values())
    assert not set(after) & (set(before) - reached)
    assert _snapshot(db, iid) == kept  # same task row, SLA due time and timer due time
    (row,) = open_rows(db, iid)
    assert (row.element_id, instance(db, iid).definition.version) == ("check", 2)
    with db.transaction() as session:  # back the same way, then forward again
        migration.roll_back(session, ctx, session.get(Instance, iid), actor="analis")
    assert _snapshot(db, iid) == kept and open_rows(db, iid)[0].element_id == "review"
    assert orjson.loads(instance(db, iid).state)["tasks"].keys() >= reached
    assert migration_batch.run(db.factory, ctx, _plan(db, ctx, review="check"), actor="analis").moved == [iid]
    assert step(db, ctx, iid, "check", VERIFIER) == []
    assert instance(db, iid).status == "completed"


def test_rollback_while_nothing_happened_and_not_after(db, ctx, two_versions):
    first, second = two_versions
    before = _snapshot(db, first)
    migration_batch.run(db.factory, ctx, _plan(db, ctx), actor="analis")
    with db.transaction() as session:
        migration.roll_back(session, ctx, session.get(Instance, first), actor="analis")
    assert instance(db, first).definition.version == 1 and _snapshot(db, first) == before
    with db.transaction() as session, pytest.raises(Conflict, match="moved back already"):
        migration.roll_back(session, ctx, session.get(Instance, first), actor="analis")
    step(db, ctx, second, "review", VERIFIER)  # a step on version 2
    with db.transaction() as session, pytest.raises(Conflict, match="moved on"):
        migration.roll_back(session, ctx, session.get(Instance, second), actor="analis")
    assert instance(db, second).definition.version == 2


def test_open_steps_count_the_applications_a_change_would_touch(db, ctx, two_versions):
    with db.transaction() as session:
        assert migration_batch.open_steps(session, "pengujian", 1) == {"review": 2}
        assert migration_batch.open_steps(session, "pengujian", 2) == {}
    with db.transaction() as session:
        assert session.scalar(select(Task.id).where(Task.element_id == "review")) is not None
