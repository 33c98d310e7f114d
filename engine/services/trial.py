"""A test run (*uji coba*) of a definition — usually a draft — entirely in memory.

The analyst gives sample start data and, step by step, the decision (and optionally data) of each human task; the
engine runs the real compiled spec in the real sandbox, and the trial reports the path taken, the tasks waiting now
and how the run ended. Nothing is written: no application, no registration number, no task rows, no audit.

A trial is *replayed* from its inputs on every call (``run(…, steps)``), so the web page keeps no server-side state
between clicks and two analysts can try the same draft at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from SpiffWorkflow.util.task import TaskState

from engine.bpmn.rewrite import DECISION_FIELD
from engine.errors import InvalidInput, LincahError, ProcessError
from engine.forms import schemas
from engine.storage.models import ServiceDefinition
from engine.workflow import runtime
from engine.workflow.runtime import APPLICATION_FIELD

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

MAX_STEPS = 200
_VISIBLE_KINDS = ("UserTask", "ManualTask", "ScriptTask", "ServiceTask", "ExclusiveGateway", "InclusiveGateway",
                  "ParallelGateway", "EventBasedGateway", "EndEvent", "IntermediateCatchEvent",
                  "IntermediateThrowEvent", "BoundaryEvent", "CallActivity", "SubWorkflowTask", "StartEvent")


@dataclass(frozen=True)
class TrialStep:
    """What the analyst chose at one human task."""

    element_id: str
    decision: str | None = None
    data: dict = field(default_factory=dict)


@dataclass
class WaitingTask:
    element_id: str
    name: str
    decisions: list[str]
    form_key: str | None
    who: str


@dataclass
class TrialResult:
    path: list[dict]  # every element passed, in order: {"element_id", "name", "kind", "decision"}
    waiting: list[WaitingTask]
    finished: bool
    outcome: str | None
    data: dict  # the workflow data now (what the next step's scripts and conditions see)
    start_errors: dict[str, str]  # the sample data checked against the start form (the run goes on regardless)
    error: str | None = None  # the engine's refusal: what failed and where
    error_element: str | None = None

    @property
    def visited(self) -> list[str]:
        return [p["element_id"] for p in self.path]


def sample_start_data(definition: ServiceDefinition, start_form: schemas.Form | None) -> dict:
    """A plausible start form: defaults, first choices, examples; a stand-in reference for every upload."""
    if start_form is None:
        return {}
    return _sample(start_form.schema) or {}


def _sample(schema: dict, name: str = ""):
    if not isinstance(schema, dict):
        return None
    if "default" in schema:
        return schema["default"]
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for keyword in ("oneOf", "anyOf"):
        if schema.get(keyword) and isinstance(schema[keyword][0], dict):
            return _sample(schema[keyword][0], name)
    if schema.get("examples"):
        return schema["examples"][0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if schema.get("format") == schemas.ATTACHMENT_FORMAT:
        return {"id": f"trial-{name or 'file'}", "name": f"{name or 'file'}.pdf"}
    if kind == "object" or "properties" in schema:
        return {key: _sample(sub, key) for key, sub in (schema.get("properties") or {}).items()
                if key in (schema.get("required") or []) or sub.get("default") is not None}
    if kind == "array":
        items = schema.get("items") or {}
        count = max(int(schema.get("minItems") or 0), 1 if items.get("format") == schemas.ATTACHMENT_FORMAT else 0)
        return [_sample(items, name) for _ in range(count)]
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        value = schema.get("minimum", schema.get("exclusiveMinimum", 0) + (1 if "exclusiveMinimum" in schema else 0))
        return int(value) if kind == "integer" else value
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "date":
            return "2026-07-01"
        if fmt == "date-time":
            return "2026-07-01T09:00:00+08:00"
        if fmt == "email":
            return "contoh@example.id"
        length = int(schema.get("minLength") or 0)
        return ("contoh " + name).strip().ljust(length, "x") if not schema.get("pattern") else ""
    return None


def run(ctx: EngineContext, definition: ServiceDefinition, start_form: schemas.Form | None, start_data: dict,
        steps: list[TrialStep]) -> TrialResult:
    """Start ``definition`` in memory with ``start_data`` and apply ``steps`` in order.

    Raises ``InvalidInput`` when a step names a task that is not waiting or a decision it does not offer (the
    analyst's inputs no longer fit the diagram). A failure inside the process (a script, a condition) does not
    raise: it ends the run and is reported in ``error`` with its element.
    """
    if not isinstance(start_data, dict):
        raise InvalidInput("The sample data must be a JSON object of form fields.",
                           {"start_data": "Write a JSON object, e.g. {\"name\": \"…\"}."})
    if len(steps) > MAX_STEPS:
        raise InvalidInput(f"A trial has at most {MAX_STEPS} steps.", {"steps": "Start the trial again."})
    start_errors = schemas.field_errors(start_form.schema if start_form is not None else None, start_data)
    tasks_meta = (definition.meta or {}).get("tasks") or {}
    workflow = runtime.new_workflow(ctx, definition)
    data = dict(start_data)
    now = ctx.now()
    data[APPLICATION_FIELD] = {"registration_no": f"UJI-COBA/{definition.key}/{now.year}/00001", "seq": 1,
                               "year": now.year, "jurisdiction": ctx.settings.default_jurisdiction,
                               "applicant": "uji-coba", "service": definition.key, "version": definition.version,
                               "trial": True}
    data.setdefault("applicant", "uji-coba")
    starts = workflow.get_tasks(state=TaskState.READY, spec_name="Start")
    (starts[0] if starts else workflow.task_tree).data.update(data)
    decisions_taken: dict[str, list[str]] = {}
    error = error_element = None
    try:
        runtime.run(ctx, workflow)
        for step in steps:
            task = _waiting(workflow, step.element_id)
            choices = list((tasks_meta.get(step.element_id) or {}).get("decisions") or [])
            payload = dict(step.data or {})
            if choices:
                if step.decision not in choices:
                    raise InvalidInput(f"Choose one of {', '.join(choices)} for {step.element_id!r}.",
                                       {"decision": f"Choose one of: {', '.join(choices)}."})
                payload[DECISION_FIELD] = step.decision
            decisions_taken.setdefault(step.element_id, []).append(step.decision or "")
            runtime.complete_task(ctx, workflow, task.id, payload)
    except ProcessError as exc:
        error, error_element = exc.message, exc.element_id
    except InvalidInput:
        raise
    except LincahError as exc:
        error = exc.message
    return TrialResult(
        path=_path(workflow, decisions_taken), waiting=_waiting_tasks(workflow, tasks_meta),
        finished=workflow.is_completed(), outcome=runtime.outcome(workflow),
        data=_plain(workflow.last_task.data if workflow.last_task else data), start_errors=start_errors,
        error=error, error_element=error_element)


def _waiting(workflow, element_id: str):
    for task in runtime.ready_human_tasks(workflow):
        if task.task_spec.bpmn_id == element_id:
            return task
    waiting = ", ".join(t.task_spec.bpmn_id for t in runtime.ready_human_tasks(workflow)) or "none"
    raise InvalidInput(f"Task {element_id!r} is not waiting in this trial (waiting: {waiting}). Start the trial "
                       "again.", {"element_id": "This task is not waiting."})


def _path(workflow, decisions_taken: dict[str, list[str]]) -> list[dict]:
    done = [t for t in workflow.get_tasks(state=TaskState.COMPLETED)
            if t.task_spec.bpmn_id and type(t.task_spec).__name__ in _VISIBLE_KINDS]
    done.sort(key=lambda t: t.last_state_change)
    used = {key: list(values) for key, values in decisions_taken.items()}
    path = []
    for task in done:
        element_id = task.task_spec.bpmn_id
        decision = used[element_id].pop(0) if used.get(element_id) else None
        path.append({"element_id": element_id, "name": task.task_spec.bpmn_name or element_id,
                     "kind": type(task.task_spec).__name__, "decision": decision or None})
    return path


def _waiting_tasks(workflow, tasks_meta: dict) -> list[WaitingTask]:
    found = []
    for task in runtime.ready_human_tasks(workflow):
        meta = tasks_meta.get(task.task_spec.bpmn_id) or {}
        who = meta.get("lane") or ", ".join(meta.get("candidate_groups") or []) or (
            "pemohon" if meta.get("for_applicant") else "")
        found.append(WaitingTask(task.task_spec.bpmn_id, task.task_spec.bpmn_name or task.task_spec.bpmn_id,
                                 list(meta.get("decisions") or []), meta.get("form_key"), who))
    return found


def _plain(data: dict) -> dict:
    """The workflow data as JSON-friendly values (dates and other objects as text)."""
    def convert(value):
        if isinstance(value, dict):
            return {str(k): convert(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [convert(v) for v in value]
        if value is None or isinstance(value, bool | int | float | str):
            return value
        return str(value)

    return convert(data)
