"""The fast task codec (``engine.workflow.plain_tasks``) writes and reads exactly what SpiffWorkflow's registry does.

Every application state below is saved both ways and must be byte for byte the same text; loaded both ways, the
two workflows must have the same tasks (ids, tree, states, specs, data, internal data) and run on identically.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import orjson
import pytest

from engine.casework import applications, tasks
from engine.storage.models import Instance
from engine.workflow import plain_tasks, runtime
from tests import samples
from tests.engine.conftest import APPLICANT, SINJAI_FISHERIES, VERIFIER, open_task_rows

RETURN, APPROVE = "Kembalikan untuk perbaikan", "Setujui"


def _registry_dump(ctx, workflow) -> str:
    return orjson.dumps(ctx.codec.registry.convert(workflow)).decode()


def _registry_load(ctx, state: str, definition_id: int):
    spec, subprocess_specs = ctx.codec.load_spec(definition_id, None)
    return ctx.codec._instances.restore_with_specs(orjson.loads(state), spec, subprocess_specs, ctx.script_engine)


def _tree(workflow) -> list:
    return [(str(t.id), str(t._parent), [str(c) for c in t._children], t.state, t.task_spec.name, t.triggered,
             t.last_state_change, t.data, t.internal_data) for t in workflow.tasks.values()]


def _states(db, ctx, service: str, data: dict, steps) -> list[tuple[str, int]]:
    """The application's stored state after its start and after each step, with its definition id."""
    with db.transaction() as session:
        instance_id = applications.start(session, ctx, service=service, data=data, actor=APPLICANT).id
    seen = []
    for element_id, actor, step_data, decision in [*steps, (None, None, None, None)]:
        with db.transaction() as session:
            instance = session.get(Instance, instance_id)
            seen.append((instance.state, instance.definition_id))
            if element_id is None:
                break
            (row,) = [t for t in open_task_rows(session, instance_id) if t.element_id == element_id]
            tasks.complete(session, ctx, row.id, actor, step_data, decision=decision)
    return seen


@pytest.fixture
def research_states(db, ctx, deploy_service):
    deploy_service("research_permit")
    loop = [("Task_Verify", VERIFIER, {"note": "Lengkapi proposal"}, RETURN),
            ("Task_Revise", APPLICANT, samples.REVISION, None)]
    return _states(db, ctx, "research_permit", samples.research_application(),
                   [*loop * 3, ("Task_Verify", VERIFIER, {"checklist": samples.CHECKLIST, "note": "Lengkap"}, APPROVE)])


def test_saving_writes_the_registrys_text_byte_for_byte(ctx, research_states):
    assert len(research_states) == 8
    for state, definition_id in research_states:
        workflow = _registry_load(ctx, state, definition_id)
        fast = plain_tasks.dump(ctx.codec._instances, workflow)
        assert fast is not None and fast == _registry_dump(ctx, workflow)
        assert fast == state  # and the state the engine stored is that text


def test_loading_rebuilds_the_tasks_the_registry_rebuilds(ctx, research_states):
    for state, definition_id in research_states:
        fast = runtime.load(ctx, _instance(state, definition_id))
        slow = _registry_load(ctx, state, definition_id)
        assert _tree(fast) == _tree(slow)
        assert fast.task_tree.id == slow.task_tree.id and fast.last_task.id == slow.last_task.id
        assert fast.script_engine is ctx.script_engine  # the sandbox, never SpiffWorkflow's plain eval
        assert [t.id for t in runtime.ready_human_tasks(fast)] == [t.id for t in runtime.ready_human_tasks(slow)]


def test_a_loaded_workflow_runs_on_exactly_as_the_registrys(ctx, research_states):
    state, definition_id = research_states[-2]  # waiting at verification after three revision loops
    results = []
    for workflow in (runtime.load(ctx, _instance(state, definition_id)), _registry_load(ctx, state, definition_id)):
        (task,) = runtime.ready_human_tasks(workflow)
        runtime.complete_task(ctx, workflow, task.id,
                              {"checklist": samples.CHECKLIST, "note": "Lengkap", "decision": APPROVE})
        results.append(_registry_dump(ctx, workflow))
    fast, slow = (_without_new_ids(orjson.loads(text)) for text in results)
    assert fast == slow


def _without_new_ids(state: dict) -> dict:
    """The state with task ids replaced by their place in the map (tasks created by a run get random ids) and the
    moments tasks changed state left out."""
    place = {task_id: n for n, task_id in enumerate(state["tasks"])}
    tasks = []
    for entry in state["tasks"].values():
        entry = dict(entry, id=place[entry["id"]], parent=place.get(entry["parent"]),
                     children=[place[c] for c in entry["children"]])
        entry.pop("last_state_change")
        tasks.append(entry)
    return dict(state, tasks=tasks, root=place[state["root"]], last_task=place[state["last_task"]])


def test_values_that_are_not_plain_json_keep_the_registry(ctx, research_states):
    state, definition_id = research_states[0]
    workflow = runtime.load(ctx, _instance(state, definition_id))
    (task,) = runtime.ready_human_tasks(workflow)
    task.data["checked_at"] = datetime(2026, 8, 17, 9, 0, tzinfo=UTC)
    assert plain_tasks.dump(ctx.codec._instances, workflow) is None  # a date: SpiffWorkflow's own way
    text = ctx.codec.dump_state(workflow)
    assert text == _registry_dump(ctx, workflow) and '"checked_at":"2026-08-17T09:00:00+00:00"' in text
    reloaded = _tree(runtime.load(ctx, _instance(text, definition_id)))
    assert reloaded == _tree(_registry_load(ctx, text, definition_id))


def test_a_state_with_a_timer_keeps_its_due_time(db, ctx, deploy_service):
    deploy_service("fishing_vessel_permit")
    states = _states(db, ctx, "fishing_vessel_permit", samples.vessel_application("sinjai"),
                     [("Task_Recommend", SINJAI_FISHERIES, {"note": "Lengkapi"}, "Kembalikan untuk perbaikan")])
    for state, definition_id in states:
        fast = runtime.load(ctx, _instance(state, definition_id))
        assert _tree(fast) == _tree(_registry_load(ctx, state, definition_id))
        assert ctx.codec.dump_state(fast) == state
    # Waiting for the applicant: the 14-day boundary timer keeps its due time, and the scheduler finds it.
    waiting = runtime.load(ctx, _instance(*states[-1]))
    (timer,) = [t for t in waiting.tasks.values() if t.task_spec.bpmn_id == "BoundaryEvent_Deadline"
                and "event_value" in t.internal_data]
    assert runtime.next_timer_at(waiting) == datetime.fromisoformat(timer.internal_data["event_value"])


def _instance(state: str, definition_id: int) -> Instance:
    from engine.workflow.serialization import SERIALIZER_VERSION

    return Instance(state=state, definition_id=definition_id, serializer_version=SERIALIZER_VERSION,
                    registration_no="test")


def test_ids_are_parsed_once_per_load(ctx, research_states):
    state, definition_id = research_states[-1]
    workflow = runtime.load(ctx, _instance(state, definition_id))
    for task in workflow.tasks.values():
        assert isinstance(task.id, UUID)
        assert all(workflow.tasks[child]._parent is task.id for child in task._children)


def test_a_childs_data_is_its_parents_copied_as_the_library_copies_it():
    """The fast copy equals ``DeepMerge.merge({}, …)``: a new dict, dict and list values copied one level deep."""
    from SpiffWorkflow.util.deep_merge import DeepMerge

    parent = {"name": "Andi", "seq": 1, "ok": True, "none": None, "vessel": {"name": "KM Bahari", "crew": [{"n": 1}]},
              "tags": ["a", "b"], "files": [{"id": "att-1"}]}
    library, ours = DeepMerge.merge({}, parent), plain_tasks._inherited(parent)
    assert ours == library == parent
    for key in ("vessel", "tags", "files"):
        assert ours[key] is not parent[key] and library[key] is not parent[key]  # one level copied
    assert ours["vessel"]["crew"] is parent["vessel"]["crew"] and library["vessel"]["crew"] is parent["vessel"]["crew"]
