"""What the engine reads from a diagram besides the flow: catalogue data and per-task settings.

Process-level ``camunda:properties`` carry the six published components of a service (Permenpan RB 15/2014):
names, description, requirements, procedure (the diagram itself), time (``sla``), fee, output and complaints.
Task-level properties carry ``sla``, ``sla.pause``, ``jurisdiction`` and ``calendar``.
"""

from __future__ import annotations

from engine.bpmn.expressions import placeholder_name
from engine.bpmn.names import HUMAN_TASK_TAGS, camunda, camunda_properties, local, xpath

APPLICANT_GROUP = "applicant"
_APPLICANT_ASSIGNEES = {"applicant", "initiator"}


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"true", "yes", "1", "ya"}


def process_settings(process) -> dict:
    props = camunda_properties(process)
    single = {}
    repeated: dict[str, list[str]] = {}
    for name, value in props:
        single.setdefault(name, value)
        repeated.setdefault(name, []).append(value)
    names = {"id": single.get("name.id") or process.get("name") or process.get("id"),
             "en": single.get("name.en") or single.get("name.id") or process.get("name") or process.get("id")}
    return {
        "id": process.get("id"),
        "names": names,
        "description": {"id": single.get("description.id", ""), "en": single.get("description.en", "")},
        "requirements": {"id": repeated.get("requirement.id", []), "en": repeated.get("requirement.en", [])},
        "fee": single.get("fee", ""),
        "output": {"id": single.get("output.id", ""), "en": single.get("output.en", "")},
        "legal_basis": single.get("legal_basis", ""),
        "complaints": single.get("complaints", ""),
        "letter_copies": repeated.get("letter.cc", []),  # the permit letter's tembusan, in order
        "sla": single.get("sla") or None,
        "public": _truthy(single.get("public", "true")),
        "jurisdiction": single.get("jurisdiction") or None,
        "properties": single,
    }


def lane_of(process) -> dict[str, str]:
    lanes = {}
    for ref in xpath(process, ".//bpmn:lane/bpmn:flowNodeRef"):
        if ref.text:
            lanes[ref.text.strip()] = (ref.getparent().get("name") or "").strip()
    return lanes


def task_settings(node, lanes: dict[str, str]) -> dict:
    """Settings of one human task (user or manual task)."""
    props = dict(camunda_properties(node))
    groups = [g.strip() for g in (node.get(camunda("candidateGroups")) or "").split(",") if g.strip()]
    lane = lanes.get(node.get("id"))
    assignee = (node.get(camunda("assignee")) or "").strip() or None
    for_applicant = (placeholder_name(assignee) in _APPLICANT_ASSIGNEES) or APPLICANT_GROUP in groups
    if not groups and not assignee and lane:
        groups = [lane]
    return {
        "element_id": node.get("id"),
        "name": (node.get("name") or node.get("id")).strip(),
        # English beside the diagram's (Indonesian) name; empty when the analyst gave none, so pages can show
        # the fallback as Indonesian rather than pass it off as English.
        "names": {"id": (node.get("name") or node.get("id")).strip(), "en": (props.get("name.en") or "").strip()},
        "kind": local(node.tag),
        "form_key": (node.get(camunda("formKey")) or "").strip() or None,
        "candidate_groups": [g for g in groups if g != APPLICANT_GROUP],
        "assignee": assignee,
        "for_applicant": for_applicant,
        "lane": lane,
        "sla": props.get("sla") or None,
        "sla_pause": _truthy(props.get("sla.pause")),
        "sla_escalate": props.get("sla.escalate") or None,
        "jurisdiction": props.get("jurisdiction") or None,
        "calendar": props.get("calendar") or None,
        "properties": props,
        "decisions": [],
    }


def choice_names(process, element_id: str, choices: list[str]) -> dict[str, dict[str, str]]:
    """``{choice: {"id": choice, "en": …}}`` for a task's decision choices, from ``name.en`` on the flows of the
    gateway right after the task. The choice itself (the flow's Indonesian name) stays the value the engine routes
    on; the English only labels the button."""
    flows = xpath(process, ".//bpmn:sequenceFlow")
    gateways = {f.get("targetRef") for f in flows if f.get("sourceRef") == element_id}
    names = {choice: {"id": choice, "en": ""} for choice in choices}
    for flow in flows:
        choice = (flow.get("name") or "").strip()
        if flow.get("sourceRef") in gateways and choice in names:
            names[choice]["en"] = (dict(camunda_properties(flow)).get("name.en") or "").strip()
    return names


def english_labels(process) -> dict[str, str]:
    """``{element id: name.en}`` of every element of the process that gives its name in English (steps, events,
    gateways, flows, lanes): the diagram drawn on an English page shows these instead of the diagram's names."""
    labels = {}
    # The pool drawn around the process is the collaboration's participant, outside the process element.
    root = process.getroottree().getroot()
    pools = [pool for pool in xpath(root, ".//bpmn:collaboration/bpmn:participant")
             if pool.get("processRef") == process.get("id")]
    for node in [*pools, *process.iter()]:
        if isinstance(node.tag, str) and node.get("id") and node is not process:
            english = (dict(camunda_properties(node)).get("name.en") or "").strip()
            if english:
                labels[node.get("id")] = english
    return labels


def lane_names(process) -> dict[str, str]:
    """``{lane name: name.en or ""}``: a step drawn in a lane, with no group of its own, is worked by "the lane"
    (``task_settings``' ``lane`` holds its name), which an English page names in English."""
    return {(lane.get("name") or "").strip(): (dict(camunda_properties(lane)).get("name.en") or "").strip()
            for lane in xpath(process, ".//bpmn:lane") if (lane.get("name") or "").strip()}


def outcome_names(process) -> dict[str, dict[str, str]]:
    """``{outcome: {"id": outcome, "en": …}}`` for the process's end events. The outcome is the end event's name
    (what ``instance.outcome`` records and the audit trail keeps); ``name.en`` on the end event only labels it."""
    names: dict[str, dict[str, str]] = {}
    for end in xpath(process, "./bpmn:endEvent"):
        outcome = end.get("name") or end.get("id")
        english = (dict(camunda_properties(end)).get("name.en") or "").strip()
        if english or outcome not in names:
            names[outcome] = {"id": outcome, "en": english}
    return names


def human_tasks(process) -> list:
    return [n for n in process.iter() if isinstance(n.tag, str) and local(n.tag) in HUMAN_TASK_TAGS
            and n.tag.startswith("{http://www.omg.org/spec/BPMN")]


def start_form_key(process) -> str | None:
    for start in xpath(process, "./bpmn:startEvent"):
        key = (start.get(camunda("formKey")) or "").strip()
        if key:
            return key
    return None
