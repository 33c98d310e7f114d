"""Element ids the workflow engine keeps for itself are renamed before anything reads the diagram.

SpiffWorkflow names its own task specs inside every process: ``Start`` and ``End`` (the workflow's first and last
task), ``Root`` (dropped on every restore of a stored spec), ``<process>.EndJoin``, ``StartEventSplit`` and
``StartEventJoin`` (a process with several start events), ``<task>.BoundaryEventSplit`` / ``.BoundaryEventJoin``
(a task with boundary events) and ``<task> [child]`` (the repeated part of a multi-instance or loop). A diagram
whose element has one of these ids parsed without complaint and broke later: a start event that "can not have any
inputs", a user task that overwrote the workflow's end, every application of the service answering 500.

Analysts name elements as they like, so such an element is renamed (``End`` → ``End_1``) in the text itself,
before the linter, the parser and the store see it: the stored diagram, the task rows, the problems and the modeler
all use the new id, and the file keeps its layout and line numbers. A warning says what was renamed.
"""

from __future__ import annotations

import re

from engine.bpmn.names import FLOW_NODE_TAGS, is_bpmn, local
from engine.bpmn.problems import ProblemList
from engine.bpmn.xml import load_xml
from engine.texts import N_

RESERVED = frozenset({"Start", "End", "Root", "StartEventSplit", "StartEventJoin"})
RESERVED_SUFFIXES = (".EndJoin", ".BoundaryEventSplit", ".BoundaryEventJoin", " [child]")

# What a file holding a reserved id must contain (most files hold none, and a substring test is cheap).
_CANDIDATES = tuple([f"{quote}{word}{quote}".encode() for word in sorted(RESERVED) for quote in "\"'"]
                    + [f"{suffix}{quote}".encode() for suffix in RESERVED_SUFFIXES for quote in "\"'"])
_ID = re.compile(r"""\sid\s*=\s*(["'])(.*?)\1""")
# Where a flow node's id is referred to: attributes of flows, boundary events and diagram shapes, and the text of
# a lane's flowNodeRef (and of association ends, which may point at a node).
_REFERENCE_ATTRIBUTES = ("id", "sourceRef", "targetRef", "attachedToRef", "bpmnElement", "activityRef")
_REFERENCE_ELEMENTS = ("flowNodeRef", "sourceRef", "targetRef")


def is_reserved(element_id: str) -> bool:
    return element_id in RESERVED or element_id.endswith(RESERVED_SUFFIXES)


def might_hold_reserved_ids(data: bytes) -> bool:
    """False when ``data`` certainly holds no reserved id (a cheap scan for one between quotes)."""
    return any(candidate in data for candidate in _CANDIDATES)


def rename_reserved(text: str, problems: ProblemList, filename: str, max_bytes: int) -> str:
    """``text`` with the reserved id of every flow node renamed, and a warning per renamed element; ``text`` itself
    when there is none (the common case costs one scan of the ids). Processes, flows, messages and the like keep
    their ids: the engine does not name its tasks after them."""
    if not might_hold_reserved_ids(text.encode("utf-8")):
        return text
    ids = [match.group(2) for match in _ID.finditer(text)]
    tree = load_xml(text, filename, ProblemList(), max_bytes)
    if tree is None:
        return text  # the linter says why the file cannot be read
    reserved = [node.get("id") for node in tree.getroot().iter()
                if is_bpmn(node) and local(node.tag) in FLOW_NODE_TAGS and is_reserved(node.get("id") or "")]
    taken = set(ids)
    for old in reserved:
        new = _free_name(old, taken)
        taken.add(new)
        text = _replace_references(text, old, new)
        problems.warning("reserved_id", N_("Element id %(old)s is a name the workflow engine uses for itself; it is "
                                           "renamed %(new)s in the deployed diagram (and in its tasks). Rename it in "
                                           "your modeler to keep the two alike."), file=filename, element_id=new,
                         line=_line_of(text, new), params={"old": repr(old), "new": repr(new)})
    return text


def _free_name(old: str, taken: set[str]) -> str:
    base = re.sub(r"\W+", "_", old).strip("_") or "element"
    number = 1
    while f"{base}_{number}" in taken or is_reserved(f"{base}_{number}"):
        number += 1
    return f"{base}_{number}"


def _replace_references(text: str, old: str, new: str) -> str:
    quoted = re.escape(old)
    attributes = "|".join(_REFERENCE_ATTRIBUTES)
    text = re.sub(rf"""(\s(?:{attributes})\s*=\s*)(["']){quoted}\2""", rf"\g<1>\g<2>{new}\g<2>", text)
    elements = "|".join(_REFERENCE_ELEMENTS)
    return re.sub(rf"(<(?:[\w.-]+:)?(?:{elements})>\s*){quoted}(\s*</)", rf"\g<1>{new}\g<2>", text)


def _line_of(text: str, element_id: str) -> int | None:
    match = re.search(rf"""\sid\s*=\s*(["']){re.escape(element_id)}\1""", text)
    return text.count("\n", 0, match.start()) + 1 if match else None
