"""Rewrites of a diagram's XML, in place, before SpiffWorkflow parses it.

Each rewrite turns a convention analysts rely on into what the library executes:
- *human decisions*: an exclusive gateway right after a user task whose outgoing flows carry names but no
  conditions; each flow gets the condition ``decision == '<flow name>'`` and the names become the task's choices;
- JUEL conditions (``${approved}``) become Python;
- bare ISO-8601 timer values (``PT4H``) become string literals; a date-time without an offset gets the office's.
The stored BPMN text is the analyst's original; only the parsed spec reflects these rewrites.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from engine.bpmn.expressions import duration_named_in, iso_timer_literal, juel_to_python
from engine.bpmn.names import BPMN_NS, HUMAN_TASK_TAGS, bpmn, is_bpmn, label, local, xpath
from engine.bpmn.problems import ProblemList
from engine.texts import N_

DECISION_FIELD = "decision"


@dataclass
class ProcessGraph:
    """Sequence-flow index of one process (or sub-process) element."""

    element: etree._Element
    nodes: dict[str, etree._Element] = field(default_factory=dict)
    outgoing: dict[str, list[etree._Element]] = field(default_factory=dict)
    incoming: dict[str, list[etree._Element]] = field(default_factory=dict)

    @classmethod
    def of(cls, element) -> ProcessGraph:
        graph = cls(element)
        for child in element:
            if not is_bpmn(child):
                continue
            if local(child.tag) == "sequenceFlow":
                graph.outgoing.setdefault(child.get("sourceRef"), []).append(child)
                graph.incoming.setdefault(child.get("targetRef"), []).append(child)
            elif child.get("id"):
                graph.nodes[child.get("id")] = child
        return graph


def flow_order(process) -> dict[str, int]:
    """Each element's rank in the order a file goes through the process: the longest path to it from a start event,
    along sequence flows, into sub-processes (their start events follow the sub-process) and to boundary events
    (after the activity they sit on). Flows back to an element already on the path — a revision loop — are left
    out, so a loop never ranks the steps it returns to after the ones it comes from. Unreached elements have none.
    """
    graphs = {container.get("id"): ProcessGraph.of(container) for container in containers(process)}
    nodes = {node_id: node for graph in graphs.values() for node_id, node in graph.nodes.items()}
    successors: dict[str, list[str]] = {node_id: [] for node_id in nodes}
    for graph_id, graph in graphs.items():
        for source, flows in graph.outgoing.items():
            successors.setdefault(source, []).extend(f.get("targetRef") for f in flows if f.get("targetRef") in nodes)
        if graph_id in successors:  # a sub-process leads into its own start events
            successors[graph_id].extend(i for i, n in graph.nodes.items() if local(n.tag) == "startEvent")
    for node_id, node in nodes.items():
        if local(node.tag) == "boundaryEvent" and node.get("attachedToRef") in successors:
            successors[node.get("attachedToRef")].append(node_id)
    roots = [i for i, n in graphs[process.get("id")].nodes.items() if local(n.tag) == "startEvent"]
    # Depth first: an edge to an element still on the path closes a loop; the others form a graph without cycles,
    # whose elements in reverse finishing order come each after all that lead to it.
    forward: dict[str, list[str]] = {}
    finished: list[str] = []
    on_path: set[str] = set()
    for root in roots:
        if root in forward:
            continue
        forward[root] = []
        on_path.add(root)
        stack = [(root, iter(successors[root]))]
        while stack:
            current, following = stack[-1]
            step = next(following, None)
            if step is None:
                stack.pop()
                on_path.discard(current)
                finished.append(current)
            elif step not in on_path:
                forward[current].append(step)
                if step not in forward:
                    forward[step] = []
                    on_path.add(step)
                    stack.append((step, iter(successors[step])))
    rank = dict.fromkeys(roots, 0)
    for current in reversed(finished):
        for step in forward[current]:
            rank[step] = max(rank.get(step, 0), rank.get(current, 0) + 1)
    return rank


def condition_of(flow) -> etree._Element | None:
    for child in flow:
        if is_bpmn(child, "conditionExpression") and (child.text or "").strip():
            return child
    return None


_CONTAINER_TAGS = ("process", "subProcess", "transaction", "adHocSubProcess")


def containers(node) -> list[etree._Element]:
    """``node`` (when it is a process or sub-process) and every process or sub-process inside it."""
    own = [node] if is_bpmn(node, *_CONTAINER_TAGS) else []
    return own + xpath(node, ".//bpmn:process | .//bpmn:subProcess | .//bpmn:transaction | .//bpmn:adHocSubProcess")


def rewrite(root, problems: ProblemList, filename: str, timezone: str) -> dict[str, list[str]]:
    """Apply all rewrites; return the decision choices found, keyed by user task id."""
    decisions: dict[str, list[str]] = {}
    for container in containers(root):
        graph = ProcessGraph.of(container)
        for node in graph.nodes.values():
            if is_bpmn(node, "exclusiveGateway", "inclusiveGateway"):
                _rewrite_gateway(node, graph, problems, filename, decisions)
    _rewrite_conditions(root)
    _rewrite_timers(root, problems, filename, timezone)
    for container in containers(root):
        _split_implicit_forks(container, ProcessGraph.of(container), problems, filename)
    _drop_data_stores(root, problems, filename)
    return decisions


def _rewrite_gateway(gateway, graph: ProcessGraph, problems: ProblemList, filename: str,
                     decisions: dict[str, list[str]]) -> None:
    flows = graph.outgoing.get(gateway.get("id"), [])
    if len(flows) < 2:
        return
    default_id = gateway.get("default")
    conditioned = [f for f in flows if condition_of(f) is not None]
    open_flows = [f for f in flows if condition_of(f) is None and f.get("id") != default_id]
    labelled = [f for f in open_flows if (f.get("name") or "").strip()]
    unlabelled = [f for f in open_flows if not (f.get("name") or "").strip()]
    where = {"node": gateway, "file": filename}

    if not open_flows:
        return  # ordinary conditional gateway
    if conditioned:
        problems.error(
            "gateway_mixed",
            N_("Gateway %(name)s mixes flows with conditions and flows with only a name (%(flows)s). Either give "
               "every outgoing flow a condition (and mark one as default), or remove all conditions so the flow "
               "names become the officer's choices."),
            params={"name": label(gateway), "flows": ", ".join(label(f) for f in open_flows)},
            **where,
        )
        return
    task = _deciding_task(gateway, graph, problems, filename)
    if task is None:
        if unlabelled:
            problems.error(
                "gateway_no_condition",
                N_("Gateway %(name)s has outgoing flows with neither a condition, a name nor the default mark "
                   "(%(flows)s). Write a condition on each flow or mark one as the default; or place the gateway "
                   "right after the user task where a person makes the choice."),
                params={"name": label(gateway), "flows": ", ".join(label(f) for f in unlabelled)},
                **where,
            )
        else:
            problems.error(
                "decision_without_task",
                N_("Gateway %(name)s offers a choice by flow names (%(flows)s), but it does not directly follow a "
                   "user task, so nobody can make that choice. Place it right after the user task where the "
                   "decision is taken, or write conditions on its flows."),
                params={"name": label(gateway), "flows": ", ".join(label(f) for f in labelled)},
                **where,
            )
        return
    for flow in unlabelled:
        # A choice still needs a name a person can read: the step it leads to is the best one available.
        target = graph.nodes.get(flow.get("targetRef"))
        flow.set("name", ((target.get("name") if target is not None else "") or flow.get("targetRef")).strip())
        problems.warning("decision_unnamed", N_("Flow %(flow)s of gateway %(name)s has no name; the choice is "
                                                "offered as %(choice)s. Name the flow to choose the wording."),
                         node=flow, file=filename,
                         params={"flow": repr(flow.get("id")), "name": label(gateway),
                                 "choice": repr(flow.get("name"))})
    labelled = labelled + unlabelled
    choices = [f.get("name").strip() for f in labelled]
    default_flow = next((f for f in flows if f.get("id") == default_id), None)
    if default_flow is not None and (default_flow.get("name") or "").strip():
        choices.append(default_flow.get("name").strip())
    duplicates = sorted({c for c in choices if choices.count(c) > 1})
    if duplicates:
        problems.error(
            "decision_duplicate",
            N_("Gateway %(name)s has several outgoing flows named %(names)s; each choice needs its own name."),
            params={"name": label(gateway), "names": ", ".join(repr(d) for d in duplicates)},
            **where,
        )
        return
    for flow in labelled:
        expression = etree.SubElement(flow, bpmn("conditionExpression"))
        expression.set("{http://www.w3.org/2001/XMLSchema-instance}type", "bpmn:tFormalExpression")
        expression.text = f"{DECISION_FIELD} == {flow.get('name').strip()!r}"
    decisions.setdefault(task.get("id"), []).extend(c for c in choices if c not in decisions.get(task.get("id"), []))


def _deciding_task(gateway, graph: ProcessGraph, problems: ProblemList, filename: str):
    """The human task right before the gateway, if any. An untyped task there becomes a manual task."""
    incoming = graph.incoming.get(gateway.get("id"), [])
    if len(incoming) != 1:
        return None
    source = graph.nodes.get(incoming[0].get("sourceRef"))
    if source is None:
        return None
    if local(source.tag) == "task" and is_bpmn(source):
        # Tools other than Camunda Modeler draw every step as an untyped task, which the engine would pass
        # straight through; the choice after it shows that a person works here.
        source.tag = bpmn("manualTask")
        problems.warning("untyped_task_decides", N_("Task %(name)s has no type but is followed by a choice; it is "
                                                    "run as a manual task where a person picks the outgoing flow. "
                                                    "Make it a user task with a form to be explicit."),
                         node=source, file=filename, params={"name": label(source)})
    return source if local(source.tag) in HUMAN_TASK_TAGS else None


def _rewrite_conditions(root) -> None:
    for tag in ("conditionExpression", "completionCondition", "loopCondition"):
        for node in root.iter(f"{{{BPMN_NS}}}{tag}"):
            if node.text and node.text.strip():
                node.text = juel_to_python(node.text)


def _rewrite_timers(root, problems: ProblemList, filename: str, timezone: str) -> None:
    # Only definitions inside events: top-level ones are shared declarations referenced by id.
    for definition in xpath(root, "//bpmn:*[contains(local-name(), 'Event')]/bpmn:timerEventDefinition"):
        values = [c for c in definition if is_bpmn(c, "timeDuration", "timeDate", "timeCycle")]
        event = definition.getparent()
        if not values or not any((v.text or "").strip() for v in values):
            named = duration_named_in(event.get("name"))
            problems.error(
                "timer_empty",
                N_("Timer %(name)s has no value. Enter a duration such as P14D or PT4H, a date-time such as "
                   "2026-03-02T09:00:00, or a cycle such as R3/PT1H. Its name says %(named)s: if that is how long "
                   "it waits, enter %(named)s as its duration.") if named else
                N_("Timer %(name)s has no value. Enter a duration such as P14D or PT4H, a date-time such as "
                   "2026-03-02T09:00:00, or a cycle such as R3/PT1H."),
                node=event,
                file=filename,
                params={"name": label(event), "named": named},
                **({"suggestion": named} if named else {}),
            )
            continue
        for value in values:
            text = (value.text or "").strip()
            literal = iso_timer_literal(text, timezone)
            if literal is not None:
                value.text = literal
            elif text.startswith(("${", "#{")):
                value.text = juel_to_python(text)


_FORKING_TAGS = {"task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
                 "businessRuleTask", "callActivity", "subProcess", "transaction", "startEvent",
                 "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}


def _split_implicit_forks(container, graph: ProcessGraph, problems: ProblemList, filename: str) -> None:
    """Several flows leaving an activity or event mean "all of them" in BPMN (conditional ones: "those that hold").

    SpiffWorkflow refuses such diagrams; an explicit parallel (or inclusive) gateway has the same meaning.
    """
    for node_id, node in list(graph.nodes.items()):
        flows = graph.outgoing.get(node_id, [])
        if len(flows) < 2 or local(node.tag) not in _FORKING_TAGS:
            continue
        conditional = any(condition_of(f) is not None for f in flows)
        gateway = etree.SubElement(container, bpmn("inclusiveGateway" if conditional else "parallelGateway"))
        gateway.set("id", f"{node_id}__fork")
        link = etree.SubElement(container, bpmn("sequenceFlow"))
        link.set("id", f"{node_id}__to_fork")
        link.set("sourceRef", node_id)
        link.set("targetRef", gateway.get("id"))
        if node.get("default"):
            gateway.set("default", node.attrib.pop("default"))
        for flow in flows:
            flow.set("sourceRef", gateway.get("id"))
        problems.warning("implicit_fork", N_("%(kind)s %(name)s has %(count)s outgoing flows; they are all taken "
                                             "when their conditions hold, as if a gateway stood there. Draw the "
                                             "gateway to make this visible.") if conditional else
                         N_("%(kind)s %(name)s has %(count)s outgoing flows; they are all taken in parallel, as if a "
                            "gateway stood there. Draw the gateway to make this visible."), node=node, file=filename,
                         params={"kind": local(node.tag), "name": label(node), "count": len(flows)})


def _drop_data_stores(root, problems: ProblemList, filename: str) -> None:
    """Data stores are documentation for the engine: nothing reads or writes them, so they are left out."""
    stores = xpath(root, "//bpmn:dataStore | //bpmn:dataStoreReference")
    if not stores:
        return
    ids = {s.get("id") for s in stores}
    for association in xpath(root, "//bpmn:dataInputAssociation | //bpmn:dataOutputAssociation"):
        refs = {(r.text or "").strip() for r in association if is_bpmn(r, "sourceRef", "targetRef")}
        if refs & ids:
            association.getparent().remove(association)
    for store in stores:
        if is_bpmn(store, "dataStoreReference") or store.getparent() is not None:
            problems.warning("data_store_ignored", N_("Data store %(name)s is shown on the diagram only; the engine "
                                                      "neither reads nor writes it."),
                             node=store, file=filename, params={"name": label(store)})
            store.getparent().remove(store)
