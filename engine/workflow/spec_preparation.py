"""A parsed spec made ready to store: serialized, restored and started once, so that a spec that passes here is one
every application of the version can be started from and saved with.

Lint and deploy both call :func:`prepare` (through ``engine.services.definitions.lint``), so a diagram the linter
accepts is one the deploy stores: a spec class without a converter, a task spec the restore drops (SpiffWorkflow
drops any named ``Root``) or a workflow that cannot be built from the restored spec is found here, on its element,
instead of in the deploy's transaction or the first application's step.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

from engine.workflow.serialization import StateCodec


@dataclass
class Unprepared(Exception):
    """The spec cannot be stored or restored; ``element_id`` names the task spec at fault, when one is."""

    element_id: str | None
    reason: str

    def __str__(self) -> str:
        return self.reason


def prepare(codec: StateCodec, spec, subprocess_specs: dict) -> str:
    """The spec's JSON, as the definition stores it; raise :class:`Unprepared` when it does not survive a round
    trip."""
    try:
        spec_json = codec.dump_spec(spec, subprocess_specs)
    except Exception as exc:  # noqa: BLE001 - located below, by converting one task spec at a time
        raise Unprepared(_unconvertible(codec, [spec, *subprocess_specs.values()]), _reason(exc)) from exc
    body = orjson.loads(spec_json)
    try:
        restored = codec.registry.restore(body["spec"])
        restored_subprocesses = {name: codec.registry.restore(s) for name, s in body["subprocess_specs"].items()}
    except Exception as exc:  # noqa: BLE001
        raise Unprepared(None, f"the stored spec cannot be read back ({_reason(exc)})") from exc
    for original, copy in [(spec, restored), *((s, restored_subprocesses.get(n)) for n, s in
                                               subprocess_specs.items())]:
        lost = [name for name in original.task_specs if copy is None or name not in copy.task_specs]
        if lost:
            task_spec = original.task_specs[lost[0]]
            raise Unprepared(getattr(task_spec, "bpmn_id", None) or lost[0],
                             f"the engine loses {lost[0]!r} when it reads the stored spec back")
    try:
        workflow = BpmnWorkflow(restored, restored_subprocesses)
        codec.load_state(codec.dump_state(workflow), restored, restored_subprocesses, None)
    except Exception as exc:  # noqa: BLE001
        raise Unprepared(None, f"no application can be started from it ({_reason(exc)})") from exc
    return spec_json


def _unconvertible(codec: StateCodec, process_specs: list) -> str | None:
    for process_spec in process_specs:
        for name, task_spec in process_spec.task_specs.items():
            try:
                orjson.dumps(codec.registry.convert(task_spec))
            except Exception:  # noqa: BLE001 - the first one that fails is the one to name
                return getattr(task_spec, "bpmn_id", None) or name
    return None


def _reason(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"
