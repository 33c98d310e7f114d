"""Compacting a workflow's history (engine/workflow/compaction.py) changes nothing a step can see.

The equivalence tests run both bundled services' paths — revision loops, the head of office sending a file back,
a boundary timer that does not fire and one that does — twice on the same spec: once as SpiffWorkflow keeps the tree,
once compacted before every save. Task ids come from one counter in both runs, so the same task has the same id in
both. After every step they must agree on the ready and waiting tasks (element, id, data), on completion, the end the
file finished on, the next timer and the final data; and every compacted state must restore to the very tasks
(ids, tree, states, data) it was saved from.
"""

from __future__ import annotations

import dataclasses
import itertools
from datetime import timedelta
from uuid import UUID

import pytest
import SpiffWorkflow.task
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.casework import applications, migration, migration_batch, tasks, use_cases
from engine.config import Settings
from engine.services import definitions
from engine.storage.models import Instance, ServiceDefinition
from engine.workflow import compaction, plain_tasks, runtime
from tests import samples
from tests.engine.conftest import APPLICANT, HEAD, VERIFIER, diagram, fields_form, open_task_rows

RETURN, APPROVE, REJECT, SIGN = "Kembalikan untuk perbaikan", "Setujui", "Tolak", "Tandatangani"
VERIFY_RETURN = ("Task_Verify", {"note": "Lengkapi proposal", "decision": RETURN})
REVISE = ("Task_Revise", samples.REVISION)
VERIFY_APPROVE = ("Task_Verify", {"checklist": samples.CHECKLIST, "note": "Lengkap", "decision": APPROVE})
HEAD_SIGNS = ("Task_Sign", {**samples.SIGNATURE, "decision": SIGN})
HEAD_RETURNS = ("Task_Sign", {"note": "Periksa lagi", "decision": "Kembalikan ke verifikator"})

RECOMMEND_RETURN = ("Task_Recommend", {"note": "Surat ukur kurang", "decision": RETURN})
COMPLETE = ("Task_Complete", samples.REVISION)
RECOMMEND = ("Task_Recommend", {"note": "Lengkap", "decision": "Rekomendasikan"})
INSPECT = ("Task_Inspect", {**samples.INSPECTION, "decision": "Layak"})
REVIEW = ("Task_Review", {"note": "Sesuai", "decision": APPROVE})
VESSEL_HEAD_RETURNS = ("Task_Sign", {"note": "Telaah ulang", "decision": "Kembalikan ke penelaah"})
DAYS_13, DAYS_2 = ("wait", timedelta(days=13)), ("wait", timedelta(days=2))

RESEARCH_PATHS = {
    "no revision": [VERIFY_APPROVE, HEAD_SIGNS],
    "1 revision loop": [VERIFY_RETURN, REVISE, VERIFY_APPROVE, HEAD_SIGNS],
    "10 revision loops, head returns once": [*[VERIFY_RETURN, REVISE] * 10, VERIFY_APPROVE, HEAD_RETURNS,
                                             VERIFY_RETURN, REVISE, VERIFY_APPROVE, HEAD_SIGNS],
    "rejected after 3 loops": [*[VERIFY_RETURN, REVISE] * 3, ("Task_Verify", {"note": "Tidak sesuai",
                                                                               "decision": REJECT})],
}
VESSEL_PATHS = {
    # the 14-day boundary timer waits (13 days pass), does not fire, and is cancelled each time the applicant answers
    "3 revision loops answered in time, head returns to the reviewer": [
        RECOMMEND_RETURN, DAYS_13, COMPLETE, RECOMMEND_RETURN, COMPLETE, RECOMMEND_RETURN, DAYS_13, COMPLETE,
        RECOMMEND, INSPECT, REVIEW, VESSEL_HEAD_RETURNS, REVIEW, ("Task_Sign", {"note": "Sesuai", "decision": SIGN})],
    # the timer fires on the third loop: the interrupted user task is cancelled and the file closes
    "revision not answered on the third loop": [
        RECOMMEND_RETURN, COMPLETE, RECOMMEND_RETURN, DAYS_13, COMPLETE, RECOMMEND_RETURN, DAYS_13, DAYS_2],
    "rejected by the regency after 2 loops": [
        RECOMMEND_RETURN, COMPLETE, RECOMMEND_RETURN, COMPLETE, ("Task_Recommend", {"note": "Ditolak",
                                                                                    "decision": REJECT})],
}


@pytest.fixture
def counted_ids(monkeypatch):
    """``restart()`` makes the next task ids 00000000-…-000000000001, …: the same in every run."""
    counter = {"next": itertools.count(1)}
    monkeypatch.setattr(SpiffWorkflow.task, "uuid4", lambda: UUID(int=next(counter["next"])))

    def restart():
        counter["next"] = itertools.count(1)
    return restart


def _tree(workflow) -> list:
    return [(task.id, task._parent, list(task._children), task._state, task.task_spec.name, task.data,
             task.internal_data) for task in workflow.tasks.values()]


def _seen(workflow) -> dict:
    """What a step can see of a workflow: the tasks that are ready or waiting (element, id, data, due time), whether
    it finished and how, the next timer, the data a finished file keeps."""
    live = workflow.get_tasks(state=TaskState.READY | TaskState.WAITING)
    return {
        "live": [(t.task_spec.name, t.id, t.state, t.data, t.internal_data.get("event_value")) for t in live],
        "completed": workflow.is_completed(), "outcome": runtime.outcome(workflow),
        "next_timer": runtime.next_timer_at(workflow), "data": workflow.data,
        "last_data": workflow.last_task.data if workflow.last_task else None,
    }


def _run(ctx, definition_id: int, start_data: dict, path: list, *, compact: bool, restart_ids, start_at) -> list:
    """Run ``path`` (elements completed with data, or waits) from the start; what a step sees after each step.
    Every step saves the state and continues from it restored, as a server does."""
    restart_ids()
    ctx.clock.set(start_at)
    spec, subprocess_specs = ctx.codec.load_spec(definition_id, None)
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=ctx.script_engine)
    workflow.get_tasks(state=TaskState.READY, spec_name="Start")[0].data.update(start_data)
    runtime.run(ctx, workflow)
    seen = []
    for step in [None, *path]:
        if step is None:
            pass
        elif step[0] == "wait":
            ctx.clock.advance(step[1])
            runtime.run(ctx, workflow, refresh_timers=True)
        else:
            element, data = step
            (task,) = [t for t in runtime.ready_human_tasks(workflow) if t.task_spec.bpmn_id == element]
            runtime.complete_task(ctx, workflow, task.id, dict(data))
        if compact:
            compaction.compact(workflow)
        state = ctx.codec.dump_state(workflow)
        restored = ctx.codec.load_state(state, spec, subprocess_specs, ctx.script_engine)
        assert _tree(restored) == _tree(workflow), "the saved state restores other tasks than it was saved from"
        assert restored.last_task.id == workflow.last_task.id
        workflow = restored
        seen.append((_seen(workflow), len(workflow.tasks), len(state)))
    return seen


def _definition_id(db, ctx, key: str) -> int:
    """The deployed service's definition id, its spec restored into the codec's cache."""
    with db.transaction() as session:
        definition = session.query(ServiceDefinition).filter_by(key=key).one()
        ctx.codec.load_spec(definition.id, definition.spec_json)
        return definition.id


def _start_data(service: str, data: dict) -> dict:
    return {**data, "applicant": "andi", runtime.APPLICATION_FIELD: {
        "registration_no": "DPMPTSP-SULSEL/X/2026/00001", "seq": 1, "year": 2026, "jurisdiction": "sinjai",
        "applicant": "andi", "service": service, "version": 1}}


def _equivalent(db, ctx, counted_ids, service: str, data: dict, path: list) -> tuple[list, list]:
    definition_id = _definition_id(db, ctx, service)
    start, start_at = _start_data(service, data), ctx.clock.now()
    plain = _run(ctx, definition_id, start, path, compact=False, restart_ids=counted_ids, start_at=start_at)
    compacted = _run(ctx, definition_id, start, path, compact=True, restart_ids=counted_ids, start_at=start_at)
    assert len(plain) == len(compacted) == len(path) + 1
    for number, ((seen_plain, _, _), (seen_compacted, _, _)) in enumerate(zip(plain, compacted, strict=True)):
        assert seen_compacted == seen_plain, f"after step {number} of {path[number - 1] if number else 'start'}"
    return plain, compacted


@pytest.mark.parametrize("path", RESEARCH_PATHS.values(), ids=RESEARCH_PATHS.keys())
def test_the_research_permit_runs_the_same_compacted(db, ctx, counted_ids, deploy_service, path):
    deploy_service("research_permit")
    plain, compacted = _equivalent(db, ctx, counted_ids, "research_permit", samples.research_application(), path)
    assert plain[-1][0]["completed"]
    loops = next(number for number in range(len(path)) if path[2 * number:2 * number + 2] != [VERIFY_RETURN, REVISE])
    if loops > 1:  # each time verification waits again, the compacted tree has the same tasks: it no longer grows
        assert len({count for _, count, _ in compacted[2:2 * loops + 1:2]}) == 1
        assert max(count for _, count, _ in compacted) < max(count for _, count, _ in plain)


@pytest.mark.parametrize("path", VESSEL_PATHS.values(), ids=VESSEL_PATHS.keys())
def test_the_fishing_vessel_permit_runs_the_same_compacted(db, ctx, counted_ids, deploy_service, path):
    deploy_service("fishing_vessel_permit")
    plain, compacted = _equivalent(db, ctx, counted_ids, "fishing_vessel_permit", samples.vessel_application(), path)
    assert plain[-1][0]["completed"]
    assert compacted[-1][1] < plain[-1][1]


def test_timers_of_the_compacted_vessel_permit_fire_when_due(db, ctx, counted_ids, deploy_service):
    """The boundary timer of the third pass fires at its own due time, 14 days after that pass's return."""
    deploy_service("fishing_vessel_permit")
    plain, compacted = _equivalent(db, ctx, counted_ids, "fishing_vessel_permit", samples.vessel_application(),
                                   VESSEL_PATHS["revision not answered on the third loop"])
    third_return, thirteen_days_later = compacted[6][0], compacted[7][0]
    assert third_return["next_timer"] == ctx.clock.now() - timedelta(days=1)  # the clock stands 15 days later
    assert [live[0] for live in thirteen_days_later["live"]] == ["Task_Complete", "BoundaryEvent_Deadline"]
    assert compacted[-1][0]["outcome"] == "Berkas ditutup (tidak dilengkapi)"


# -- through the engine: the setting, stored state and what people see


@pytest.fixture
def compacting(ctx):
    """The engine with LINCAH_COMPACT_HISTORY on, whatever its default."""
    ctx.settings = dataclasses.replace(ctx.settings, compact_history=True)
    return ctx


def _application_after_loops(db, ctx, loops: int) -> int:
    with db.transaction() as session:
        instance_id = applications.start(session, ctx, service="research_permit",
                                         data=samples.research_application(), actor=APPLICANT).id
    for _ in range(loops):
        for element, actor, (_, data) in (("Task_Verify", VERIFIER, VERIFY_RETURN), ("Task_Revise", APPLICANT, REVISE)):
            _complete(db, ctx, instance_id, element, actor, data)
    return instance_id


def _complete(db, ctx, instance_id: int, element: str, actor, data: dict) -> str:
    data = dict(data)
    decision = data.pop("decision", None)
    with db.transaction() as session:
        (row,) = [t for t in open_task_rows(session, instance_id) if t.element_id == element]
        tasks.complete(session, ctx, row.id, actor, data, decision=decision)
    return row.id


def _stored(db, ctx, instance_id: int):
    with db.transaction() as session:
        instance = session.get(Instance, instance_id)
        return len(instance.state), runtime.load(ctx, instance)


def test_the_stored_state_stays_flat_over_revision_loops(db, ctx, compacting, deploy_service):
    deploy_service("research_permit")
    one, ten = _application_after_loops(db, ctx, 1), _application_after_loops(db, ctx, 10)
    (size_one, workflow_one), (size_ten, workflow_ten) = _stored(db, ctx, one), _stored(db, ctx, ten)
    assert len(workflow_ten.tasks) == len(workflow_one.tasks)
    assert size_ten < 1.2 * size_one
    # and the file goes on to its permit
    _complete(db, ctx, ten, "Task_Verify", VERIFIER, VERIFY_APPROVE[1])
    _complete(db, ctx, ten, "Task_Sign", HEAD, HEAD_SIGNS[1])
    with db.transaction() as session:
        instance = session.get(Instance, ten)
        assert (instance.status, instance.outcome) == ("completed", "Izin penelitian terbit")
        assert applications.current_data(ctx, instance)["permit_number"]


def test_a_tree_whose_elements_ran_once_is_left_alone_without_walking_the_rules(db, ctx, compacting, deploy_service,
                                                                              monkeypatch):
    deploy_service("research_permit")
    _, first_pass = _stored(db, ctx, _application_after_loops(db, ctx, 0))
    _, looped = _stored(db, ctx, _application_after_loops(db, ctx, 2))
    before = _tree(first_pass)

    def walked(workflow):
        raise AssertionError("the rules were walked for a tree with nothing to remove")

    monkeypatch.setattr(compaction, "_protected", walked)
    assert compaction.compact(first_pass) == 0 and _tree(first_pass) == before
    # Stored compacted, the looped file holds one finished task per element and state; its next verification adds
    # a repeat, which compaction then removes (the flat-state test above holds it to that).
    assert not compaction._has_repeated_passes(looped.tasks)
    verification = next(task for task in looped.get_tasks(state=TaskState.READY, manual=True))
    verification.data.update(VERIFY_RETURN[1])
    verification.run()
    looped.do_engine_steps()
    assert compaction._has_repeated_passes(looped.tasks)


def test_switched_off_the_whole_tree_is_kept(db, ctx, deploy_service, monkeypatch):
    monkeypatch.setenv("LINCAH_COMPACT_HISTORY", "0")
    ctx.settings = Settings.from_env(database_url=ctx.settings.database_url)
    assert not ctx.settings.compact_history
    deploy_service("research_permit")
    (_, one), (_, three) = (_stored(db, ctx, _application_after_loops(db, ctx, loops)) for loops in (1, 3))
    assert len(three.tasks) == len(one.tasks) + 2 * 4  # 4 more tasks per loop: SpiffWorkflow never prunes


def test_a_step_done_in_an_earlier_loop_still_opens_for_the_person_who_did_it(db, ctx, compacting, deploy_service):
    """Its task left the tree: the task view shows the application's data instead (engine.casework.use_cases)."""
    deploy_service("research_permit")
    instance_id = _application_after_loops(db, ctx, 0)
    first = _complete(db, ctx, instance_id, "Task_Verify", VERIFIER, VERIFY_RETURN[1])
    _complete(db, ctx, instance_id, "Task_Revise", APPLICANT, REVISE[1])
    _complete(db, ctx, instance_id, "Task_Verify", VERIFIER, VERIFY_RETURN[1])
    _complete(db, ctx, instance_id, "Task_Revise", APPLICANT, REVISE[1])
    _, workflow = _stored(db, ctx, instance_id)
    assert UUID(first) not in workflow.tasks
    with db.transaction() as session:
        opened = use_cases.open_task(session, ctx, first, VERIFIER)
        assert opened.data["note"] == "Lengkapi proposal"
        assert opened.data["research_title"] == samples.research_application()["research_title"]


# Two checks in parallel, joined, then a decision that may send the file round again: the joins of earlier passes
# and their inputs stay as the library built them (a later pass's join inspects them).
PARALLEL_LOOP = diagram("""
  <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="again"/>
  <bpmn:exclusiveGateway id="again"/><bpmn:sequenceFlow id="f1" sourceRef="again" targetRef="split"/>
  <bpmn:parallelGateway id="split"/>
  <bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="a"/>
  <bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="b"/>
  <bpmn:userTask id="a" camunda:candidateGroups="verifier"/>
  <bpmn:userTask id="b" camunda:candidateGroups="verifier"/>
  <bpmn:sequenceFlow id="f4" sourceRef="a" targetRef="join"/>
  <bpmn:sequenceFlow id="f5" sourceRef="b" targetRef="join"/>
  <bpmn:parallelGateway id="join"/><bpmn:sequenceFlow id="f6" sourceRef="join" targetRef="decide"/>
  <bpmn:userTask id="decide" camunda:candidateGroups="verifier" camunda:formKey="decide"/>
  <bpmn:sequenceFlow id="f7" sourceRef="decide" targetRef="more"/>
  <bpmn:exclusiveGateway id="more" default="f9"/>
  <bpmn:sequenceFlow id="f8" sourceRef="more" targetRef="again">
    <bpmn:conditionExpression>round_again</bpmn:conditionExpression></bpmn:sequenceFlow>
  <bpmn:sequenceFlow id="f9" sourceRef="more" targetRef="e"/>
  <bpmn:endEvent id="e"/>""")
PARALLEL_LOOP_FORMS = {"decide": fields_form(round_again="boolean")}


def test_a_loop_through_parallel_branches_runs_the_same_compacted(db, ctx, counted_ids, deploy):
    deploy(PARALLEL_LOOP, PARALLEL_LOOP_FORMS, name="p.bpmn")
    one_pass = [("a", {"seen_a": 1}), ("b", {"seen_b": 1})]
    path = [*[*one_pass, ("decide", {"round_again": True})] * 4, ("b", {"seen_b": 2}), ("a", {"seen_a": 2}),
            ("decide", {"round_again": False})]
    plain, compacted = _equivalent(db, ctx, counted_ids, "p", {}, path)
    assert plain[-1][0]["completed"] and compacted[-1][1] < plain[-1][1]


def test_nothing_is_removed_while_a_parallel_join_waits(db, ctx, compacting, deploy):
    deploy(PARALLEL_LOOP, PARALLEL_LOOP_FORMS, name="p.bpmn")
    with db.transaction() as session:
        instance_id = applications.start(session, ctx, service="p", data={}, actor=APPLICANT).id
    for element in ("a", "b"):
        _complete(db, ctx, instance_id, element, VERIFIER, {})
    _complete(db, ctx, instance_id, "decide", VERIFIER, {"round_again": True})
    _complete(db, ctx, instance_id, "a", VERIFIER, {})  # the second pass's join waits for b
    _, workflow = _stored(db, ctx, instance_id)
    before = _tree(workflow)
    assert compaction.compact(workflow) == 0 and _tree(workflow) == before
    _complete(db, ctx, instance_id, "b", VERIFIER, {})
    _complete(db, ctx, instance_id, "decide", VERIFIER, {"round_again": False})
    with db.transaction() as session:
        assert session.get(Instance, instance_id).status == "completed"


def test_a_compacted_application_moves_to_a_new_version_and_goes_on(db, ctx, compacting, deploy_service, deploy,
                                                                    processes_dir):
    """Version migration (engine/casework/migration.py) reads the stored tree: a compacted one moves, renamed step
    included, and continues to its permit on the new version."""
    deploy_service("research_permit")
    instance_id = _application_after_loops(db, ctx, 3)
    renamed = (processes_dir / "research_permit.bpmn").read_text(encoding="utf-8").replace("Task_Revise", "Task_Amend")
    with db.transaction() as session:
        definition = session.query(ServiceDefinition).filter_by(key="research_permit").one()
        forms = {key.split("/", 1)[1]: form.schema for key in ("research_permit/apply", "research_permit/verify",
                                                               "research_permit/revise", "research_permit/sign")
                 if (form := definitions.form_of(session, definition, key)) is not None}
    deploy(renamed, {f"research_permit/{key}": schema for key, schema in forms.items()}, name="research_permit.bpmn")
    with db.transaction() as session:
        plan = migration.default_plan(session, ctx, "research_permit", 1, 2)
    plan.mapping["Task_Revise"] = "Task_Amend"
    assert migration_batch.run(db.factory, ctx, plan, actor="analis").moved == [instance_id]
    _complete(db, ctx, instance_id, "Task_Verify", VERIFIER, VERIFY_RETURN[1])
    _complete(db, ctx, instance_id, "Task_Amend", APPLICANT, REVISE[1])
    _complete(db, ctx, instance_id, "Task_Verify", VERIFIER, VERIFY_APPROVE[1])
    _complete(db, ctx, instance_id, "Task_Sign", HEAD, HEAD_SIGNS[1])
    with db.transaction() as session:
        instance = session.get(Instance, instance_id)
        assert (instance.definition.version, instance.status, instance.outcome) == (2, "completed",
                                                                                   "Izin penelitian terbit")


def test_a_compacted_tree_restores_the_same_through_the_serializer_registry(db, ctx, counted_ids, deploy_service):
    """States holding values the fast codec leaves to SpiffWorkflow's registry (dates here) take the registry's
    delta logic (DeepMerge) instead: every kept task restores the data it restores to without compaction."""
    deploy_service("research_permit")
    definition_id = _definition_id(db, ctx, "research_permit")
    spec, subprocess_specs = ctx.codec.load_spec(definition_id, None)
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=ctx.script_engine)
    workflow.get_tasks(state=TaskState.READY, spec_name="Start")[0].data.update(
        _start_data("research_permit", samples.research_application()))
    runtime.run(ctx, workflow)
    for element, data in [VERIFY_RETURN, REVISE] * 4:
        (task,) = [t for t in runtime.ready_human_tasks(workflow) if t.task_spec.bpmn_id == element]
        runtime.complete_task(ctx, workflow, task.id, dict(data))
    for number, task in enumerate(workflow.tasks.values()):  # a date in every task, each its own
        task.data["seen_at"] = ctx.clock.now() + timedelta(hours=number)
    assert plain_tasks.dump(ctx.codec._instances, workflow) is None  # the fast codec leaves dates to the registry
    whole = ctx.codec.load_state(ctx.codec.dump_state(workflow), spec, subprocess_specs, ctx.script_engine)
    before = len(workflow.tasks)
    assert compaction.compact(workflow) > 0 and len(workflow.tasks) < before
    compacted = ctx.codec.load_state(ctx.codec.dump_state(workflow), spec, subprocess_specs, ctx.script_engine)
    assert compacted.tasks.keys() == workflow.tasks.keys()
    for task_id, task in compacted.tasks.items():
        assert (task.data, task.internal_data, task._state) == (whole.tasks[task_id].data,
                                                               whole.tasks[task_id].internal_data,
                                                               whole.tasks[task_id]._state)
