"""Lint of the permit letter's signing step and number pattern (``engine.casework.signing_step`` reads both).

A user task marked ``letter.sign = true`` signs the letter on the choice that approves, so it must offer choices and
one of them must mean approve — else nobody could ever sign and the file would wait forever or end unsigned. The
process property ``letter.number`` (the number written on the letter when the office sets no pattern for the
service) may only name ``{seq}``, ``{year}``, ``{month}`` and ``{roman_month}``: anything else is refused here, with
its line, rather than ignored at the moment the head of office signs.
"""

from __future__ import annotations

from engine.bpmn.choices import APPROVE, Meanings
from engine.bpmn.names import label, xpath
from engine.bpmn.problems import ProblemList
from engine.errors import InvalidInput
from engine.people.offices import check_number_pattern
from engine.texts import N_

SIGN_PROPERTY = "letter.sign"
NUMBER_PROPERTY = "letter.number"


def _raw_property(node, name: str):
    for prop in xpath(node, "./bpmn:extensionElements/camunda:properties/camunda:property"):
        if (prop.get("name") or "").strip() == name:
            return (prop.get("value") if prop.get("value") is not None else (prop.text or "")).strip(), prop
    return None, None


def check_letter(process, tasks: dict[str, dict], meanings: Meanings, problems: ProblemList, filename: str) -> None:
    pattern, prop = _raw_property(process, NUMBER_PROPERTY)
    if prop is not None:
        try:
            check_number_pattern(pattern)
        except InvalidInput:
            problems.error("letter_number_pattern", N_("Process property %(property)s = %(pattern)s: use {seq} (or "
                                                       "{seq:05d}) with optional {year}, {month} and {roman_month}, "
                                                       "e.g. 503/{seq:05d}/IP/DPM-PTSP/{year}."),
                           node=prop, element_id=process.get("id"), file=filename,
                           params={"property": NUMBER_PROPERTY, "pattern": repr(pattern)})
    for element_id, task in tasks.items():
        value = ((task.get("properties") or {}).get(SIGN_PROPERTY) or "").strip().lower()
        if value not in ("true", "yes", "1", "ya"):
            continue
        node = next(iter(xpath(process, f".//*[@id='{element_id}']")), None)
        if not task.get("decisions"):
            problems.error("signing_step_without_choices", N_("Signing step %(name)s offers no choices, so its letter "
                                                              "can never be signed. Draw a gateway after it with named "
                                                              "flows: one to sign (decision.meaning = approve), and "
                                                              "usually one to return and one to refuse."),
                           node=node, element_id=element_id, file=filename, params={"name": label(node)})
        elif APPROVE not in meanings.task_meanings(element_id).values():
            problems.error("signing_step_without_approval", N_("None of the choices of signing step %(name)s means "
                                                               "approve, so its letter can never be signed. Write "
                                                               "decision.meaning = approve on the flow that signs."),
                           node=node, element_id=element_id, file=filename, params={"name": label(node)})
