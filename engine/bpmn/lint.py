"""Our own lint rules: problems an analyst can fix, each located by element id and line.

SpiffWorkflow's parser reports only the first problem it meets, sometimes as a crash-type exception; these rules run
first, on the XML, and report everything they find at once. The SLA settings besides the target have their own rules
in :mod:`.sla_lint`.
"""

from __future__ import annotations

import re
import threading
from datetime import timedelta

from lxml import etree

from engine.bpmn.expressions import is_iso_duration
from engine.bpmn.names import FLOW_NODE_TAGS, camunda, is_bpmn, label, local, xpath
from engine.bpmn.problems import ProblemList
from engine.bpmn.rewrite import ProcessGraph, condition_of, containers
from engine.sla import spoken_durations
from engine.texts import N_

_xsd_lock = threading.Lock()
_xsd = None

# Elements SpiffWorkflow cannot execute: the problem, with what the analyst can use instead.
UNSUPPORTED = {
    "complexGateway": N_("%(kind)s %(name)s is not supported. Use an exclusive, inclusive or parallel gateway "
                         "instead."),
    "choreographyTask": N_("%(kind)s %(name)s is not supported. Choreographies cannot be executed; model the "
                           "process of one participant."),
    "subChoreography": N_("%(kind)s %(name)s is not supported. Choreographies cannot be executed; model the "
                          "process of one participant."),
}


def xsd_validator():
    """The BPMN 2.0 XSD, built once (it costs ~12 ms)."""
    global _xsd
    with _xsd_lock:
        if _xsd is None:
            from SpiffWorkflow.bpmn.parser.BpmnParser import XSD_PATH

            _xsd = etree.XMLSchema(etree.parse(XSD_PATH))
        return _xsd


def check_xsd(tree, problems: ProblemList, filename: str, limit: int = 10) -> None:
    schema = xsd_validator()
    with _xsd_lock:
        valid = schema.validate(tree)
        log = list(schema.error_log) if not valid else []
    # Schema violations are warnings: modelling tools commonly write slightly non-conforming XML that the engine
    # still executes correctly; whatever the engine cannot execute is reported as an error by the later rules.
    for entry in log[:limit]:
        problems.warning("xsd", N_("Not valid against the BPMN 2.0 schema: %(reason)s Other modelling tools may not "
                                   "open this file."), file=filename, line=entry.line,
                         params={"reason": _short_xsd_message(entry.message)})
    if len(log) > limit:
        problems.warning("xsd", N_("... and %(count)s more schema violations."), file=filename, line=log[limit].line,
                         params={"count": len(log) - limit})


def _short_xsd_message(message: str) -> str:
    return message.replace("{http://www.omg.org/spec/BPMN/20100524/MODEL}", "bpmn:")


ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
_EXECUTION_PLATFORM = "{http://camunda.org/schema/modeler/1.0}executionPlatform"
_NAMED = 3  # zeebe settings named in the problem


def check_platform(root, problems: ProblemList, filename: str) -> None:
    """A diagram made for Camunda 8 keeps its settings in ``zeebe:`` elements that Lincah does not read: said once,
    at the top of the file, so that the problems about missing forms and groups that follow make sense."""
    zeebe = [f"zeebe:{local(node.tag)}" for node in root.iter()
             if isinstance(node.tag, str) and node.tag.startswith(f"{{{ZEEBE_NS}}}")]
    if root.get(_EXECUTION_PLATFORM) != "Camunda Cloud" and not zeebe:
        return
    used = list(dict.fromkeys(zeebe))
    settings = f"{', '.join(used[:_NAMED])}{' …' if len(used) > _NAMED else ''}"
    text = (N_("This diagram was made for Camunda 8 (Zeebe): it uses %(settings)s. Lincah runs diagrams made for "
               "Camunda 7 and does not read zeebe: settings — forms, assignments, headers, FEEL expressions starting "
               "with '=' — so its user tasks have no form or group here. Create it as a Camunda 7 BPMN diagram in "
               "Camunda Modeler (camunda:formKey, camunda:candidateGroups, camunda:properties), or draw it in "
               "Lincah's modeler.") if used else
            N_("This diagram was made for Camunda 8 (Zeebe). Lincah runs diagrams made for Camunda 7 and does not "
               "read zeebe: settings — forms, assignments, headers, FEEL expressions starting with '=' — so its user "
               "tasks have no form or group here. Create it as a Camunda 7 BPMN diagram in Camunda Modeler "
               "(camunda:formKey, camunda:candidateGroups, camunda:properties), or draw it in Lincah's modeler."))
    problems.warning("camunda8", text, element_id=root.get("id"), file=filename, line=root.sourceline,
                     params={"settings": settings} if used else None)


def check_structure(process, problems: ProblemList, filename: str) -> None:
    if not xpath(process, "./bpmn:startEvent"):
        problems.error("no_start_event", N_("Process %(name)s has no start event. Add a start event where an "
                                            "application begins."), node=process, file=filename,
                       params={"name": label(process)})
    for container in containers(process)[1:]:
        if local(container.tag) == "adHocSubProcess":
            continue
        starts = xpath(container, "./bpmn:startEvent")
        if container.get("triggeredByEvent") == "true":
            continue
        if not any(is_bpmn(node) and local(node.tag) in FLOW_NODE_TAGS for node in container):
            # A collapsed sub-process drawn as a placeholder, its steps never drawn inside.
            problems.error("subprocess_empty", N_("Sub-process %(name)s is empty: nothing is drawn inside it. Open it "
                                                  "and draw its steps from a start event to an end event, or replace "
                                                  "it with a task."), node=container, file=filename,
                           params={"name": label(container)})
        elif len(starts) != 1:
            problems.error("subprocess_start", N_("Sub-process %(name)s must contain exactly one start event (it has "
                                                  "%(count)s)."), node=container, file=filename,
                           params={"name": label(container), "count": len(starts)})
    for node in process.iter():
        tag = local(node.tag)
        if tag in UNSUPPORTED and is_bpmn(node):
            problems.error("unsupported_element", UNSUPPORTED[tag], node=node, file=filename,
                           params={"kind": tag, "name": label(node)})
        elif tag == "businessRuleTask" and is_bpmn(node) and not node.get(camunda("decisionRef")):
            problems.error("business_rule_without_decision",
                           N_("Business rule task %(name)s names no DMN decision (camunda:decisionRef). Set the "
                              "decision reference and deploy the DMN file with it, or use a script task."),
                           node=node, file=filename, params={"name": label(node)})
        elif tag == "callActivity" and is_bpmn(node) and not node.get("calledElement"):
            problems.error("call_activity_target", N_("Call activity %(name)s does not name the process it calls "
                                                      "(calledElement)."), node=node, file=filename,
                           params={"name": label(node)})


def check_gateways(process, problems: ProblemList, filename: str) -> None:
    """Gateways the rewrite left alone: several flows out, none conditioned, none default, no labels."""
    for container in containers(process):
        graph = ProcessGraph.of(container)
        for node in graph.nodes.values():
            if not is_bpmn(node, "exclusiveGateway", "inclusiveGateway"):
                continue
            flows = graph.outgoing.get(node.get("id"), [])
            if len(flows) > 1 and node.get("default") is None and all(condition_of(f) is None for f in flows):
                if not any((f.get("name") or "").strip() for f in flows):
                    problems.error("gateway_no_condition",
                                   N_("Gateway %(name)s splits into %(count)s flows but none has a condition, a name "
                                      "or the default mark. Name the flows after a user task (they become the "
                                      "officer's choices) or write a condition on each."),
                                   node=node, file=filename, params={"name": label(node), "count": len(flows)})


def check_event_gateways(process, problems: ProblemList, filename: str) -> None:
    """An event-based gateway that waits for several timers: SpiffWorkflow gives them one due time (that of the
    first in the file), so the others never fire on their own schedule — a diagram that would not run as drawn."""
    for container in containers(process):
        graph = ProcessGraph.of(container)
        for node in graph.nodes.values():
            if not is_bpmn(node, "eventBasedGateway"):
                continue
            targets = [graph.nodes.get(flow.get("targetRef")) for flow in graph.outgoing.get(node.get("id"), [])]
            timers = [t for t in targets if t is not None and is_bpmn(t, "intermediateCatchEvent")
                      and xpath(t, "bpmn:timerEventDefinition")]
            if len(timers) < 2:
                continue
            names = ", ".join(label(t) for t in timers)
            problems.error("event_gateway_timers",
                           N_("Event-based gateway %(name)s waits for %(count)s timers (%(timers)s); the engine gives "
                              "them one due time, that of %(first)s, so the others would never fire on their own "
                              "schedule. Keep one timer after the gateway; put other deadlines on boundary timers of "
                              "the task that waits."), node=node, file=filename,
                           params={"name": label(node), "count": len(timers), "timers": names,
                                   "first": label(timers[0])})


def check_reachability(process, problems: ProblemList, filename: str) -> None:
    for container in containers(process):
        graph = ProcessGraph.of(container)
        flow_nodes = {i: n for i, n in graph.nodes.items() if local(n.tag) in FLOW_NODE_TAGS}
        boundary = {}
        for node in flow_nodes.values():
            if local(node.tag) == "boundaryEvent":
                boundary.setdefault(node.get("attachedToRef"), []).append(node.get("id"))
        roots = [i for i, n in flow_nodes.items()
                 if local(n.tag) == "startEvent"
                 or (local(n.tag) in {"subProcess", "transaction"} and n.get("triggeredByEvent") == "true")]
        if not roots:
            continue
        # Elements with no incoming flow in a container with no start event are entry points in BPMN.
        if local(container.tag) == "adHocSubProcess":
            continue
        seen, stack = set(), list(roots)
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            stack.extend(f.get("targetRef") for f in graph.outgoing.get(current, []))
            stack.extend(boundary.get(current, []))
        for node_id, node in flow_nodes.items():
            if node_id not in seen and local(node.tag) != "boundaryEvent":
                problems.warning("unreachable", N_("%(kind)s %(name)s can never be reached from a start event. Connect "
                                                   "it with a sequence flow or delete it."), node=node, file=filename,
                                 params={"kind": local(node.tag), "name": label(node)})


def check_sla(value: str | None, node, problems: ProblemList, filename: str, parse=None) -> None:
    if value is None:
        return
    text = value.strip()
    if text.startswith("calendar="):
        return
    message = None
    if parse is not None:
        try:
            if not parse(text) > timedelta(0):
                message = f"sla {text!r} is no time at all; a step needs a target longer than zero"
        except ValueError as exc:
            message = str(exc)
    elif not is_iso_duration(text):
        message = f"sla {text!r} is not an ISO-8601 duration"
    if message and (spoken := spoken_durations.suggest(text)) is not None:
        # Written as people say it ("2 hari"): say exactly what to write instead.
        problems.error("sla_invalid", N_("SLA of %(name)s is written %(value)s: SLA targets are written in ISO-8601 "
                                         "working time, so write %(suggestion)s."),
                       node=node, file=filename, params={"name": label(node), "value": repr(text),
                                                         "suggestion": spoken})
    elif message:
        problems.error("sla_invalid", N_("SLA of %(name)s cannot be read: %(reason)s. Write working time as "
                                         "ISO-8601, e.g. P2D (2 working days) or PT4H (4 working hours)."),
                       node=node, file=filename, params={"name": label(node), "reason": message})


def check_code(process, problems: ProblemList, filename: str, check_expression, check_script) -> None:
    """Conditions, timer expressions and scripts must compile in the sandbox."""
    for flow in xpath(process, ".//bpmn:sequenceFlow"):
        condition = condition_of(flow)
        if condition is not None:
            _report(check_expression(condition.text), condition.text, flow, "condition", problems, filename)
    for value in xpath(process, ".//bpmn:timerEventDefinition/*"):
        text = (value.text or "").strip()
        if text:
            event = value.getparent().getparent()
            message = check_expression(text)
            if message and looks_like_cron(text):
                problems.error("timer_cron", N_("The timer of %(name)s is a cron expression (%(value)s), which "
                                                "Lincah does not run. Write an ISO-8601 cycle instead, e.g. R/PT5M "
                                                "(every five minutes), R/P1D (every day) or R3/PT1H (three times, an "
                                                "hour apart)."), node=event, file=filename,
                               params={"name": label(event), "value": repr(text)})
            else:
                _report(message, text, event, "timer expression", problems, filename)
    for script in xpath(process, ".//bpmn:scriptTask"):
        body = xpath(script, "./bpmn:script")
        if not body or not (body[0].text or "").strip():
            problems.error("script_empty", N_("Script task %(name)s has no script."), node=script, file=filename,
                           params={"name": label(script)})
            continue
        fmt = (script.get("scriptFormat") or "python").lower()
        if fmt not in {"python", "py", "python3", ""}:
            problems.error("script_language", N_("Script task %(name)s is written in %(language)s; only Python "
                                                 "scripts run in Lincah."), node=script, file=filename,
                           params={"name": label(script), "language": repr(fmt)})
            continue
        _report(check_script(body[0].text), body[0].text, script, "script", problems, filename)


# The problem per kind of code, with what to write instead; the second when the code is FEEL (it starts with "=").
_CODE_KINDS = {
    "condition": (
        N_("The condition of %(name)s is not allowed or does not compile: %(code)s — %(reason)s. Write a Python "
           "expression over the form fields and process variables, e.g. decision == 'Setujui' or luas_lahan > 1000 "
           "(JUEL such as ${approved} works too)."),
        N_("The condition of %(name)s is not allowed or does not compile: %(code)s — %(reason)s. It is written in "
           "FEEL, the expression language of Camunda 8, which Lincah does not read. Write a Python expression over "
           "the form fields and process variables, e.g. decision == 'Setujui' or luas_lahan > 1000 (JUEL such as "
           "${approved} works too)."),
    ),
    "timer expression": (
        N_("The timer expression of %(name)s is not allowed or does not compile: %(code)s — %(reason)s. Write an "
           "ISO-8601 value (P14D, PT4H, 2026-03-02T09:00:00, R3/PT1H) or a Python expression that gives one."),
        N_("The timer expression of %(name)s is not allowed or does not compile: %(code)s — %(reason)s. It is "
           "written in FEEL, the expression language of Camunda 8, which Lincah does not read. Write an ISO-8601 "
           "value (P14D, PT4H, 2026-03-02T09:00:00, R3/PT1H) or a Python expression that gives one."),
    ),
    "script": (
        N_("The script of %(name)s is not allowed or does not compile: %(code)s — %(reason)s. Scripts are Python "
           "statements that set process variables, e.g. biaya = 0."),
    ) * 2,
}
_SHOWN = 80  # characters of the offending code quoted in a problem


def _report(message: str | None, code: str, node, what: str, problems: ProblemList, filename: str) -> None:
    if not message:
        return
    text = " ".join(code.split())
    plain, feel = _CODE_KINDS[what]
    quoted = repr(text if len(text) <= _SHOWN else text[:_SHOWN - 1] + "…")
    problems.error("code_invalid", feel if text.startswith("=") else plain, node=node, file=filename,
                   params={"name": label(node), "code": quoted, "reason": message})


_CRON_FIELD = re.compile(r"^[0-9*?/,\-LW#]+$|^[A-Z]{3}([,\-][A-Z]{3})*$", re.IGNORECASE)


def looks_like_cron(text: str) -> bool:
    """Quartz cron, as Camunda 7 accepts in a timeCycle: 6 or 7 fields (seconds first); classic cron has 5."""
    fields = text.split()
    return 5 <= len(fields) <= 7 and all(_CRON_FIELD.match(field) for field in fields)
