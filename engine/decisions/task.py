"""The business rule task: a step that evaluates a decision table of its own deployment and stores the result.

The table travels inside the task's spec (serialized with the definition's version, like the forms it snapshots), so
an application evaluates the table it was started with even after a new version is deployed, and a step never reads
the database for it. ``camunda:mapDecisionResult`` says what is stored under ``camunda:resultVariable``:

* ``singleEntry`` — the one output value of the one matching rule (``None`` when none matched);
* ``singleResult`` — the one result map (output name → value);
* ``collectEntries`` — the single output's value of every matching rule, as a list;
* ``resultList`` (Camunda's default) — every result map, as a list.

Without a result variable the outputs of the single result are written into the task data under their names (as
SpiffWorkflow and spiff-arena do).
"""

from __future__ import annotations

from SpiffWorkflow.bpmn.serializer.helpers.spec import TaskSpecConverter
from SpiffWorkflow.bpmn.specs.mixins.bpmn_spec_mixin import BpmnSpecMixin

from engine.decisions.evaluation import DecisionFailed, evaluate
from engine.decisions.model import Decision

SINGLE_ENTRY, SINGLE_RESULT, COLLECT_ENTRIES, RESULT_LIST = "singleEntry", "singleResult", "collectEntries", \
    "resultList"
MAPPINGS = (SINGLE_ENTRY, SINGLE_RESULT, COLLECT_ENTRIES, RESULT_LIST)
# What a stored spec names the class by: never change it.
TYPENAME = "LincahBusinessRuleTask"


def map_result(decision: Decision, results: list[dict], mapping: str):
    """``results`` (a list of result maps) shaped as ``mapping`` asks. Raises ``DecisionFailed`` when they do not
    fit (two results for a single one, two outputs for an entry)."""
    if mapping == RESULT_LIST:
        return results
    if mapping in (SINGLE_ENTRY, COLLECT_ENTRIES) and any(len(result) > 1 for result in results):
        raise DecisionFailed(f"Decision {decision.id!r} gives several outputs per result, but the task maps its "
                             f"result with {mapping}, which takes one. Use singleResult or resultList.",
                             {"decision": decision.id})
    if mapping == COLLECT_ENTRIES:
        return [next(iter(result.values()), None) for result in results]
    if len(results) > 1:
        raise DecisionFailed(f"Decision {decision.id!r} gives {len(results)} results, but the task maps its result "
                             f"with {mapping}, which takes one. Use collectEntries or resultList, or change the "
                             "table so that one rule matches.", {"decision": decision.id})
    if not results:
        return None
    if mapping == SINGLE_RESULT:
        return results[0]
    return next(iter(results[0].values()), None)


class DecisionTask(BpmnSpecMixin):
    """A ``bpmn:businessRuleTask`` whose decision Lincah evaluates (``engine.decisions.evaluation``)."""

    def __init__(self, wf_spec, bpmn_id, decision: Decision, result_variable: str | None = None,
                 map_decision_result: str = RESULT_LIST, **kwargs):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.decision = decision
        self.result_variable = result_variable
        self.map_decision_result = map_decision_result

    def _run_hook(self, my_task):
        results = evaluate(self.decision, my_task.data)
        if self.result_variable:
            my_task.data[self.result_variable] = map_result(self.decision, results, self.map_decision_result)
        else:
            single = map_result(self.decision, results, SINGLE_RESULT)
            my_task.data.update(single or {})
        return super()._run_hook(my_task)


class DecisionTaskConverter(TaskSpecConverter):
    def to_dict(self, spec: DecisionTask) -> dict:
        dct = self.get_default_attributes(spec)
        dct.update(decision=spec.decision.to_dict(), result_variable=spec.result_variable,
                   map_decision_result=spec.map_decision_result)
        return dct

    def from_dict(self, dct: dict) -> DecisionTask:
        dct["decision"] = Decision.from_dict(dct["decision"])
        return self.task_spec_from_dict(dct)


def register(registry) -> None:
    """Teach a SpiffWorkflow serializer registry the business rule task."""
    DecisionTaskConverter(DecisionTask, registry, TYPENAME)
