"""What the workflow engine needs from a diagram, said in Lincah's words before the engine reads it.

SpiffWorkflow's parser stops at the first thing it cannot read and says so in its own terms — a flow to an element
that is not there is "we found two items, perhaps a form has the same ID?"; a data association it cannot follow is
"Cannot resolve dataInputAssociation <Element … at 0x7f…>". The rules here find those things first, all at once,
each on its element; what the parser still refuses is translated by :func:`library_problem`. Sizes are checked
against what the database keeps, so a diagram that lints clean also fits its tables on PostgreSQL.
"""

from __future__ import annotations

import re

from engine.bpmn import multi_instance
from engine.bpmn.names import FLOW_NODE_TAGS, camunda, is_bpmn, label, local, xpath
from engine.bpmn.problems import ProblemList
from engine.bpmn.rewrite import ProcessGraph, condition_of, containers
from engine.texts import INDONESIAN, N_, Text, render

# Column sizes of the tables a definition and its tasks are kept in (engine.storage.models).
MAX_ID = 200
MAX_NAME = 300
MAX_OUTCOME = 200


def check_executable(process, problems: ProblemList, filename: str, check_expression) -> None:
    check_flows(process, problems, filename)
    check_gateway_flows(process, problems, filename)
    check_data_associations(process, problems, filename)
    check_sizes(process, problems, filename)
    check_service_tasks(process, problems, filename)
    multi_instance.check_loops(process, problems, filename, check_expression)


def check_flows(process, problems: ProblemList, filename: str) -> None:
    """Each sequence flow connects two elements of its own process or sub-process."""
    root = process.getroottree().getroot()
    everywhere = {node.get("id"): node for node in root.iter() if isinstance(node.tag, str) and node.get("id")}
    for container in containers(process):
        graph = ProcessGraph.of(container)
        for flow in (child for child in container if is_bpmn(child, "sequenceFlow")):
            for end in ("sourceRef", "targetRef"):
                ref = (flow.get(end) or "").strip()
                if ref in graph.nodes and local(graph.nodes[ref].tag) in FLOW_NODE_TAGS:
                    continue
                text, params = _dangling(flow, end == "sourceRef", ref, everywhere.get(ref), container)
                problems.error("flow_end_missing", text, node=flow, file=filename, params=params)


def _dangling(flow, source: bool, ref: str, node, container) -> tuple[str, dict]:
    params = {"flow": repr(flow.get("id")), "ref": ref}
    if not ref:
        return (N_("Flow %(flow)s has no source; connect both of its ends in your modeler, or delete it.") if source
                else N_("Flow %(flow)s has no target; connect both of its ends in your modeler, or delete it."),
                params)
    if node is None:
        return (N_("Flow %(flow)s comes from %(ref)s, which is not in the diagram. Connect the flow to an element "
                   "that is there, or delete it.") if source else
                N_("Flow %(flow)s goes to %(ref)s, which is not in the diagram. Connect the flow to an element that "
                   "is there, or delete it."), params)
    params.update(name=label(node), kind=local(node.tag))
    if local(node.tag) not in FLOW_NODE_TAGS:
        return (N_("Flow %(flow)s comes from %(name)s, a %(kind)s, which sequence flows cannot connect. Connect it "
                   "to a task, event or gateway.") if source else
                N_("Flow %(flow)s goes to %(name)s, a %(kind)s, which sequence flows cannot connect. Connect it to "
                   "a task, event or gateway."), params)
    params.update(container=f"{local(container.tag)} {label(container)}")
    return (N_("Flow %(flow)s comes from %(name)s, which is outside %(container)s: a sequence flow cannot cross the "
               "border of a process or sub-process. Connect the sub-process itself, or move the element inside.")
            if source else
            N_("Flow %(flow)s goes to %(name)s, which is outside %(container)s: a sequence flow cannot cross the "
               "border of a process or sub-process. Connect the sub-process itself, or move the element inside."),
            params)


def check_gateway_flows(process, problems: ProblemList, filename: str) -> None:
    """After the rewrites, every flow out of an exclusive or inclusive gateway with several outgoing flows has a
    condition or is the default (the rewrite gave human decisions their conditions; ``lint.check_gateways`` reports
    a gateway whose flows have nothing at all)."""
    for container in containers(process):
        graph = ProcessGraph.of(container)
        for node in graph.nodes.values():
            if not is_bpmn(node, "exclusiveGateway", "inclusiveGateway"):
                continue
            flows = graph.outgoing.get(node.get("id"), [])
            marked = node.get("default")
            default = marked if marked in {f.get("id") for f in flows} else None
            if len(flows) < 2:
                continue
            bare = [f for f in flows if f.get("id") != default and condition_of(f) is None]
            nothing_at_all = not marked and len(bare) == len(flows) and not any(
                (f.get("name") or "").strip() for f in flows)
            if not bare or nothing_at_all:
                continue
            names = ", ".join(repr(f.get("id")) for f in bare)
            dangling = (Text(N_(" (its default mark names %(flow)s, which does not leave it)"), {"flow": repr(marked)})
                        if marked and default is None else "")
            problems.error("gateway_flow_condition", N_("Flow %(flows)s out of gateway %(name)s has no condition and "
                                                        "is not the gateway's default flow%(dangling)s, so the engine "
                                                        "cannot tell when to take it. Write a condition on it, or "
                                                        "mark it as the default."), node=bare[0], file=filename,
                           params={"flows": names, "name": label(node), "dangling": dangling})


def check_data_associations(process, problems: ProblemList, filename: str) -> None:
    """A task reads or writes a data object through a data object reference declared in its process (or the
    process around its sub-process); anything else the engine cannot follow."""
    root = process.getroottree().getroot()
    references = {n.get("id"): n for n in xpath(root, "//bpmn:dataObjectReference")}
    for container in containers(process):
        visible = {o.get("id") for o in xpath(container, "./bpmn:dataObject")}
        parent = container.getparent()
        if parent is not None and is_bpmn(parent) and local(parent.tag) != "definitions":
            visible |= {o.get("id") for o in xpath(parent, "./bpmn:dataObject")}
        for activity in container:
            if not (is_bpmn(activity) and local(activity.tag) in FLOW_NODE_TAGS):
                continue
            ends = [(ref, "reads") for ref in xpath(activity, "./bpmn:dataInputAssociation/bpmn:sourceRef")]
            ends += [(ref, "writes") for ref in xpath(activity, "./bpmn:dataOutputAssociation/bpmn:targetRef")]
            for end, verb in ends:
                ref_id = (end.text or "").strip()
                reference = references.get(ref_id)
                if reference is not None and reference.get("dataObjectRef") in visible:
                    continue
                what = (Text(N_("a data object reference whose data object is not declared in this process"))
                        if reference is not None else Text(N_("not a data object reference")))
                text = (N_("%(name)s reads %(ref)s, which is %(what)s. Draw the data object in the same process (or "
                           "remove the association: task data reaches the next step without it).") if verb == "reads"
                        else N_("%(name)s writes %(ref)s, which is %(what)s. Draw the data object in the same process "
                                "(or remove the association: task data reaches the next step without it)."))
                problems.error("data_association", text, node=activity, file=filename,
                               params={"name": label(activity), "ref": repr(ref_id), "what": what})


def check_sizes(process, problems: ProblemList, filename: str) -> None:
    """Ids and names the task table and the definition keep, within their columns."""
    for node in process.iter():
        if not (is_bpmn(node) and local(node.tag) in FLOW_NODE_TAGS):
            continue
        element_id = node.get("id") or ""
        name = (node.get("name") or "").strip()
        limit = MAX_OUTCOME if local(node.tag) == "endEvent" else MAX_NAME
        if len(element_id) > MAX_ID:
            problems.error("id_too_long", N_("The id of %(kind)s %(id)s… is %(length)s characters; Lincah keeps at "
                                             "most %(limit)s. Give it a shorter id."), node=node, file=filename,
                           params={"kind": local(node.tag), "id": repr(element_id[:40]), "length": len(element_id),
                                   "limit": MAX_ID})
        if len(name) > limit:
            problems.error("name_too_long", N_("The name of %(kind)s %(id)s is %(length)s characters; Lincah keeps at "
                                               "most %(limit)s. Shorten it (a longer text belongs in the "
                                               "documentation)."), node=node, file=filename,
                           params={"kind": local(node.tag), "id": repr(element_id), "length": len(name),
                                   "limit": limit})
    name = (process.get("name") or "").strip()
    if len(name) > MAX_NAME:
        problems.error("name_too_long", N_("The name of process %(id)s is %(length)s characters; Lincah keeps at most "
                                           "%(limit)s. Shorten it, or set name.id and name.en."), node=process,
                       file=filename, params={"id": repr(process.get("id")), "length": len(name), "limit": MAX_NAME})


def check_service_tasks(process, problems: ProblemList, filename: str) -> None:
    """A service task is work for a program outside; one that names none deploys, and an application that reaches
    it waits there: said at deploy, so that nobody finds out from a file that never moves."""
    for node in xpath(process, ".//bpmn:serviceTask"):
        if node.get(camunda("type")) == "external" or xpath(node, "./bpmn:extensionElements/camunda:connector"):
            continue
        java = next((a for a in ("class", "expression", "delegateExpression") if node.get(camunda(a))), None)
        written = (Text(N_(" (camunda:%(attribute)s names Java code, which Lincah does not run)"),
                        {"attribute": java}) if java else "")
        problems.warning("service_task_no_worker", N_("Service task %(name)s names no work Lincah can hand out"
                                                      "%(written)s: an application that reaches it waits there. Set "
                                                      "camunda:type=\"external\" and camunda:topic so that a worker "
                                                      "does it, or use a script task."), node=node, file=filename,
                         params={"name": label(node), "written": written})


# What the parser still says, in the analyst's words: (pattern over its message, catalogue id with ``%(what)s``
# and ``%(found)s``, what the pattern matched).
_TRANSLATIONS = [
    (re.compile(r'No DMN Diagram available with id "([^"]*)"'),
     N_("%(what)s uses the DMN decision %(found)s, which is in none of the files deployed. Deploy the DMN file that "
        "defines it together with the diagram, or compute the result in a script task.")),
    (re.compile(r"The process '([^']*)' was not found"),
     N_("%(what)s calls process %(found)s, which is in none of the files deployed. Deploy the file that contains it "
        "together with this one, and check that the called element names its process id.")),
    (re.compile(r"No Script Provided"),
     N_("%(what)s has no script. Write the script in the task's script field (Python statements).")),
    (re.compile(r"Multiple outgoing flows are not supported"),
     N_("%(what)s has several outgoing flows, which this kind of element cannot have. Put a gateway after it.")),
    (re.compile(r"There is no support implemented for this task type"),
     N_("%(what)s is an element the engine cannot run. Use a task, user task, script task or sub-process instead.")),
]


def library_problem(exc, element_id: str | None, roots: list) -> tuple[str, str]:
    """``(message, message_id)`` for a parser refusal ``exc`` about the element ``element_id`` (found in one of
    the files' ``roots``; ``None`` when the library named none)."""
    node = next((found[0] for root in roots if element_id
                 for found in [root.xpath("//*[@id=$id]", id=element_id)] if found), None)
    said = str(getattr(exc, "error_msg", "") or exc).split("\n")[0].strip()
    tag = getattr(exc, "tag", "") or (local(node.tag) if node is not None else "")
    what = f"{tag.removeprefix('bpmn:')} {label(node)}" if node is not None else (tag or Text(N_("The diagram")))
    text, params = (N_("The workflow engine cannot run %(what)s as drawn (it says: %(said)s). Check the element's "
                       "settings; if they look right, report this to the Lincah team with the file."),
                    {"what": what, "said": said})
    for pattern, translation in _TRANSLATIONS:
        match = pattern.search(said)
        if match:
            text, params = translation, {"what": what, "found": repr(match.group(1)) if match.groups() else ""}
            break
    return render(text, params), render(text, params, INDONESIAN)
