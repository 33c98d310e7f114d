"""What changed between two versions of a service: elements added, removed and changed, forms and the letter
template changed.

Read from what a definition stores — the deployed BPMN text and the meta the compiler wrote (who works a step, its
SLA, its choices and what each means) — and the form snapshots by content hash. Every list comes in a fixed order
(element ids, then a fixed order of fields), so the same two versions always give the same answer.
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson
from sqlalchemy.orm import Session

from engine.bpmn.names import BPMN_NS, CAMUNDA_NS
from engine.bpmn.problems import ProblemList
from engine.bpmn.xml import load_xml
from engine.services.definitions import get_version
from engine.storage.models import FormSnapshot, LetterTemplate, ServiceDefinition

#: The fields compared on every element, in the order changes are listed.
FIELDS = ("type", "name", "form_key", "candidate_groups", "assignee", "lane", "sla", "sla_pause", "sla_escalate",
          "calendar", "jurisdiction", "properties", "choices", "default", "source", "target", "condition", "meaning",
          "timer", "script")
_MAX_DIAGRAM_BYTES = 50 * 1024 * 1024  # stored diagrams passed the deploy limit already; this only bounds parsing


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Element:
    element_id: str
    type: str
    name: str | None


@dataclass
class ElementChange:
    element_id: str
    type: str
    name: str | None
    changes: list[FieldChange] = field(default_factory=list)


@dataclass
class FormChange:
    form_key: str
    status: str  # added | removed | changed
    before: str | None  # snapshot hash
    after: str | None
    fields_added: list[str] = field(default_factory=list)
    fields_removed: list[str] = field(default_factory=list)


@dataclass
class LetterChange:
    """The letter template (``meta["letter"]``, by content hash): a new version issues different paper."""

    status: str  # added | removed | changed
    before: str | None  # template hash
    after: str | None
    lines_added: int = 0  # of the HTML and CSS, as a line diff counts them
    lines_removed: int = 0


@dataclass
class VersionDiff:
    key: str
    from_version: int
    to_version: int
    added: list[Element] = field(default_factory=list)
    removed: list[Element] = field(default_factory=list)
    changed: list[ElementChange] = field(default_factory=list)
    process: list[FieldChange] = field(default_factory=list)  # the service's own settings (name, fee, sla …)
    forms: list[FormChange] = field(default_factory=list)
    letter: LetterChange | None = None

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.process or self.forms or self.letter)

    def to_dict(self) -> dict:
        return asdict(self)


def diff_versions(session: Session, key: str, from_version: int, to_version: int) -> VersionDiff:
    """The difference from ``from_version`` to ``to_version`` of service ``key``; ``NotFound`` for either missing."""
    before = get_version(session, key, from_version)
    after = get_version(session, key, to_version)
    return diff_definitions(session, before, after)


def diff_definitions(session: Session, before: ServiceDefinition, after: ServiceDefinition) -> VersionDiff:
    result = VersionDiff(key=after.key, from_version=before.version, to_version=after.version)
    old, new = elements_of(before), elements_of(after)
    for element_id in sorted(set(new) - set(old)):
        result.added.append(_summary(element_id, new[element_id]))
    for element_id in sorted(set(old) - set(new)):
        result.removed.append(_summary(element_id, old[element_id]))
    for element_id in sorted(set(old) & set(new)):
        changes = _compare(old[element_id], new[element_id])
        if changes:
            a = new[element_id]
            result.changed.append(ElementChange(element_id, a.get("type") or "", a.get("name"), changes))
    old_settings = ((before.meta or {}).get("process") or {}).get("properties") or {}
    new_settings = ((after.meta or {}).get("process") or {}).get("properties") or {}
    result.process = [FieldChange(name, old_settings.get(name), new_settings.get(name))
                      for name in sorted(set(old_settings) | set(new_settings))
                      if old_settings.get(name) != new_settings.get(name)]
    result.forms = _form_changes(session, dict(before.forms or {}), dict(after.forms or {}))
    result.letter = _letter_change(session, before, after)
    return result


def _summary(element_id: str, found: dict) -> Element:
    return Element(element_id, found.get("type") or "", found.get("name"))


def _compare(old: dict, new: dict) -> list[FieldChange]:
    return [FieldChange(name, old.get(name), new.get(name)) for name in FIELDS if old.get(name) != new.get(name)]


def elements_of(definition: ServiceDefinition) -> dict[str, dict]:
    """Every flow node and sequence flow of the service's process by id, with the fields a diff compares (None or
    absent where an element has no such thing)."""
    root = load_xml(definition.bpmn, definition.bpmn_filename or "diagram.bpmn", ProblemList(), _MAX_DIAGRAM_BYTES)
    if root is None:
        return {}
    processes = root.findall(f"{{{BPMN_NS}}}process")
    process = next((p for p in processes if p.get("id") == definition.key), processes[0] if processes else None)
    if process is None:
        return {}
    lanes: dict[str, str] = {}
    for lane in process.iter(f"{{{BPMN_NS}}}lane"):  # document order: a nested lane overrides its parent
        for ref in lane.findall(f"{{{BPMN_NS}}}flowNodeRef"):
            if ref.text:
                lanes[ref.text.strip()] = lane.get("name") or lane.get("id")
    tasks = (definition.meta or {}).get("tasks") or {}
    found: dict[str, dict] = {}
    for node in process.iter(f"{{{BPMN_NS}}}*"):
        element_id = node.get("id")
        tag = node.tag.rsplit("}", 1)[-1] if isinstance(node.tag, str) else ""
        if not element_id or tag in {"process", "lane", "laneSet", "flowNodeRef", "incoming", "outgoing"} \
                or node.getparent() is None or not _is_flow_content(node.getparent()):
            continue
        entry: dict[str, Any] = {"type": tag, "name": node.get("name")}
        camunda = {name: node.get(f"{{{CAMUNDA_NS}}}{name}") for name in ("formKey", "candidateGroups", "assignee")}
        if camunda["formKey"]:
            entry["form_key"] = camunda["formKey"]
        if camunda["candidateGroups"]:
            entry["candidate_groups"] = sorted(g.strip() for g in camunda["candidateGroups"].split(",") if g.strip())
        if camunda["assignee"]:
            entry["assignee"] = camunda["assignee"]
        if element_id in lanes:
            entry["lane"] = lanes[element_id]
        properties = _properties(node)
        if properties:
            entry["properties"] = properties
        if tag == "sequenceFlow":
            entry["source"], entry["target"] = node.get("sourceRef"), node.get("targetRef")
            condition = node.find(f"{{{BPMN_NS}}}conditionExpression")
            if condition is not None and (condition.text or "").strip():
                entry["condition"] = condition.text.strip()
            if properties.get("decision.meaning"):
                entry["meaning"] = properties["decision.meaning"]
        if node.get("default"):
            entry["default"] = node.get("default")
        timer = _timer(node)
        if timer:
            entry["timer"] = timer
        script = node.find(f"{{{BPMN_NS}}}script")
        if script is not None and (script.text or "").strip():
            entry["script"] = script.text.strip()
        task = tasks.get(element_id)
        if task:  # what the compiler resolved: the lane as group, SLA settings, choices and what each means
            entry["candidate_groups"] = sorted(task.get("candidate_groups") or []) or entry.get("candidate_groups")
            entry["assignee"] = task.get("assignee") or entry.get("assignee")
            entry["lane"] = task.get("lane") or entry.get("lane")
            for name in ("sla", "sla_pause", "sla_escalate", "calendar", "jurisdiction"):
                if task.get(name) not in (None, False):
                    entry[name] = task[name]
            meanings = task.get("meanings") or {}
            choices = task.get("decisions") or []
            if choices:
                entry["choices"] = [f"{choice} ({meanings.get(choice) or '?'})" for choice in choices]
        found[element_id] = {k: v for k, v in entry.items() if v not in (None, [], {})}
    return found


_CONTAINERS = {"process", "subProcess", "transaction", "adHocSubProcess"}


def _is_flow_content(parent) -> bool:
    return isinstance(parent.tag, str) and parent.tag.rsplit("}", 1)[-1] in _CONTAINERS


def _properties(node) -> dict[str, str]:
    extensions = node.find(f"{{{BPMN_NS}}}extensionElements")
    if extensions is None:
        return {}
    found = {}
    for group in extensions.findall(f"{{{CAMUNDA_NS}}}properties"):
        for prop in group.findall(f"{{{CAMUNDA_NS}}}property"):
            if prop.get("name"):
                found[prop.get("name")] = prop.get("value") or ""
    return dict(sorted(found.items()))


def _timer(node) -> str | None:
    timer = node.find(f"{{{BPMN_NS}}}timerEventDefinition")
    if timer is None:
        return None
    for kind in ("timeDuration", "timeDate", "timeCycle"):
        value = timer.find(f"{{{BPMN_NS}}}{kind}")
        if value is not None:
            return f"{kind}: {(value.text or '').strip()}"
    return "timer"


def _form_changes(session: Session, old: dict[str, str], new: dict[str, str]) -> list[FormChange]:
    changes = []
    for form_key in sorted(set(old) | set(new)):
        before, after = old.get(form_key), new.get(form_key)
        if before == after:
            continue
        status = "added" if before is None else "removed" if after is None else "changed"
        old_fields, new_fields = _fields(session, before), _fields(session, after)
        changes.append(FormChange(form_key, status, before, after, sorted(new_fields - old_fields),
                                  sorted(old_fields - new_fields)))
    return changes


def _fields(session: Session, sha: str | None) -> set[str]:
    """The top-level fields a form snapshot declares (nested objects and conditional parts are not walked)."""
    if not sha:
        return set()
    snapshot = session.get(FormSnapshot, sha)
    if snapshot is None:
        return set()
    schema = orjson.loads(snapshot.schema_json)
    properties = schema.get("properties") if isinstance(schema, dict) else None
    return set(properties) if isinstance(properties, dict) else set()


def _letter_change(session: Session, before: ServiceDefinition, after: ServiceDefinition) -> LetterChange | None:
    """How the letter template changed, with a line count; ``None`` when both versions print the same template."""
    old = ((before.meta or {}).get("letter") or {}).get("sha256")
    new = ((after.meta or {}).get("letter") or {}).get("sha256")
    if old == new:
        return None
    status = "added" if old is None else "removed" if new is None else "changed"
    old_lines, new_lines = _letter_lines(session, old), _letter_lines(session, new)
    diff = list(difflib.ndiff(old_lines, new_lines))
    return LetterChange(status, old, new, sum(1 for line in diff if line.startswith("+ ")),
                        sum(1 for line in diff if line.startswith("- ")))


def _letter_lines(session: Session, sha: str | None) -> list[str]:
    row = session.get(LetterTemplate, sha) if sha else None
    return (row.html.splitlines() + (row.css or "").splitlines()) if row is not None else []
