"""Lint of what choices and end events mean (:mod:`.choices`): said where the engine or a message depends on it.

A ``decision.meaning`` or ``outcome.meaning`` the engine cannot read is an error (the analyst declared something
and it would be ignored); one written where nothing reads it is a warning. A choice nobody can tell the meaning
of is a warning only where the applicant's message at the end of the file would be vaguer for it (told "closed"
instead of approved or rejected). What the automatic decision (*fiktif positif*) needs is checked with the other
SLA settings (:mod:`.sla_lint`), where a wrong automatic decision is an error.
"""

from __future__ import annotations

from engine.bpmn.choices import (
    DECISION_PROPERTY,
    MEANINGS,
    OUTCOME_MEANINGS,
    OUTCOME_PROPERTY,
    Meanings,
    located_property,
)
from engine.bpmn.names import label, local
from engine.bpmn.problems import ProblemList
from engine.texts import N_


def check_meanings(process, meanings: Meanings, problems: ProblemList, filename: str) -> None:
    by_flow = meanings.by_flow()
    ends = {end.node.get("id"): end for end in meanings.ends}
    for node in process.iter():
        if not isinstance(node.tag, str):
            continue
        value, prop = located_property(node, DECISION_PROPERTY)
        if prop is not None:
            _check_decision(node, value, prop, node.get("id") in by_flow, problems, filename)
        value, prop = located_property(node, OUTCOME_PROPERTY)
        if prop is not None:
            _check_outcome(node, value, prop, node.get("id") in ends, problems, filename)
    told = set()
    for end in meanings.ends:
        if end.meaning is not None or end.declared in OUTCOME_MEANINGS:
            continue
        if end.conflict:
            found = sorted({c.meaning for c in end.after if c.meaning})
            problems.warning("outcome_meaning_unknown", N_("End event %(name)s is reached right after choices that "
                                                           "mean %(meanings)s, so the applicant is told only that the "
                                                           "file was closed. Give each outcome its own end event, or "
                                                           "write %(property)s = %(outcomes)s on it "
                                                           "(camunda:properties)."),
                             node=end.node, file=filename,
                             params={"name": label(end.node), "meanings": " and ".join(found),
                                     "property": OUTCOME_PROPERTY, "outcomes": " | ".join(OUTCOME_MEANINGS)})
            continue
        for choice in end.after:
            if choice.meaning is not None or choice.flow.get("id") in told:
                continue
            told.add(choice.flow.get("id"))
            problems.warning("decision_meaning_unknown", N_("Lincah cannot tell what the choice %(choice)s (flow "
                                                            "%(flow)s) means, so an applicant whose file ends at "
                                                            "%(end)s after it is told only that the file was closed. "
                                                            "Write %(property)s = %(meanings)s on the flow "
                                                            "(camunda:properties), or %(outcome_property)s on the end "
                                                            "event."), node=choice.flow, file=filename,
                             params={"choice": repr(choice.name), "flow": repr(choice.flow.get("id")),
                                     "end": label(end.node), "property": DECISION_PROPERTY,
                                     "meanings": " | ".join(MEANINGS), "outcome_property": OUTCOME_PROPERTY})


def _check_decision(node, value: str, prop, is_choice: bool, problems: ProblemList, filename: str) -> None:
    where = {"node": node, "line": prop.sourceline, "file": filename}
    if not is_choice:
        problems.warning("decision_meaning_ignored", N_("%(property)s on %(kind)s %(name)s is not read: it belongs "
                                                        "on a flow that leaves the gateway right after a user task, "
                                                        "whose name is a choice offered to the officer."),
                         params={"property": DECISION_PROPERTY, "kind": local(node.tag), "name": label(node)}, **where)
    elif value not in MEANINGS:
        problems.error("decision_meaning_invalid", N_("%(property)s %(value)s on %(name)s is not a meaning Lincah "
                                                      "knows: write %(meanings)s (approve: the file goes on towards "
                                                      "the permit; reject: it is refused; return: back to the "
                                                      "applicant for revision; other: none of these)."),
                       params={"property": DECISION_PROPERTY, "value": repr(value), "name": label(node),
                               "meanings": " | ".join(MEANINGS)}, **where)


def _check_outcome(node, value: str, prop, is_end: bool, problems: ProblemList, filename: str) -> None:
    where = {"node": node, "line": prop.sourceline, "file": filename}
    if not is_end:
        problems.warning("outcome_meaning_ignored", N_("%(property)s on %(kind)s %(name)s is not read: it belongs "
                                                       "on an end event of the process (what the applicant is told "
                                                       "when the file ends there)."),
                         params={"property": OUTCOME_PROPERTY, "kind": local(node.tag), "name": label(node)}, **where)
    elif value not in OUTCOME_MEANINGS:
        problems.error("outcome_meaning_invalid", N_("%(property)s %(value)s on %(name)s is not an outcome Lincah "
                                                     "knows: write %(outcomes)s (approve: the permit is granted; "
                                                     "reject: the application is refused; other: closed without "
                                                     "either)."),
                       params={"property": OUTCOME_PROPERTY, "value": repr(value), "name": label(node),
                               "outcomes": " | ".join(OUTCOME_MEANINGS)}, **where)
