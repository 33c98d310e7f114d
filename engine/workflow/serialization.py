"""Workflow state <-> text, with the spec stored once per definition ("spec by reference").

The spec is ~57% of SpiffWorkflow's instance JSON and identical for every application of a version, so an instance
stores only its tasks and data; the spec is serialized once at deploy time, restored once per process (cached by
definition id) and handed back on every load. orjson replaces the stdlib codec. The sandboxed script engine is
attached on every load: SpiffWorkflow does not serialize it and would silently fall back to plain ``eval``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from uuid import UUID

import orjson
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.helpers import DefaultRegistry
from SpiffWorkflow.bpmn.serializer.workflow import VERSION, BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

from engine.workflow import plain_tasks, spec_converters

SERIALIZER_VERSION = VERSION

# SpiffWorkflow's serializer takes any object with this key for one of its own typed values ({"typename":
# "datetime", …}, {"typename": "Task", …}): task data holding such an object is saved without complaint and can never
# be loaded again. Form data and script results are refused with it (engine.forms.schemas, engine.sandbox).
RESERVED_KEY = "typename"


def reserved_key_path(value) -> list | None:
    """The path (keys and list indexes) to the first object in ``value`` that has the key ``RESERVED_KEY``, the key
    itself last; ``None`` when there is none."""
    pending = [(value, [])]
    while pending:
        current, path = pending.pop()
        if isinstance(current, dict):
            if RESERVED_KEY in current:
                return [*path, RESERVED_KEY]
            pending.extend((item, [*path, key]) for key, item in current.items() if isinstance(item, dict | list))
        elif isinstance(current, list):
            pending.extend((item, [*path, index]) for index, item in enumerate(current)
                           if isinstance(item, dict | list))
    return None


class _InstanceConverter(BpmnWorkflowConverter):
    """Converts a top-level workflow without its specs; specs come from the definition on restore."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def restore_with_specs(self, dct, spec, subprocess_specs, script_engine=None, *, plain: bool = False):
        """The workflow of ``dct`` on the given specs. ``plain``: its task data and internal data hold only JSON
        values (no ``typename`` object anywhere), so the tasks are rebuilt by ``plain_tasks``, without the
        registry's walk over every value."""
        workflow = self.target_class(spec, subprocess_specs, script_engine=script_engine, deserializing=True)
        if plain:
            workflow.tasks = plain_tasks.restore(dct["tasks"], workflow)
        else:
            workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class StateCodec:
    """Serializes specs (once) and instance states (every step). Thread-safe; one per process is enough."""

    def __init__(self, cache_size: int = 256):
        self.registry = spec_converters.configure(DefaultRegistry())
        self.stock = BpmnWorkflowSerializer(self.registry)
        self._instances = _InstanceConverter(BpmnWorkflow, self.registry)
        self._specs: OrderedDict[object, tuple] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    # -- specs
    def dump_spec(self, spec, subprocess_specs: dict) -> str:
        body = {
            "spec": self.registry.convert(spec),
            "subprocess_specs": {name: self.registry.convert(s) for name, s in subprocess_specs.items()},
        }
        return orjson.dumps(body).decode()

    def load_spec(self, cache_key, spec_json) -> tuple:
        """Return ``(spec, subprocess_specs)``; restored once per cache key (a definition never changes).

        ``spec_json`` may be a callable, so that the (large, deferred) column is read only on a cache miss.
        """
        with self._lock:
            cached = self._specs.get(cache_key)
            if cached is not None:
                self._specs.move_to_end(cache_key)
                return cached
        body = orjson.loads(spec_json() if callable(spec_json) else spec_json)
        restored = (
            self.registry.restore(body["spec"]),
            {name: self.registry.restore(s) for name, s in body["subprocess_specs"].items()},
        )
        with self._lock:
            self._specs[cache_key] = restored
            while len(self._specs) > self._cache_size:
                self._specs.popitem(last=False)
        return restored

    # -- instances
    def dump_state(self, workflow: BpmnWorkflow) -> str:
        if not workflow.subprocesses and not workflow.bpmn_events:
            encoded = plain_tasks.dump(self._instances, workflow)
            if encoded is not None:
                return encoded
        return orjson.dumps(self.registry.convert(workflow)).decode()

    def load_state(self, state: str, spec, subprocess_specs, script_engine) -> BpmnWorkflow:
        dct = orjson.loads(state)
        # The state names its own class and each task's ("typename": "BpmnWorkflow", "Task"); any other typed object,
        # a subprocess or a pending event means the registry must restore it.
        plain = (not dct.get("subprocesses") and not dct.get("bpmn_events")
                 and state.count('"typename"') == 1 + len(dct["tasks"]))
        workflow = self._instances.restore_with_specs(dct, spec, subprocess_specs, script_engine, plain=plain)
        workflow.script_engine = script_engine
        return workflow
