"""Pre- and post-scripts on any task (spiff-arena's ``spiffworkflow:preScript`` / ``postScript``).

A pre-script runs when the task becomes ready (so a form opens with what it computed), a post-script when the task
completes, before the flow goes on — as SpiffWorkflow's own spiff task classes do. Both run through the workflow's
script engine, the sandbox that runs script tasks, re-attached on every load (``engine.sandbox``).

The scripts live in the task spec's ``extensions`` (stored and restored with it); the behaviour comes from a
subclass of the task's own class, "``Scripted`` + its typename", given only to tasks that have scripts. Every
class the serializer registry knows gets its scripted twin at configuration time (:func:`register`), so a scripted
spec is stored and restored like any other, and a task without scripts keeps its class and stored form.
"""

from __future__ import annotations

import copy

from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.specs.base import TaskSpec
from SpiffWorkflow.util.task import TaskState

PRE_SCRIPT, POST_SCRIPT = "preScript", "postScript"
_PREFIX = "Scripted"


class ScriptHooks:
    """Mixed in before a task spec class: runs the scripts its ``extensions`` hold."""

    def _run_script(self, my_task, key: str) -> None:
        script = (getattr(self, "extensions", None) or {}).get(key)
        if not script:
            return
        try:
            my_task.workflow.script_engine.execute(my_task, script)
        except SpiffWorkflowException as exc:
            my_task._set_state(TaskState.ERROR)
            exc.add_note(f"Error in the {key} of {self.bpmn_id}")
            raise
        except Exception:
            my_task._set_state(TaskState.ERROR)
            raise

    def _update_hook(self, my_task):
        ready = super()._update_hook(my_task)
        if ready:
            self._run_script(my_task, PRE_SCRIPT)
        return ready

    def _on_complete_hook(self, my_task):
        self._run_script(my_task, POST_SCRIPT)
        super()._on_complete_hook(my_task)


_variants: dict[type, type] = {}


def variant_of(cls: type) -> type:
    """The scripted twin of ``cls`` (the same class object every time)."""
    if issubclass(cls, ScriptHooks):
        return cls
    found = _variants.get(cls)
    if found is None:
        found = _variants[cls] = type(f"{_PREFIX}{cls.__name__}", (ScriptHooks, cls), {})
    return found


def attach(task_spec, scripts: dict[str, str]) -> None:
    """Give ``task_spec`` its scripts (``{PRE_SCRIPT: …, POST_SCRIPT: …}``)."""
    task_spec.extensions = {**(getattr(task_spec, "extensions", None) or {}), **scripts}
    task_spec.__class__ = variant_of(type(task_spec))


def register(registry) -> None:
    """Register the scripted twin of every task spec class ``registry`` knows, with a copy of its converter."""
    for cls, typename in list(registry.typenames.items()):
        if not (isinstance(cls, type) and issubclass(cls, TaskSpec)) or issubclass(cls, ScriptHooks):
            continue
        converter = registry.convert_to_dict[typename].args[1].__self__
        twin = copy.copy(converter)
        twin.target_class = variant_of(cls)
        twin.typename = f"{_PREFIX}{typename}"
        registry.register(twin.target_class, twin.to_dict, twin.from_dict, twin.typename)
