"""Multi-instance activities, written the Camunda 7 way or the standard BPMN way, on any kind of task.

Camunda Modeler writes ``camunda:collection="items" camunda:elementVariable="item"``; other tools write the standard
``loopDataInputRef`` / ``inputDataItem`` (and ``loopDataOutputRef`` / ``outputDataItem`` to collect one result per
item). SpiffWorkflow's Camunda parser reads only the first, and only on the elements it overrides (user tasks,
plain and manual tasks, sub-processes, call activities); its script task reads only the second; and its Camunda
multi-instance classes rewrite their own spec while they run (a spec shared by every application of a version).
Here both notations are read on every activity and become the library's standard multi-instance specs (with the
item kept in its instance: ``engine.workflow.multi_instance_specs``):

- ``camunda:collection`` (a variable name, or ``${name}``) is the list to repeat over, ``camunda:elementVariable``
  the variable that holds each item in its instance — as in Camunda 7, what the instances write goes back into the
  process data, and no output list is collected unless the standard output references ask for one;
- ``loopCardinality`` repeats a number of times (the instance's index is its item);
- ``completionCondition`` ends the loop early, evaluated after each instance (JUEL is translated like conditions).

The checks below run before the parser, so an analyst reads what is missing in Lincah's words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.specs.data_spec import TaskDataReference

from engine.bpmn.expressions import juel_to_python, placeholder_name
from engine.bpmn.names import camunda, is_bpmn, label, xpath
from engine.bpmn.problems import ProblemList
from engine.texts import N_, Text
from engine.workflow.multi_instance_specs import LincahParallelMultiInstanceTask, LincahSequentialMultiInstanceTask

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Camunda's own loop variables, which the engine does not provide.
_CAMUNDA_LOOP_VARIABLES = re.compile(r"\b(nrOfInstances|nrOfActiveInstances|nrOfCompletedInstances|loopCounter)\b")


@dataclass
class Loop:
    """What a ``multiInstanceLoopCharacteristics`` element asks for, in either notation."""

    sequential: bool
    cardinality: str | None
    data_input: str | None
    input_item: str | None
    data_output: str | None
    output_item: str | None
    condition: str | None
    camunda_collection: str | None  # as written, to quote it in a problem

    @classmethod
    def of(cls, characteristics) -> Loop:
        def text(path: str) -> str | None:
            found = xpath(characteristics, f"./bpmn:{path}")
            value = (found[0].text or "").strip() if found else ""
            return value or None

        def item(path: str) -> str | None:
            found = xpath(characteristics, f"./bpmn:{path}")
            return (found[0].get("id") or "").strip() or None if found else None

        collection = (characteristics.get(camunda("collection")) or "").strip() or None
        cardinality = text("loopCardinality")
        condition = text("completionCondition")
        return cls(
            sequential=(characteristics.get("isSequential") or "").strip().lower() == "true",
            cardinality=juel_to_python(cardinality) if cardinality else None,
            data_input=text("loopDataInputRef") or (placeholder_name(collection) or collection),
            input_item=item("inputDataItem") or (characteristics.get(camunda("elementVariable")) or "").strip()
            or None,
            data_output=text("loopDataOutputRef"),
            output_item=item("outputDataItem"),
            condition=juel_to_python(condition) if condition else None,
            camunda_collection=collection,
        )


class MultiInstanceParsing:
    """Mixed into every task parser of :class:`engine.bpmn.parser.LincahParser`."""

    def _add_multiinstance_task(self, loop_characteristics):
        loop = Loop.of(loop_characteristics)
        if loop.cardinality is None and loop.data_input is None:
            self.raise_validation_exception("multi-instance without a collection or a cardinality")
        original = self.spec.task_specs.pop(self.task.name)
        params = {
            "task_spec": "",
            "cardinality": loop.cardinality,
            "data_input": _reference(loop.data_input),
            "data_output": _reference(loop.data_output),
            "input_item": _reference(loop.input_item),
            "output_item": _reference(loop.output_item),
            "condition": loop.condition,
        }
        if loop.sequential:
            self.task = LincahSequentialMultiInstanceTask(self.spec, original.name,
                                                          description="Sequential MultiInstance", **params)
        else:
            self.task = LincahParallelMultiInstanceTask(self.spec, original.name, description="Parallel MultiInstance",
                                                        **params)
        self._copy_task_attrs(original, loop_characteristics)


def _reference(name: str | None) -> TaskDataReference | None:
    return TaskDataReference(name) if name else None


def everywhere(parser_classes: dict) -> dict:
    """``{tag: (parser class, spec class)}`` with every task parser taught both notations."""
    taught = {}
    for tag, (parser_class, spec_class) in parser_classes.items():
        if isinstance(parser_class, type) and issubclass(parser_class, TaskParser) \
                and not issubclass(parser_class, MultiInstanceParsing):
            parser_class = type(parser_class.__name__, (MultiInstanceParsing, parser_class), {})
        taught[tag] = (parser_class, spec_class)
    return taught


def check_loops(process, problems: ProblemList, filename: str, check_expression) -> None:
    """Multi-instance and standard loops: what to repeat over, names that are variables, conditions that compile."""
    for characteristics in xpath(process, ".//bpmn:multiInstanceLoopCharacteristics"):
        _check_multi_instance(characteristics.getparent(), Loop.of(characteristics), problems, filename,
                              check_expression)
    for characteristics in xpath(process, ".//bpmn:standardLoopCharacteristics"):
        activity = characteristics.getparent()
        condition = xpath(characteristics, "./bpmn:loopCondition")
        maximum = (characteristics.get("loopMaximum") or "").strip()
        if not condition and not maximum:
            problems.error("loop_unbounded", N_("Loop on %(name)s says neither when to stop (loop condition) nor how "
                                                "often at most (loopMaximum). Set one of them, or remove the loop "
                                                "marker."), node=activity, file=filename,
                           params={"name": label(activity)})
        elif maximum and not maximum.isdigit():
            problems.error("loop_maximum", N_("loopMaximum of %(name)s is %(value)s; write a whole number."),
                           node=activity, file=filename, params={"name": label(activity), "value": repr(maximum)})
        if condition and (condition[0].text or "").strip():
            _check_code(juel_to_python(condition[0].text), activity, Text(N_("loop condition")), problems, filename,
                        check_expression)


def _check_multi_instance(activity, loop: Loop, problems: ProblemList, filename: str, check_expression) -> None:
    if not is_bpmn(activity):
        return
    where = {"name": label(activity)}
    if loop.cardinality is None and loop.data_input is None:
        problems.error("multi_instance_input", N_("Multi-instance %(name)s does not say what to repeat over. Set "
                                                  "camunda:collection to the variable holding the list (and "
                                                  "camunda:elementVariable to the name each instance gives its "
                                                  "item), or a loop cardinality (how many times), or "
                                                  "loopDataInputRef and inputDataItem."),
                       node=activity, file=filename, params=where)
        return
    if loop.cardinality is not None and loop.data_input is not None:
        problems.error("multi_instance_input", N_("Multi-instance %(name)s has both a loop cardinality and a "
                                                  "collection; keep one of them."), node=activity, file=filename,
                       params=where)
    names = [(N_("collection"), loop.data_input), (N_("element variable"), loop.input_item),
             (N_("output collection (loopDataOutputRef)"), loop.data_output), (N_("output item"), loop.output_item)]
    for what_name, value in names:
        if value is not None and not _NAME.fullmatch(value):
            shown = loop.camunda_collection if what_name == "collection" and loop.camunda_collection else value
            problems.error("multi_instance_name", N_("The %(what)s of %(name)s is %(value)s; it must be the name of a "
                                                     "process variable (letters, digits and '_', e.g. items or "
                                                     "${items})."), node=activity, file=filename,
                           params={**where, "what": Text(what_name), "value": repr(shown)})
    if (loop.data_output is None) != (loop.output_item is None):
        problems.error("multi_instance_output", N_("Multi-instance %(name)s names only one of loopDataOutputRef and "
                                                   "outputDataItem: give both (the list that collects the results "
                                                   "and the variable each instance sets) or neither."),
                       node=activity, file=filename, params=where)
    if loop.cardinality is not None:
        _check_code(loop.cardinality, activity, Text(N_("loop cardinality")), problems, filename, check_expression)
    if loop.condition is not None:
        _check_code(loop.condition, activity, Text(N_("completion condition")), problems, filename, check_expression)


def _check_code(code: str, activity, what: Text, problems: ProblemList, filename: str, check_expression) -> None:
    camunda_variables = _CAMUNDA_LOOP_VARIABLES.findall(code)
    where = {"what": what, "name": label(activity)}
    if camunda_variables:
        problems.error("multi_instance_variables", N_("The %(what)s of %(name)s uses Camunda's %(variable)s, which "
                                                      "Lincah does not provide. Write it over the process data (e.g. "
                                                      "a variable the instances set)."), node=activity,
                       file=filename, params={**where, "variable": camunda_variables[0]})
        return
    message = check_expression(code)
    if message:
        problems.error("code_invalid", N_("The %(what)s of %(name)s is not allowed or does not compile: %(code)s — "
                                          "%(reason)s."), node=activity, file=filename,
                       params={**where, "code": repr(code), "reason": message})
