"""Keep a workflow's task tree flat in its history: drop the parts of it that can never run again.

SpiffWorkflow never prunes its task tree. Every pass through a loop (a file returned for revision and answered) adds
the loop's tasks again — a research permit waiting at verification holds 15 tasks after one revision loop, 51 after
10 and 211 after 50 (``bench/history_growth.py``) — and every step loads, walks and saves all of them, so a step's
cost and the stored state grow with the file's history.

After a step, before its state is saved (``engine.workflow.runtime.save``), :func:`compact` removes from the
in-memory tree the finished tasks of *earlier* passes that nothing will read again, and keeps exactly what the library
and Lincah still need. Two operations, both on the top-level workflow only:

* **drop** a finished leaf: a CANCELLED one (a boundary timer that did not fire, an event-gateway branch not taken, a
  user task an interrupting timer cancelled) or a COMPLETED one (the join behind a task with boundary events, which
  ends its branch once the task is done): it has no children, so no task inherits data from it;
* **splice out** a COMPLETED task with exactly one child, itself COMPLETED: the child is re-parented to the task's
  parent, in the task's place among its siblings.

A task is never removed when it is protected (:func:`_protected`). The rules, conservative on purpose — each says why:

1. The root, the library's start tasks and start events, end events and the process's end join: the serializer, the
   engine's start and end logic and ``runtime.outcome`` (which end the file finished on) use them.
2. ``workflow.last_task``: saved by id; the step's notifications and letters read its data.
3. The parent of every task that is not finished (ready, waiting, started, predicted, in error): a task inherits its
   data from its parent when it becomes ready; a boundary event asks its parent whether it is attached; a
   multi-instance child finds its loop through its parent.
4. The latest completed and the latest cancelled task of every element (by creation order): only *repeated*
   passes are removed, so the state still shows every element the file passed with its latest data — version
   migration checks what a file passed and the data each done step holds (``engine.casework.migration``), a person
   who completed a step can still open it — and the tree stays bounded by the number of elements, not of passes.
5. Joins that look across the tree — parallel and inclusive gateways and the end join (``UnstructuredJoin``) — with
   their parents: a later pass through such a join inspects every task of its spec and their parents (which inputs
   completed, whose data to merge), so their history is left exactly as the library built it. A structured join
   (the join behind a task with boundary events) only looks up to its own split: for every unfinished one, that
   split (the nearest ancestor of its ``split_task``) and all of the split's children are kept.
6. Subprocesses, call activities and loops (multi-instance, standard loop), with their parents and children: their
   tasks are tied to other workflows' trees and to ids kept in internal data.
7. Triggered tasks (started by an event) are never removed.

Rule 3 and the structured-join half of rule 5 also follow from what a splice requires (a finished parent and one
finished child); they are spelled out so that loosening those conditions later cannot silently break them.

And :func:`compact` does nothing at all while a parallel or inclusive join is pending, while a subprocess is running,
while an event is pending delivery, or when the diagram uses a join this module does not know (a plain ``Join``).

Task ids of every kept task stay the same (task rows, claims, drafts, SLA clocks and timers refer to them). Task data
is unchanged in memory (each task holds its full data); the serializer stores each task's data as a delta against its
parent, which after a splice is the new parent — so the saved state restores the same data for every kept task
(``tests/engine/test_compaction.py`` proves it, and that both services run identically with and without compaction).
"""

from __future__ import annotations

from SpiffWorkflow.bpmn.specs.control import (
    BoundaryEventJoin,
    BpmnStartTask,
    StartEventJoin,
    StartEventSplit,
)
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.specs.Join import Join
from SpiffWorkflow.specs.StartTask import StartTask
from SpiffWorkflow.util.task import TaskState

_COMPLETED = TaskState.COMPLETED
_FINISHED = TaskState.COMPLETED | TaskState.CANCELLED
_PENDING = TaskState.READY | TaskState.WAITING | TaskState.STARTED
# Joins whose only look at the tree is ``find_ancestor(split_task)`` and that split's children (rule 5).
_STRUCTURED_JOINS = (BoundaryEventJoin, StartEventJoin)
# A process's own start and end: kept wherever they are (rule 1). The end join is an UnstructuredJoin (rule 5).
_START_OR_END = (StartTask, BpmnStartTask, StartEvent, StartEventSplit, StartEventJoin, EndEvent)
# In a task spec's extensions: this step ends its path (engine.workflow.runtime.ENDS_PATH; named here, not imported,
# because runtime imports this module).
_ENDS_PATH = "lincah:endEvent"


def compact(workflow) -> int:
    """Remove the tasks of ``workflow`` that can never run again and that nothing reads; return how many."""
    if not _has_repeated_passes(workflow.tasks) or not _safe_to_compact(workflow):
        return 0
    tasks = workflow.tasks
    protected = _protected(workflow)
    removed = 0
    # Leaves first: a split whose untaken branches are gone is left with the one child it went on with.
    for task in list(tasks.values()):
        if task._state & _FINISHED and not task._children and task.id not in protected:
            parent = tasks.get(task._parent) if task._parent is not None else None
            if parent is not None and parent._state == _COMPLETED:
                parent._children.remove(task.id)
                del tasks[task.id]
                removed += 1
    for task in list(tasks.values()):
        if task._state != _COMPLETED or task.id in protected or len(task._children) != 1:
            continue
        parent = tasks.get(task._parent) if task._parent is not None else None
        child = tasks.get(task._children[0])
        if parent is None or parent._state != _COMPLETED or child is None or child._state != _COMPLETED:
            continue
        _splice(tasks, parent, task, child)
        removed += 1
    return removed


def _has_repeated_passes(tasks: dict) -> bool:
    """Whether some element has two finished tasks in the same state. Only those can go: rule 4 keeps the latest of
    each, and both operations remove finished tasks only. Most steps of a permit pass each element once, and this
    look (a few µs) spares them the rules' walk over the tree (about 30 µs)."""
    seen = set()
    for task in tasks.values():
        if task._state & _FINISHED:
            key = (task.task_spec.name, task._state)
            if key in seen:
                return True
            seen.add(key)
    return False


def _splice(tasks: dict, parent, task, child) -> None:
    """``child`` takes ``task``'s place among ``parent``'s children; ``task`` leaves the tree."""
    siblings = parent._children
    siblings[siblings.index(task.id)] = child.id
    child._parent = parent.id
    del tasks[task.id]


def _safe_to_compact(workflow) -> bool:
    """Whether the tree is in a shape these rules were made for (see the module's last paragraph)."""
    if workflow.bpmn_events or any(not sub.completed for sub in workflow.subprocesses.values()):
        return False
    for spec in workflow.spec.task_specs.values():
        if isinstance(spec, Join) and not isinstance(spec, (UnstructuredJoin, *_STRUCTURED_JOINS)):
            return False  # a plain Join counts its inputs' tasks across the whole tree, old passes included
    for task in workflow.tasks.values():
        if task._state & _PENDING and isinstance(task.task_spec, UnstructuredJoin) and task.task_spec.name != "End":
            return False  # a parallel or inclusive gateway is waiting for its inputs
    return True


def _protected(workflow) -> set:
    """Ids of the tasks that must stay (the rules of the module's docstring, by number)."""
    tasks = workflow.tasks
    keep = {workflow.task_tree.id}  # 1
    if workflow.last_task is not None:
        keep.add(workflow.last_task.id)  # 2
    latest = {}
    for task in tasks.values():
        spec = task.task_spec
        parent_id = task._parent
        if not task._state & _FINISHED:
            if parent_id is not None:
                keep.add(parent_id)  # 3
            if isinstance(spec, _STRUCTURED_JOINS):
                split = task.find_ancestor(spec.split_task)
                if split is not None:  # 5: the split this join will look at, with all its branches
                    keep.add(split.id)
                    keep.update(split._children)
        else:
            latest[spec.name, task._state] = task.id  # 4: the last one wins
        if isinstance(spec, _START_OR_END) or (getattr(spec, "extensions", None) or {}).get(_ENDS_PATH):
            keep.add(task.id)  # 1
        if isinstance(spec, UnstructuredJoin | SubWorkflowTask | LoopTask) or task.triggered:
            keep.add(task.id)  # 5, 6, 7
            if parent_id is not None:
                keep.add(parent_id)
            if isinstance(spec, SubWorkflowTask | LoopTask):
                keep.update(task._children)  # 6: a loop's instances, a subprocess's next step
        if parent_id is not None and isinstance(getattr(tasks.get(parent_id), "task_spec", None), LoopTask):
            keep.add(task.id)  # 6: an instance of a loop
    keep.update(latest.values())
    return keep
