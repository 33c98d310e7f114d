"""Our own lint rules: problems an analyst can fix, each located by element id and line.

SpiffWorkflow's parser reports only the first problem it meets, sometimes as a crash-type exception; these rules run
first, on the XML, and report everything they find at once.
"""

from __future__ import annotations

import difflib
import threading
from dataclasses import dataclass
from datetime import timedelta

from lxml import etree

from ..sla import TWENTY_FOUR_SEVEN, calendar_name, parse_share
from .expressions import is_iso_duration
from .names import FLOW_NODE_TAGS, camunda, is_bpmn, label, local, xpath
from .problems import ProblemList
from .rewrite import ProcessGraph, condition_of, containers
from .settings import human_tasks

_xsd_lock = threading.Lock()
_xsd = None

# Elements SpiffWorkflow cannot execute, with what the analyst can use instead.
UNSUPPORTED = {
    "complexGateway": "Use an exclusive, inclusive or parallel gateway instead.",
    "choreographyTask": "Choreographies cannot be executed; model the process of one participant.",
    "subChoreography": "Choreographies cannot be executed; model the process of one participant.",
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
        problems.warning("xsd", f"Not valid against the BPMN 2.0 schema: {_short_xsd_message(entry.message)} "
                         "Other modelling tools may not open this file.", file=filename, line=entry.line,
                         message_id="XML tidak sesuai skema BPMN 2.0; modeler lain mungkin tidak dapat membukanya.")
    if len(log) > limit:
        problems.warning("xsd", f"... and {len(log) - limit} more schema violations.", file=filename,
                         line=log[limit].line)


def _short_xsd_message(message: str) -> str:
    return message.replace("{http://www.omg.org/spec/BPMN/20100524/MODEL}", "bpmn:")


def check_structure(process, problems: ProblemList, filename: str) -> None:
    if not xpath(process, "./bpmn:startEvent"):
        problems.error("no_start_event", f"Process {label(process)} has no start event. Add a start event where "
                       "an application begins.", node=process, file=filename,
                       message_id=f"Proses {label(process)} tidak memiliki start event.")
    for container in containers(process)[1:]:
        if local(container.tag) == "adHocSubProcess":
            continue
        starts = xpath(container, "./bpmn:startEvent")
        if len(starts) != 1 and container.get("triggeredByEvent") != "true":
            problems.error("subprocess_start", f"Sub-process {label(container)} must contain exactly one start "
                           f"event (it has {len(starts)}).", node=container, file=filename,
                           message_id=f"Sub-proses {label(container)} harus memiliki tepat satu start event.")
    for node in process.iter():
        tag = local(node.tag)
        if tag in UNSUPPORTED and is_bpmn(node):
            problems.error("unsupported_element", f"{tag} {label(node)} is not supported. {UNSUPPORTED[tag]}",
                           node=node, file=filename, message_id=f"Elemen {tag} {label(node)} tidak didukung.")
        elif tag == "businessRuleTask" and is_bpmn(node) and not node.get(camunda("decisionRef")):
            problems.error("business_rule_without_decision",
                           f"Business rule task {label(node)} names no DMN decision (camunda:decisionRef). Set the "
                           "decision reference and deploy the DMN file with it, or use a script task.",
                           node=node, file=filename,
                           message_id=f"Tugas aturan bisnis {label(node)} tidak menyebut keputusan DMN.")
        elif tag == "callActivity" and is_bpmn(node) and not node.get("calledElement"):
            problems.error("call_activity_target", f"Call activity {label(node)} does not name the process it "
                           "calls (calledElement).", node=node, file=filename,
                           message_id=f"Call activity {label(node)} tidak menyebut proses yang dipanggil.")


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
                                   f"Gateway {label(node)} splits into {len(flows)} flows but none has a condition, "
                                   "a name or the default mark. Name the flows after a user task (they become the "
                                   "officer's choices) or write a condition on each.",
                                   node=node, file=filename,
                                   message_id=f"Gerbang {label(node)} tidak memiliki syarat, nama, atau default.")


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
                problems.warning("unreachable", f"{local(node.tag)} {label(node)} can never be reached from a start "
                                 "event. Connect it with a sequence flow or delete it.", node=node, file=filename,
                                 message_id=f"Elemen {label(node)} tidak dapat dicapai dari start event.")


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
    if message:
        problems.error("sla_invalid", f"SLA of {label(node)} cannot be read: {message}. Write working time as "
                       "ISO-8601, e.g. P2D (2 working days) or PT4H (4 working hours).", node=node,
                       file=filename, message_id=f"SLA pada {label(node)} tidak dapat dibaca: {text!r}.")


def check_code(process, problems: ProblemList, filename: str, check_expression, check_script) -> None:
    """Conditions, timer expressions and scripts must compile in the sandbox."""
    for flow in xpath(process, ".//bpmn:sequenceFlow"):
        condition = condition_of(flow)
        if condition is not None:
            _report(check_expression(condition.text), flow, "condition", problems, filename)
    for value in xpath(process, ".//bpmn:timerEventDefinition/*"):
        if (value.text or "").strip():
            event = value.getparent().getparent()
            _report(check_expression(value.text), event, "timer expression", problems, filename)
    for script in xpath(process, ".//bpmn:scriptTask"):
        body = xpath(script, "./bpmn:script")
        if not body or not (body[0].text or "").strip():
            problems.error("script_empty", f"Script task {label(script)} has no script.", node=script,
                           file=filename, message_id=f"Tugas skrip {label(script)} tidak berisi skrip.")
            continue
        fmt = (script.get("scriptFormat") or "python").lower()
        if fmt not in {"python", "py", "python3", ""}:
            problems.error("script_language", f"Script task {label(script)} is written in {fmt!r}; only Python "
                           "scripts run in Lincah.", node=script, file=filename,
                           message_id=f"Tugas skrip {label(script)} bukan Python.")
            continue
        _report(check_script(body[0].text), script, "script", problems, filename)


def _report(message: str | None, node, what: str, problems: ProblemList, filename: str) -> None:
    if message:
        problems.error("code_invalid", f"The {what} of {label(node)} is not allowed or does not compile: {message}",
                       node=node, file=filename,
                       message_id=f"{what.capitalize()} pada {label(node)} tidak valid: {message}")


# --- SLA settings besides the target (``camunda:properties``) ------------------------------------------------------

# What the engine reads (engine.sla, engine.escalation), on the process (the whole file, and defaults for its steps)
# and on human tasks; ``calendar`` is read on both too.
SLA_KEYS = ("sla", "sla.at_risk", "sla.pause", "sla.escalate", "sla.on_breach", "sla.approve")
CALENDAR_KEY = "calendar"
STEP_ONLY = ("sla.pause", "sla.escalate")
APPROVE = "approve"
WORKING = "working"
_TRUE, _FALSE = {"true", "yes", "1", "ya"}, {"false", "no", "0", "tidak"}


@dataclass
class _Owner:
    """The element a property sits on, and what the engine knows of it."""

    node: object
    kind: str  # "process", "task" (a user or manual task) or "other"
    settings: dict  # settings.task_settings() / process_settings(); {} for other elements


@dataclass
class _Scope:
    process: dict  # process_settings()
    office: list[dict]  # the office steps' task settings (decision choices included)
    nodes: dict  # element id -> node of the human tasks
    on_breach: str  # the process's sla.on_breach, lower case

    def has_target(self, owner: _Owner) -> bool:
        """Can a breach happen where ``owner``'s setting applies?"""
        if owner.kind == "task":
            return bool(owner.settings.get("sla"))
        return bool(self.process.get("sla")) or any(t.get("sla") for t in self.office)


def _value(properties: dict | None, name: str) -> str:
    return ((properties or {}).get(name) or "").strip()


def _located_properties(node) -> list:
    """``(name, value, property element)`` of an element's own ``camunda:properties``, in document order."""
    found = []
    for prop in xpath(node, "./bpmn:extensionElements/camunda:properties/camunda:property"):
        name = (prop.get("name") or "").strip()
        if name:
            found.append((name, prop.get("value") if prop.get("value") is not None else (prop.text or ""), prop))
    return found


def _approving_choice(choices: list[str], settings: dict, process: dict) -> str | None:
    # The rule the SLA pass applies at breach time, so lint and the pass cannot disagree. Imported at call time:
    # engine.escalation depends on this compiler (through engine.applications and engine.definitions).
    from ..escalation import approving_choice

    return approving_choice(choices, settings, process)


def check_sla_settings(process, tasks: dict[str, dict], process_settings: dict, problems: ProblemList,
                       filename: str) -> None:
    """``sla.at_risk``, ``calendar``, ``sla.pause``, ``sla.escalate``, ``sla.on_breach`` and ``sla.approve``: a
    value the engine cannot act on is an error; a setting placed where the engine does not read it, or that can never
    take effect, is a warning. Each problem points at the property's line.

    An automatic approval that finds nothing to approve is a warning, not an error: the SLA pass then leaves the step
    breached and logs why (``fiktif_positif_failed``), which a service may accept.

    ``tasks`` are the human tasks' settings by element id, with their decision choices. The target (``sla``) itself
    is :func:`check_sla`'s.
    """
    nodes = {node.get("id"): node for node in human_tasks(process) if node.get("id") in tasks}
    scope = _Scope(process_settings, [t for t in tasks.values() if not t["for_applicant"]], nodes,
                   _value(process_settings.get("properties"), "sla.on_breach").lower())
    for node in process.iter():
        props = _located_properties(node) if isinstance(node.tag, str) else []
        if not props:
            continue
        if node is process:
            owner = _Owner(node, "process", process_settings)
        elif node.get("id") in nodes and nodes[node.get("id")] is node:
            owner = _Owner(node, "task", tasks[node.get("id")])
        else:
            owner = _Owner(node, "other", {})
        for name, value, prop in props:
            where = {"node": node, "line": prop.sourceline, "file": filename}
            if name.startswith("sla.") and name not in SLA_KEYS:
                _unknown_key(name, owner, problems, where)
            elif owner.kind == "other" and name in SLA_KEYS:
                problems.warning("sla_property_ignored", f"{name} on {local(node.tag)} {label(node)} is not read: "
                                 "SLA clocks run on user and manual tasks and on the process. Move it there.",
                                 message_id=f"{name} pada {label(node)} tidak dibaca: SLA hanya berlaku pada tugas "
                                 "pengguna atau manual dan pada proses.", **where)
            elif owner.kind == "process" and name in STEP_ONLY:
                problems.warning("sla_property_ignored", f"{name} on the process {label(node)} is not read: it "
                                 "belongs on the user task it is about.",
                                 message_id=f"{name} pada proses {label(node)} tidak dibaca; pindahkan ke tugas "
                                 "pengguna yang dimaksud.", **where)
            elif owner.kind != "other" and name in _CHECKS:
                _CHECKS[name](value, owner, scope, problems, where)


def _unknown_key(name: str, owner: _Owner, problems: ProblemList, where: dict) -> None:
    if name == f"sla.{CALENDAR_KEY}":
        hint = f" The calendar is the property '{CALENDAR_KEY}' ({CALENDAR_KEY}=24x7)."
    else:
        close = difflib.get_close_matches(name, SLA_KEYS, n=1)
        hint = f" Did you mean {close[0]}?" if close else ""
    problems.warning("sla_property_unknown", f"Property {name} on {label(owner.node)} is not an SLA setting Lincah "
                     f"reads ({', '.join(SLA_KEYS)}, {CALENDAR_KEY}); it is ignored.{hint}",
                     message_id=f"Properti {name} pada {label(owner.node)} tidak dikenal dan diabaikan.{hint}",
                     **where)


def _never_fires(name: str, owner: _Owner, problems: ProblemList, where: dict) -> None:
    whose = "this step has" if owner.kind == "task" else "neither the process nor any of its office steps has"
    problems.warning("sla_without_target", f"{name} on {label(owner.node)} has no effect: {whose} an SLA target "
                     "(property sla, e.g. P2D).",
                     message_id=f"{name} pada {label(owner.node)} tidak berpengaruh karena tidak ada target SLA.",
                     **where)


def _check_at_risk(value: str, owner: _Owner, scope: _Scope, problems: ProblemList, where: dict) -> None:
    share = parse_share(value)
    if share is None or share >= 1:
        problems.error("sla_at_risk_invalid", f"sla.at_risk {value!r} on {label(owner.node)} is not a share of the "
                       "target between 0 and 1: write 0.75 or 75% (the step turns 'at risk' once that share of its "
                       "time has passed).",
                       message_id=f"sla.at_risk {value!r} pada {label(owner.node)} harus di antara 0 dan 1, misalnya "
                       "0.75 atau 75%.", **where)
    elif not scope.has_target(owner):
        _never_fires("sla.at_risk", owner, problems, where)


def _check_calendar(value: str, owner: _Owner, scope: _Scope, problems: ProblemList, where: dict) -> None:
    text = value.strip().lower().replace("calendar=", "")
    if calendar_name(text) == TWENTY_FOUR_SEVEN or text == WORKING:
        return
    problems.error("sla_calendar_invalid", f"calendar {value!r} on {label(owner.node)} is not a calendar Lincah "
                   f"knows: write {TWENTY_FOUR_SEVEN} to count plain time around the clock, or leave the property out "
                   "to count working time (office hours; weekends and holidays off).",
                   message_id=f"Kalender {value!r} pada {label(owner.node)} tidak dikenal: tulis {TWENTY_FOUR_SEVEN} "
                   "atau hapus properti ini (hari kerja).", **where)


def _check_pause(value: str, owner: _Owner, scope: _Scope, problems: ProblemList, where: dict) -> None:
    text = value.strip().lower()
    if text not in _TRUE | _FALSE:
        problems.error("sla_pause_invalid", f"sla.pause {value!r} on {label(owner.node)} is neither true nor false. "
                       "Write true on the applicant's step (e.g. revise the application) to stop the office's clock "
                       "while the applicant has the file.",
                       message_id=f"sla.pause {value!r} pada {label(owner.node)} harus true atau false.", **where)
    elif text in _TRUE and not owner.settings.get("for_applicant"):
        problems.warning("sla_pause_office_step", f"sla.pause on {label(owner.node)} stops the file's SLA clocks "
                         "while this office step is open, but they may stop only while the file waits for the "
                         "applicant (PP 28/2025). Give the step to the applicant (camunda:assignee=\"${applicant}\") "
                         "or remove sla.pause.",
                         message_id=f"sla.pause pada {label(owner.node)} menghentikan jam SLA selama tahap kantor; "
                         "penghentian hanya untuk tahap pemohon.", **where)


def _check_escalate(value: str, owner: _Owner, scope: _Scope, problems: ProblemList, where: dict) -> None:
    group = value.strip()
    if not group or "," in group or "${" in group or "#{" in group:
        problems.error("sla_escalate_invalid", f"sla.escalate {value!r} on {label(owner.node)} must name one group "
                       "of officers (e.g. head_of_office) that takes the step over when it is overdue; lists and "
                       "expressions are not read.",
                       message_id=f"sla.escalate {value!r} pada {label(owner.node)} harus berisi satu nama grup "
                       "petugas.", **where)
    elif owner.settings.get("for_applicant"):
        problems.warning("sla_property_ignored", f"sla.escalate on {label(owner.node)} is not read: the applicant's "
                         "own step is never handed to officers.",
                         message_id=f"sla.escalate pada {label(owner.node)} diabaikan: tahap milik pemohon.", **where)
    elif not scope.has_target(owner):
        _never_fires("sla.escalate", owner, problems, where)


def _check_on_breach(value: str, owner: _Owner, scope: _Scope, problems: ProblemList, where: dict) -> None:
    if value.strip().lower() != APPROVE:
        problems.error("sla_on_breach_invalid", f"sla.on_breach {value!r} on {label(owner.node)} is not an action "
                       f"Lincah takes: the only one is {APPROVE} (the approving decision is taken automatically when "
                       "the SLA is breached: fiktif positif, PP 28/2025).",
                       message_id=f"sla.on_breach {value!r} pada {label(owner.node)} tidak dikenal; yang ada hanya "
                       f"{APPROVE} (fiktif positif).", **where)
        return
    if owner.kind == "task" and owner.settings.get("for_applicant"):
        problems.warning("sla_property_ignored", f"sla.on_breach on {label(owner.node)} is not read: only office "
                         "steps are approved automatically, not the applicant's own.",
                         message_id=f"sla.on_breach pada {label(owner.node)} diabaikan: tahap milik pemohon.",
                         **where)
        return
    if not scope.has_target(owner):
        _never_fires("sla.on_breach", owner, problems, where)
    if owner.kind == "task":
        choices = owner.settings.get("decisions") or []
        if not choices:
            problems.warning("sla_on_breach_no_decision", f"sla.on_breach=approve on {label(owner.node)}: the step "
                             "offers no decision, so on breach it is completed automatically with none and without "
                             "its form's data.", message_id=f"sla.on_breach=approve pada {label(owner.node)}: tahap "
                             "tanpa keputusan diselesaikan otomatis tanpa data formulir.", **where)
        elif _approving_choice(choices, owner.settings, scope.process) is None:
            _no_approval(owner.node, choices, problems, where)
        return
    deciding = [t for t in scope.office if t["decisions"]]
    if not deciding:
        problems.warning("sla_on_breach_no_decision", f"sla.on_breach=approve on the process {label(owner.node)} has "
                         "no decision to take: none of its office steps offers one, so on breach its open steps are "
                         "just completed without their forms' data. Name the flows after the deciding step (e.g. "
                         "Setujui / Tolak) or remove sla.on_breach.",
                         message_id=f"sla.on_breach=approve pada proses {label(owner.node)}: tidak ada tahap dengan "
                         "keputusan untuk disetujui.", **where)
        return
    refusing = [t for t in deciding if _approving_choice(t["decisions"], t, scope.process) is None]
    if len(refusing) == len(deciding):
        problems.warning("sla_on_breach_no_approval", f"sla.on_breach=approve on the process {label(owner.node)} "
                         "cannot approve anything: no choice of its deciding steps reads as approval, so overdue "
                         "steps stay breached. Name the approving choice with sla.approve.",
                         message_id=f"sla.on_breach=approve pada proses {label(owner.node)}: tidak ada pilihan yang "
                         "menyetujui; sebutkan dengan sla.approve.", **where)
        return
    for task in refusing:
        _no_approval(scope.nodes[task["element_id"]], task["decisions"], problems,
                     {"node": scope.nodes[task["element_id"]], "file": where["file"]})


def _no_approval(node, choices: list[str], problems: ProblemList, where: dict) -> None:
    problems.warning("sla_on_breach_no_approval", f"sla.on_breach=approve applies to {label(node)}, but none of its "
                     f"choices ({', '.join(choices)}) reads as approval: when it is overdue it stays breached. Name "
                     "the approving one with sla.approve.",
                     message_id=f"sla.on_breach=approve berlaku untuk {label(node)}, tetapi tidak ada pilihan yang "
                     "menyetujui; sebutkan dengan sla.approve.", **where)


def _check_approve(value: str, owner: _Owner, scope: _Scope, problems: ProblemList, where: dict) -> None:
    named = value.strip()
    if owner.kind == "task":
        choices = owner.settings.get("decisions") or []
        valid = named in choices
        offered = f"its choices are {', '.join(choices)}" if choices else "it offers no choices"
        used = APPROVE in (_value(owner.settings.get("properties"), "sla.on_breach").lower(), scope.on_breach)
    else:
        valid = any(named in t["decisions"] for t in scope.office)
        offered = "it is the choice of none of its office steps"
        used = scope.on_breach == APPROVE or any(
            _value(t.get("properties"), "sla.on_breach").lower() == APPROVE for t in scope.office)
    if not valid:
        problems.error("sla_approve_invalid", f"sla.approve {value!r} on {label(owner.node)} is not a choice this "
                       f"setting applies to ({offered}). Write the approving choice exactly as its flow is named.",
                       message_id=f"sla.approve {value!r} pada {label(owner.node)} bukan salah satu pilihan "
                       "keputusan.", **where)
    elif not used:
        problems.warning("sla_approve_unused", f"sla.approve on {label(owner.node)} has no effect without "
                         "sla.on_breach=approve on the step or the process.",
                         message_id=f"sla.approve pada {label(owner.node)} tidak berpengaruh tanpa "
                         "sla.on_breach=approve.", **where)


_CHECKS = {"sla.at_risk": _check_at_risk, CALENDAR_KEY: _check_calendar, "sla.pause": _check_pause,
           "sla.escalate": _check_escalate, "sla.on_breach": _check_on_breach, "sla.approve": _check_approve}
