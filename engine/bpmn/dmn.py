"""DMN files deployed with a diagram (or alone): loaded by the hardened XML loader, read into decision tables by
``engine.decisions``, their problems located like a diagram's (file, line, decision or rule id)."""

from __future__ import annotations

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.camunda.parser.task_spec import CamundaTaskParser

from engine.bpmn.names import CAMUNDA_NS
from engine.bpmn.problems import ProblemList
from engine.bpmn.xml import load_xml
from engine.decisions import Decision, is_dmn, requirements
from engine.decisions.reader import DecisionFile, Located, read_file
from engine.decisions.requirements import Linked
from engine.decisions.task import MAPPINGS, RESULT_LIST
from engine.texts import N_


def read_files(files: list[tuple[str, bytes | str]], problems: ProblemList, max_bytes: int) -> dict[str, Decision]:
    """The decisions of ``files`` (name, content) by id; every problem goes to ``problems``."""
    return read_deployment(files, problems, max_bytes).decisions


def read_deployment(files: list[tuple[str, bytes | str]], problems: ProblemList, max_bytes: int) -> Linked:
    """The decisions of the DMN files deployed together, by id, each with its file: a decision may require one
    of another of these files (``engine.decisions.requirements``). Every problem goes to ``problems``."""
    read: list[DecisionFile] = []
    for name, data in files:
        tree = load_xml(data, name, problems, max_bytes)
        if tree is None:
            continue
        found, located = read_file(tree.getroot(), name)
        for problem in located:
            _add(problems, name, problem)
        read.append(found)
    _duplicates(read, problems)
    unresolved: list[tuple[str, Located]] = []
    linked = requirements.link(read, unresolved)
    for name, problem in unresolved:
        _add(problems, name, problem)
    return linked


def _add(problems: ProblemList, name: str, problem: Located) -> None:
    # cell_id: the cell (or column) of the rule the problem is in, which the table editor marks
    problems.add(problem.severity, problem.code, problem.message, file=name, line=problem.line,
                 element_id=problem.element_id, message_id=problem.message_id,
                 **({"cell_id": problem.cell_id} if problem.cell_id else {}))


def _duplicates(read: list[DecisionFile], problems: ProblemList) -> None:
    """A decision id held twice: refused at the second file, naming both (a key names one decision)."""
    where: dict[str, str] = {}
    for found in read:
        for decision in found.decisions:
            if decision.id in where:
                problems.error("decision_duplicate", N_("Decision %(id)s is in both %(first)s and %(second)s; a "
                                                        "deployment may hold each decision id once."),
                               file=found.name, element_id=decision.id,
                               params={"id": repr(decision.id), "first": where[decision.id], "second": found.name})
            else:
                where[decision.id] = found.name


def looks_like_dmn(data: bytes | str) -> bool:
    """A quick look at the start of a file: is it a DMN document (for uploads that do not say)?"""
    head = data[:4096] if isinstance(data, bytes) else data[:4096].encode()
    return b"omg.org/spec/DMN" in head and b"spec/BPMN" not in head


class BusinessRuleTaskParser(CamundaTaskParser):
    """``bpmn:businessRuleTask`` with ``camunda:decisionRef`` → ``engine.decisions.task.DecisionTask`` carrying the
    table of the same deployment (``LincahParser.add_decisions``). SpiffWorkflow's own parser crashed with
    ``KeyError`` on a task without a reference; here every gap is a located ``ValidationException``."""

    def create_task(self):
        reference = (self.get_decision_ref(self.node) or "").strip()
        decisions = self.process_parser.parser.decisions
        if reference not in decisions:
            # The wording the compiler already turns into a located, translated problem (engine.bpmn.executable).
            raise ValidationException(f'No DMN Diagram available with id "{reference}", Available DMN ids are: '
                                      f"{', '.join(sorted(decisions))}", node=self.node, file_name=self.filename)
        mapping = (self.node.get(f"{{{CAMUNDA_NS}}}mapDecisionResult") or RESULT_LIST).strip()
        if mapping not in MAPPINGS:
            raise ValidationException(f"camunda:mapDecisionResult {mapping!r} is none of {', '.join(MAPPINGS)}",
                                      node=self.node, file_name=self.filename)
        result_variable = (self.node.get(f"{{{CAMUNDA_NS}}}resultVariable") or "").strip() or None
        return self.spec_class(self.spec, self.bpmn_id, decision=decisions[reference],
                               result_variable=result_variable, map_decision_result=mapping,
                               **self.bpmn_attributes)

    @staticmethod
    def get_decision_ref(node) -> str | None:
        return node.get(f"{{{CAMUNDA_NS}}}decisionRef")


__all__ = ["BusinessRuleTaskParser", "is_dmn", "looks_like_dmn", "read_deployment", "read_files"]
