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
            for end, verb in (("sourceRef", "comes from"), ("targetRef", "goes to")):
                ref = (flow.get(end) or "").strip()
                if ref in graph.nodes and local(graph.nodes[ref].tag) in FLOW_NODE_TAGS:
                    continue
                problems.error("flow_end_missing", _dangling(flow, verb, ref, everywhere.get(ref), container),
                               node=flow, file=filename,
                               message_id=f"Alur {flow.get('id')!r} {'dari' if end == 'sourceRef' else 'menuju'} "
                                          f"{ref!r}, yang tidak ada di (sub)proses yang sama.")


def _dangling(flow, verb: str, ref: str, node, container) -> str:
    flow_id = flow.get("id")
    if not ref:
        return (f"Flow {flow_id!r} has no {'source' if verb == 'comes from' else 'target'}; connect both of its "
                "ends in your modeler, or delete it.")
    if node is None:
        return (f"Flow {flow_id!r} {verb} {ref}, which is not in the diagram. Connect the flow to an element that "
                "is there, or delete it.")
    if local(node.tag) not in FLOW_NODE_TAGS:
        return (f"Flow {flow_id!r} {verb} {label(node)}, a {local(node.tag)}, which sequence flows cannot connect. "
                "Connect it to a task, event or gateway.")
    return (f"Flow {flow_id!r} {verb} {label(node)}, which is outside {local(container.tag)} {label(container)}: a "
            "sequence flow cannot cross the border of a process or sub-process. Connect the sub-process itself, "
            "or move the element inside.")


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
            dangling = (f" (its default mark names {marked!r}, which does not leave it)"
                        if marked and default is None else "")
            problems.error("gateway_flow_condition", f"Flow {names} out of gateway {label(node)} has no condition "
                           f"and is not the gateway's default flow{dangling}, so the engine cannot tell when to "
                           "take it. Write a condition on it, or mark it as the default.", node=bare[0],
                           file=filename, message_id=f"Alur {names} dari gerbang {label(node)} tidak bersyarat dan "
                                                     "bukan default.")


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
                what = ("a data object reference whose data object is not declared in this process"
                        if reference is not None else "not a data object reference")
                problems.error("data_association", f"{label(activity)} {verb} {ref_id!r}, which is {what}. Draw the "
                               "data object in the same process (or remove the association: task data reaches the "
                               "next step without it).", node=activity, file=filename,
                               message_id=f"Asosiasi data pada {label(activity)} merujuk {ref_id!r}, yang bukan objek "
                                          "data proses ini.")


def check_sizes(process, problems: ProblemList, filename: str) -> None:
    """Ids and names the task table and the definition keep, within their columns."""
    for node in process.iter():
        if not (is_bpmn(node) and local(node.tag) in FLOW_NODE_TAGS):
            continue
        element_id = node.get("id") or ""
        name = (node.get("name") or "").strip()
        limit = MAX_OUTCOME if local(node.tag) == "endEvent" else MAX_NAME
        if len(element_id) > MAX_ID:
            problems.error("id_too_long", f"The id of {local(node.tag)} {element_id[:40]!r}… is {len(element_id)} "
                           f"characters; Lincah keeps at most {MAX_ID}. Give it a shorter id.", node=node,
                           file=filename, message_id=f"Id elemen terlalu panjang (maksimal {MAX_ID} karakter).")
        if len(name) > limit:
            problems.error("name_too_long", f"The name of {local(node.tag)} {element_id!r} is {len(name)} "
                           f"characters; Lincah keeps at most {limit}. Shorten it (a longer text belongs in the "
                           "documentation).", node=node, file=filename,
                           message_id=f"Nama elemen {element_id!r} terlalu panjang (maksimal {limit} karakter).")
    name = (process.get("name") or "").strip()
    if len(name) > MAX_NAME:
        problems.error("name_too_long", f"The name of process {process.get('id')!r} is {len(name)} characters; "
                       f"Lincah keeps at most {MAX_NAME}. Shorten it, or set name.id and name.en.", node=process,
                       file=filename, message_id=f"Nama proses terlalu panjang (maksimal {MAX_NAME} karakter).")


def check_service_tasks(process, problems: ProblemList, filename: str) -> None:
    """A service task is work for a program outside; one that names none deploys, and an application that reaches
    it waits there: said at deploy, so that nobody finds out from a file that never moves."""
    for node in xpath(process, ".//bpmn:serviceTask"):
        if node.get(camunda("type")) == "external" or xpath(node, "./bpmn:extensionElements/camunda:connector"):
            continue
        java = next((a for a in ("class", "expression", "delegateExpression") if node.get(camunda(a))), None)
        written = f" (camunda:{java} names Java code, which Lincah does not run)" if java else ""
        problems.warning("service_task_no_worker", f"Service task {label(node)} names no work Lincah can hand out"
                         f"{written}: an application that reaches it waits there. Set camunda:type=\"external\" and "
                         "camunda:topic so that a worker does it, or use a script task.", node=node, file=filename,
                         message_id=f"Tugas layanan {label(node)} tidak menyebut pekerja (camunda:type=\"external\" "
                                    "dan camunda:topic); berkas akan menunggu di sana.")


# What the parser still says, in the analyst's words: (pattern over its message, English, Indonesian).
_TRANSLATIONS = [
    (re.compile(r'No DMN Diagram available with id "([^"]*)"'),
     "{what} uses the DMN decision {0!r}, which is in none of the files deployed. Deploy the DMN file that "
     "defines it together with the diagram, or compute the result in a script task.",
     "Keputusan DMN {0!r} yang dipakai {what} tidak ada pada berkas yang dipasang."),
    (re.compile(r"The process '([^']*)' was not found"),
     "{what} calls process {0!r}, which is in none of the files deployed. Deploy the file that contains it "
     "together with this one, and check that the called element names its process id.",
     "Proses {0!r} yang dipanggil {what} tidak ditemukan."),
    (re.compile(r"No Script Provided"),
     "{what} has no script. Write the script in the task's script field (Python statements).",
     "{what} tidak berisi skrip."),
    (re.compile(r"Multiple outgoing flows are not supported"),
     "{what} has several outgoing flows, which this kind of element cannot have. Put a gateway after it.",
     "{what} memiliki beberapa alur keluar; pasang gerbang setelahnya."),
    (re.compile(r"There is no support implemented for this task type"),
     "{what} is an element the engine cannot run. Use a task, user task, script task or sub-process instead.",
     "{what} tidak dapat dijalankan mesin alur kerja."),
]


def library_problem(exc, element_id: str | None, roots: list) -> tuple[str, str]:
    """``(message, message_id)`` for a parser refusal ``exc`` about the element ``element_id`` (found in one of
    the files' ``roots``; ``None`` when the library named none)."""
    node = next((found[0] for root in roots if element_id
                 for found in [root.xpath("//*[@id=$id]", id=element_id)] if found), None)
    text = str(getattr(exc, "error_msg", "") or exc).split("\n")[0].strip()
    tag = getattr(exc, "tag", "") or (local(node.tag) if node is not None else "")
    what = f"{tag.removeprefix('bpmn:')} {label(node)}" if node is not None else (tag or "The diagram")
    for pattern, english, indonesian in _TRANSLATIONS:
        match = pattern.search(text)
        if match:
            return english.format(*match.groups(), what=what), indonesian.format(*match.groups(), what=what)
    return (f"The workflow engine cannot run {what} as drawn (it says: {text}). Check the element's settings; if "
            "they look right, report this to the Lincah team with the file.",
            f"Mesin alur kerja tidak dapat menjalankan {what} seperti yang digambar.")
