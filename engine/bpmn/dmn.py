"""DMN files deployed with a diagram (or alone): loaded by the hardened XML loader, read into decision tables by
``engine.decisions``, their problems located like a diagram's (file, line, decision or rule id)."""

from __future__ import annotations

from collections.abc import Callable

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


MAX_DEPLOYED_FILES = 20  # stored files read to resolve one deployment's requirements (each may require more)


def read_deployment(files: list[tuple[str, bytes | str]], problems: ProblemList, max_bytes: int,
                    deployed: Callable[[str], tuple[str, str] | None] | None = None) -> Linked:
    """The decisions of the DMN files deployed together, by id, each with its file: a decision may require one
    of another of these files (``engine.decisions.requirements``). Every problem goes to ``problems``.

    ``deployed`` (tables deployed alone, by key): the stored file (name, text) of the latest version of a decision
    id, or None. A decision these files require but do not hold is then taken from it, as deployed — so an analyst
    may change one table of a requirements graph split over several files and deploy that file alone. Only the
    uploaded files' decisions are in the result; a stored file's are its requirements' snapshot."""
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
    uploaded = {found.name for found in read}
    if deployed is not None:
        read += _deployed_requirements(read, deployed, max_bytes)
    unresolved: list[tuple[str, Located]] = []
    linked = requirements.link(read, unresolved)
    for name, problem in unresolved:
        _add(problems, name, problem)
    for decision_id in [key for key, name in linked.files.items() if name not in uploaded]:
        del linked.decisions[decision_id], linked.files[decision_id]
    return linked


def _deployed_requirements(read: list[DecisionFile], deployed: Callable[[str], tuple[str, str] | None],
                           max_bytes: int) -> list[DecisionFile]:
    """The stored files holding the decisions ``read`` requires and does not hold, and theirs in turn; each keeps
    only the decisions no other file holds (an older copy of an uploaded table is not read twice)."""
    held = {decision.id for found in read for decision in found.decisions} | \
        {decision_id for found in read for decision_id in found.unreadable}
    names = {found.name for found in read}
    added: list[DecisionFile] = []
    pending = list(read)
    while pending and len(added) < MAX_DEPLOYED_FILES:
        wanted = sorted({href.rpartition("#")[2] for found in pending for hrefs in found.requirements.values()
                         for href, _line in hrefs} - held - {""})
        pending = []
        for target in wanted:
            stored = deployed(target) if target not in held else None
            if stored is None or stored[0] in names:
                continue
            # Read as deployed: its problems were reported when it was.
            tree = load_xml(stored[1], stored[0], ProblemList(), max_bytes)
            if tree is None:
                continue
            found, _located = read_file(tree.getroot(), stored[0])
            found.decisions = [decision for decision in found.decisions if decision.id not in held]
            found.requirements = {key: hrefs for key, hrefs in found.requirements.items()
                                  if key in {decision.id for decision in found.decisions}}
            held |= {decision.id for decision in found.decisions} | set(found.unreadable)
            names.add(found.name)
            added.append(found)
            pending.append(found)
    return added


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
