"""SpiffWorkflow's task map to and from its JSON form, without the serializer registry's generic walk.

Every step of an application loads its task tree and saves it again, and the registry (``DictionaryConverter``)
looks at every value of every task on the way in and out, parses each task id (and its parent's, and its
children's) again, and builds each ``Task`` through a constructor that reads the clock and notifies its parent. For
states whose values are plain JSON — the permit services' are: form fields, file references, decisions — this
module writes and reads exactly the same dictionaries as SpiffWorkflow 3.2.0's ``TaskConverter`` (the version is
pinned; ``tests/engine/test_plain_tasks.py`` compares both on real applications) at a fraction of the cost.
States holding anything else — a value the registry writes as a ``{"typename": …}`` object, a called process
(subprocess), a pending BPMN event — keep the registry, and so does saving a value orjson would write in its own way.
"""

from __future__ import annotations

from uuid import UUID

import orjson
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.specs.StartTask import StartTask
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

_WAITING = TaskState.WAITING


def restore(mapping: dict, workflow) -> dict:
    """The tasks of ``mapping`` (task id → the task's dict, parents before children) in ``workflow``.

    Each task's data is its parent's merged with its own delta, as SpiffWorkflow restores it.
    """
    tasks = workflow.tasks
    specs = workflow.spec.task_specs
    events = workflow.top_workflow.event_manager
    ids: dict[str, UUID] = {}

    def uuid(text: str) -> UUID:
        found = ids.get(text)
        if found is None:
            found = ids[text] = UUID(text)
        return found

    for entry in mapping.values():
        task = Task.__new__(Task)
        task.id = uuid(entry["id"])
        tasks[task.id] = task
        task.workflow = workflow
        parent_id = entry["parent"]
        task._parent = uuid(parent_id) if parent_id is not None else None
        task._children = [uuid(child) for child in entry["children"]]
        task._state = entry["state"]
        task.triggered = entry["triggered"]
        spec = specs.get(entry["task_spec"])
        task.task_spec = spec if spec is not None else StartTask(workflow.spec)
        task.thread_id = Task.thread_id_pool
        task.internal_data = entry["internal_data"]
        task.last_state_change = entry["last_state_change"]
        if isinstance(spec, CatchingEvent) and task._state & _WAITING:
            events.add_task(task)
        delta = entry.get("delta")
        parent = tasks.get(task._parent) if task._parent is not None else None
        if delta and parent is not None:
            data = _inherited(parent.data)
            data.update(delta.get("updates", {}))
            for key in delta.get("deletions", {}):
                data.pop(key, None)
        else:
            data = entry["data"]
        task.data = data
    return tasks


def _inherited(parent_data: dict) -> dict:
    """What ``DeepMerge.merge({}, parent_data)`` returns — a new dict whose dict and list values are shallow copies
    — for plain JSON values, whose containers are exactly ``dict`` and ``list``. The library's general merge
    compares and type-checks every key and was half the cost of restoring a long-running application."""
    return {key: value.copy() if type(value) in _CONTAINERS else value for key, value in parent_data.items()}


_CONTAINERS = (dict, list)


class _NotPlain(Exception):
    """A value that the fast encoding does not write as SpiffWorkflow would: use the registry instead."""


def _refuse(value):
    raise _NotPlain(type(value).__name__)


# Dates, dataclasses and subclasses of built-in types are refused rather than written in orjson's own way.
_STRICT = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS


def dump(converter, workflow) -> str | None:
    """The state of a workflow without subprocesses or events as JSON text, as ``converter`` (the instance
    converter of ``engine.workflow.serialization``) writes it; ``None`` when a value needs the registry."""
    registry = converter.registry
    tasks = workflow.tasks
    # Each id is written up to three times (the task's own, as a parent, as a child): format it once.
    names = {task_id: str(task_id) for task_id in tasks}
    entries = {}
    for task_id, task in tasks.items():
        parent_id = task._parent
        parent = tasks.get(parent_id) if parent_id is not None else None
        if parent is None:
            data, delta = task.data, {}
        else:
            parent_data, own = parent.data, task.data
            data = {}
            updates = {key: own[key] for key in own if key not in parent_data or own[key] != parent_data[key]}
            delta = {"updates": updates, "deletions": [key for key in parent_data if key not in own]}
        name = names[task_id]
        entries[name] = {
            "id": name, "parent": names[parent_id] if parent is not None else None,
            "children": [names.get(child) or str(child) for child in task._children],
            "last_state_change": task.last_state_change,
            "state": task._state, "task_spec": task.task_spec.name, "triggered": task.triggered,
            "internal_data": registry.convert(task.internal_data) if task.internal_data else {},
            "data": data, "delta": delta, "typename": "Task",
        }
    body = {
        "data": registry.convert(registry.clean(workflow.data)), "correlations": workflow.correlations,
        "last_task": str(workflow.last_task.id) if workflow.last_task is not None else None,
        "success": workflow.success, "completed": workflow.completed, "tasks": entries,
        "root": str(workflow.task_tree.id), "subprocesses": {}, "bpmn_events": [], "typename": "BpmnWorkflow",
    }
    try:
        return orjson.dumps(body, default=_refuse, option=_STRICT).decode()
    except (_NotPlain, TypeError):
        return None
