"""Lint of the SLA settings besides the target, read from ``camunda:properties`` on the process and its human
tasks: a value the engine cannot act on is an error, a setting it would not act on is a warning.

Kept apart from :mod:`.lint` because these rules mirror what :mod:`engine.sla.clocks` and
:mod:`engine.casework.escalation` read, and
change with them; the target itself (``sla``) is :func:`.lint.check_sla`'s.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from engine.bpmn.choices import APPROVE as MEANS_APPROVE
from engine.bpmn.choices import DECISION_PROPERTY, REJECT, RETURN, approving_choice, choice_meaning
from engine.bpmn.names import label, local, xpath
from engine.bpmn.problems import ProblemList
from engine.bpmn.settings import human_tasks
from engine.sla.clocks import TWENTY_FOUR_SEVEN, calendar_name, parse_share
from engine.texts import N_

# What the engine reads (engine.sla.clocks, engine.casework.escalation), on the process (the whole file, and defaults
# for its steps)
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


def check_sla_settings(process, tasks: dict[str, dict], process_settings: dict, problems: ProblemList,
                       filename: str) -> None:
    """``sla.at_risk``, ``calendar``, ``sla.pause``, ``sla.escalate``, ``sla.on_breach`` and ``sla.approve``: a
    value the engine cannot act on is an error; a setting placed where the engine does not read it, or that can never
    take effect, is a warning. Each problem points at the property's line.

    An automatic approval that finds nothing to approve is a warning, not an error: the SLA pass then leaves the step
    breached and logs why (``fiktif_positif_failed``), which a service may accept.

    ``tasks`` are the human tasks' settings by element id, with their decision choices. The target (``sla``) itself
    is :func:`.lint.check_sla`'s.
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
                problems.warning("sla_property_ignored", N_("%(property)s on %(kind)s %(name)s is not read: SLA "
                                                            "clocks run on user and manual tasks and on the process. "
                                                            "Move it there."),
                                 params={"property": name, "kind": local(node.tag), "name": label(node)}, **where)
            elif owner.kind == "process" and name in STEP_ONLY:
                problems.warning("sla_property_ignored", N_("%(property)s on the process %(name)s is not read: it "
                                                            "belongs on the user task it is about."),
                                 params={"property": name, "name": label(node)}, **where)
            elif owner.kind != "other" and name in _CHECKS:
                _CHECKS[name](value, owner, scope, problems, where)


def _unknown_key(name: str, owner: _Owner, problems: ProblemList, where: dict) -> None:
    close = difflib.get_close_matches(name, SLA_KEYS, n=1)
    params = {"property": name, "name": label(owner.node), "known": f"{', '.join(SLA_KEYS)}, {CALENDAR_KEY}",
              "calendar": CALENDAR_KEY, "close": close[0] if close else ""}
    if name == f"sla.{CALENDAR_KEY}":
        text = N_("Property %(property)s on %(name)s is not an SLA setting Lincah reads (%(known)s); it is ignored. "
                  "The calendar is the property '%(calendar)s' (%(calendar)s=24x7).")
    elif close:
        text = N_("Property %(property)s on %(name)s is not an SLA setting Lincah reads (%(known)s); it is ignored. "
                  "Did you mean %(close)s?")
    else:
        text = N_("Property %(property)s on %(name)s is not an SLA setting Lincah reads (%(known)s); it is ignored.")
    problems.warning("sla_property_unknown", text, params=params, **where)


def _never_fires(name: str, owner: _Owner, problems: ProblemList, where: dict) -> None:
    if owner.kind == "task":
        text = N_("%(property)s on %(name)s has no effect: this step has no SLA target (property sla, e.g. P2D).")
    else:
        text = N_("%(property)s on %(name)s has no effect: neither the process nor any of its office steps has an "
                  "SLA target (property sla, e.g. P2D).")
    problems.warning("sla_without_target", text, params={"property": name, "name": label(owner.node)}, **where)


def _check_at_risk(value: str, owner: _Owner, scope: _Scope, problems: ProblemList, where: dict) -> None:
    share = parse_share(value)
    if share is None or share >= 1:
        problems.error("sla_at_risk_invalid", N_("sla.at_risk %(value)s on %(name)s is not a share of the target "
                                                 "between 0 and 1: write 0.75 or 75%% (the step turns 'at risk' once "
                                                 "that share of its time has passed)."),
                       params={"value": repr(value), "name": label(owner.node)}, **where)
    elif not scope.has_target(owner):
        _never_fires("sla.at_risk", owner, problems, where)


def _check_calendar(value: str, owner: _Owner, scope: _Scope, problems: ProblemList, where: dict) -> None:
    text = value.strip().lower().replace("calendar=", "")
    if calendar_name(text) == TWENTY_FOUR_SEVEN or text == WORKING:
        return
    problems.error("sla_calendar_invalid", N_("calendar %(value)s on %(name)s is not a calendar Lincah knows: write "
                                              "%(plain)s to count plain time around the clock, or leave the property "
                                              "out to count working time (office hours; weekends and holidays off)."),
                   params={"value": repr(value), "name": label(owner.node), "plain": TWENTY_FOUR_SEVEN}, **where)


def _check_pause(value: str, owner: _Owner, scope: _Scope, problems: ProblemList, where: dict) -> None:
    text = value.strip().lower()
    if text not in _TRUE | _FALSE:
        problems.error("sla_pause_invalid", N_("sla.pause %(value)s on %(name)s is neither true nor false. Write "
                                               "true on the applicant's step (e.g. revise the application) to stop "
                                               "the office's clock while the applicant has the file."),
                       params={"value": repr(value), "name": label(owner.node)}, **where)
    elif text in _TRUE and not owner.settings.get("for_applicant"):
        problems.warning("sla_pause_office_step", N_("sla.pause on %(name)s stops the file's SLA clocks while this "
                                                     "office step is open, but they may stop only while the file "
                                                     "waits for the applicant (PP 28/2025). Give the step to the "
                                                     "applicant (camunda:assignee=\"${applicant}\") or remove "
                                                     "sla.pause."),
                         params={"name": label(owner.node)}, **where)


def _check_escalate(value: str, owner: _Owner, scope: _Scope, problems: ProblemList, where: dict) -> None:
    group = value.strip()
    if not group or "," in group or "${" in group or "#{" in group:
        problems.error("sla_escalate_invalid", N_("sla.escalate %(value)s on %(name)s must name one group of "
                                                  "officers (e.g. head_of_office) that takes the step over when it "
                                                  "is overdue; lists and expressions are not read."),
                       params={"value": repr(value), "name": label(owner.node)}, **where)
    elif owner.settings.get("for_applicant"):
        problems.warning("sla_property_ignored", N_("sla.escalate on %(name)s is not read: the applicant's own step "
                                                    "is never handed to officers."),
                         params={"name": label(owner.node)}, **where)
    elif not scope.has_target(owner):
        _never_fires("sla.escalate", owner, problems, where)


def _check_on_breach(value: str, owner: _Owner, scope: _Scope, problems: ProblemList, where: dict) -> None:
    if value.strip().lower() != APPROVE:
        problems.error("sla_on_breach_invalid", N_("sla.on_breach %(value)s on %(name)s is not an action Lincah "
                                                   "takes: the only one is %(approve)s (the approving decision is "
                                                   "taken automatically when the SLA is breached: fiktif positif, PP "
                                                   "28/2025)."),
                       params={"value": repr(value), "name": label(owner.node), "approve": APPROVE}, **where)
        return
    if owner.kind == "task" and owner.settings.get("for_applicant"):
        problems.warning("sla_property_ignored", N_("sla.on_breach on %(name)s is not read: only office steps are "
                                                    "approved automatically, not the applicant's own."),
                         params={"name": label(owner.node)}, **where)
        return
    if not scope.has_target(owner):
        _never_fires("sla.on_breach", owner, problems, where)
    if owner.kind == "task":
        choices = owner.settings.get("decisions") or []
        if not choices:
            problems.warning("sla_on_breach_no_decision", N_("sla.on_breach=approve on %(name)s: the step offers no "
                                                             "decision, so on breach it is completed automatically "
                                                             "with none and without its form's data."),
                             params={"name": label(owner.node)}, **where)
        elif approving_choice(choices, owner.settings, scope.process) is None:
            _no_approval(owner.node, choices, problems, where)
        else:
            _one_approval(owner.node, owner.settings, scope, problems, where)
        return
    deciding = [t for t in scope.office if t["decisions"]]
    if not deciding:
        problems.warning("sla_on_breach_no_decision", N_("sla.on_breach=approve on the process %(name)s has no "
                                                         "decision to take: none of its office steps offers one, so "
                                                         "on breach its open steps are just completed without their "
                                                         "forms' data. Name the flows after the deciding step (e.g. "
                                                         "Setujui / Tolak) or remove sla.on_breach."),
                         params={"name": label(owner.node)}, **where)
        return
    refusing = [t for t in deciding if approving_choice(t["decisions"], t, scope.process) is None]
    if len(refusing) == len(deciding):
        problems.warning("sla_on_breach_no_approval", N_("sla.on_breach=approve on the process %(name)s cannot "
                                                         "approve anything: no choice of its deciding steps is known "
                                                         "to approve, so overdue steps stay breached. Write "
                                                         "%(property)s=approve on the approving choice's flow, or "
                                                         "name it with sla.approve."),
                         params={"name": label(owner.node), "property": DECISION_PROPERTY}, **where)
        return
    for task in refusing:
        _no_approval(scope.nodes[task["element_id"]], task["decisions"], problems,
                     {"node": scope.nodes[task["element_id"]], "file": where["file"]})
    for task in deciding:
        if task not in refusing:
            _one_approval(scope.nodes[task["element_id"]], task, scope, problems,
                          {"node": scope.nodes[task["element_id"]], "file": where["file"]})


def _no_approval(node, choices: list[str], problems: ProblemList, where: dict) -> None:
    problems.warning("sla_on_breach_no_approval", N_("sla.on_breach=approve applies to %(name)s, but none of its "
                                                     "choices (%(choices)s) is known to approve: when it is overdue "
                                                     "it stays breached. Write %(property)s=approve on the approving "
                                                     "choice's flow, or name it with sla.approve."),
                     params={"name": label(node), "choices": ", ".join(choices), "property": DECISION_PROPERTY},
                     **where)


def _one_approval(node, task: dict, scope: _Scope, problems: ProblemList, where: dict) -> None:
    """Several approving choices and none named: the automatic decision would take one nobody chose."""
    if any(_value(p, "sla.approve") in task["decisions"] for p in (task.get("properties"), scope.process.get(
            "properties"))):
        return
    approving = [c for c in task["decisions"] if choice_meaning(c, task, scope.process) == MEANS_APPROVE]
    if len(approving) > 1:
        problems.error("sla_approve_ambiguous", N_("sla.on_breach=approve applies to %(name)s, whose choices "
                                                   "%(choices)s all approve: the automatic decision would take the "
                                                   "first in the file, which nobody chose. Name the one to take with "
                                                   "sla.approve on the step."),
                       params={"name": label(node), "choices": ", ".join(repr(c) for c in approving)}, **where)


def _check_approve(value: str, owner: _Owner, scope: _Scope, problems: ProblemList, where: dict) -> None:
    named = value.strip()
    if owner.kind == "task":
        choices = owner.settings.get("decisions") or []
        valid = named in choices
        used = APPROVE in (_value(owner.settings.get("properties"), "sla.on_breach").lower(), scope.on_breach)
    else:
        choices = []
        valid = any(named in t["decisions"] for t in scope.office)
        used = scope.on_breach == APPROVE or any(
            _value(t.get("properties"), "sla.on_breach").lower() == APPROVE for t in scope.office)
    refusing = [t for t in ([owner.settings] if owner.kind == "task" else scope.office)
                if named in t.get("decisions", []) and choice_meaning(named, t, scope.process) in (REJECT, RETURN)]
    if valid and refusing:
        meaning = choice_meaning(named, refusing[0], scope.process)
        problems.error("sla_approve_contradicts", N_("sla.approve names %(choice)s on %(name)s, but its flow "
                                                     "declares %(property)s=%(meaning)s: the automatic decision would "
                                                     "%(meaning)s the file. Name the approving choice, or correct the "
                                                     "flow's meaning."),
                       params={"choice": repr(named), "name": label(owner.node), "property": DECISION_PROPERTY,
                               "meaning": meaning}, **where)
    elif not valid:
        params = {"value": repr(value), "name": label(owner.node), "choices": ", ".join(choices)}
        if owner.kind != "task":
            text = N_("sla.approve %(value)s on %(name)s is not a choice this setting applies to (it is the choice "
                      "of none of its office steps). Write the approving choice exactly as its flow is named.")
        elif choices:
            text = N_("sla.approve %(value)s on %(name)s is not a choice this setting applies to (its choices are "
                      "%(choices)s). Write the approving choice exactly as its flow is named.")
        else:
            text = N_("sla.approve %(value)s on %(name)s is not a choice this setting applies to (it offers no "
                      "choices). Write the approving choice exactly as its flow is named.")
        problems.error("sla_approve_invalid", text, params=params, **where)
    elif not used:
        problems.warning("sla_approve_unused", N_("sla.approve on %(name)s has no effect without "
                                                  "sla.on_breach=approve on the step or the process."),
                         params={"name": label(owner.node)}, **where)


_CHECKS = {"sla.at_risk": _check_at_risk, CALENDAR_KEY: _check_calendar, "sla.pause": _check_pause,
           "sla.escalate": _check_escalate, "sla.on_breach": _check_on_breach, "sla.approve": _check_approve}


def check_steps_fit_the_file(nodes: dict, tasks: dict[str, dict], process_settings: dict, problems: ProblemList,
                             filename: str, parse) -> None:
    """A step whose own target is longer than the whole file's can only be on time in a file that is late.

    Compared only where both count the same working time (the same calendar) and both targets parse; a target that
    does not parse is :func:`.lint.check_sla`'s error already.
    """
    file_target = process_settings.get("sla")
    if parse is None or not file_target:
        return
    try:
        whole = parse(file_target)
    except ValueError:
        return
    file_calendar = _value(process_settings.get("properties"), CALENDAR_KEY) or None
    for element_id, task in tasks.items():
        target = task.get("sla")
        if not target or task["for_applicant"] or (task.get("calendar") or file_calendar) != file_calendar:
            continue
        try:
            longer = parse(target) > whole
        except ValueError:
            continue
        if longer:
            node = nodes[element_id]
            problems.warning("sla_step_exceeds_file", N_("The SLA of %(name)s (%(target)s) is longer than the whole "
                                                         "file's (%(file_target)s), so the service standard promises "
                                                         "less time than this one step may take. Shorten the step's "
                                                         "target or lengthen the file's (sla on the process)."),
                             node=node, file=filename,
                             params={"name": label(node), "target": target, "file_target": file_target})
