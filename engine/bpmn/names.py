"""Namespaces and small helpers for walking BPMN XML trees."""

from __future__ import annotations

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
NSMAP = {
    "bpmn": BPMN_NS,
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "camunda": CAMUNDA_NS,
}

# Flow nodes a process can contain (what sequence flows connect).
FLOW_NODE_TAGS = {
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
    "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess",
    "exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway",
}
HUMAN_TASK_TAGS = {"userTask", "manualTask"}
GATEWAY_TAGS = {"exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway"}


def bpmn(tag: str) -> str:
    return f"{{{BPMN_NS}}}{tag}"


def camunda(attr: str) -> str:
    return f"{{{CAMUNDA_NS}}}{attr}"


def local(tag) -> str:
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def is_bpmn(node, *tags: str) -> bool:
    tag = node.tag if isinstance(node.tag, str) else ""
    return tag.startswith(f"{{{BPMN_NS}}}") and (not tags or local(tag) in tags)


def xpath(node, expression: str):
    return node.xpath(expression, namespaces=NSMAP)


def label(node) -> str:
    """What a person calls an element: its name, else its id."""
    name = (node.get("name") or "").strip()
    return f"'{name}' ({node.get('id')})" if name else f"'{node.get('id')}'"


def camunda_properties(node) -> list[tuple[str, str]]:
    """``camunda:properties`` of an element's own extensionElements, in document order (names may repeat)."""
    result = []
    for prop in xpath(node, "./bpmn:extensionElements/camunda:properties/camunda:property"):
        name = (prop.get("name") or "").strip()
        if name:
            result.append((name, prop.get("value") if prop.get("value") is not None else (prop.text or "")))
    return result
