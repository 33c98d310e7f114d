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
            problems.warning("outcome_meaning_unknown", f"End event {label(end.node)} is reached right after choices "
                             f"that mean {' and '.join(found)}, so the applicant is told only that the file was "
                             f"closed. Give each outcome its own end event, or write {OUTCOME_PROPERTY} = "
                             f"{' | '.join(OUTCOME_MEANINGS)} on it (camunda:properties).",
                             node=end.node, file=filename,
                             message_id=f"Peristiwa akhir {label(end.node)} dicapai setelah pilihan yang berbeda "
                             f"maknanya ({', '.join(found)}); pemohon hanya diberi tahu berkas ditutup. Buat peristiwa "
                             f"akhir tersendiri atau isi {OUTCOME_PROPERTY}.")
            continue
        for choice in end.after:
            if choice.meaning is not None or choice.flow.get("id") in told:
                continue
            told.add(choice.flow.get("id"))
            problems.warning("decision_meaning_unknown", f"Lincah cannot tell what the choice {choice.name!r} "
                             f"(flow {choice.flow.get('id')!r}) means, so an applicant whose file ends at "
                             f"{label(end.node)} after it is told only that the file was closed. Write "
                             f"{DECISION_PROPERTY} = {' | '.join(MEANINGS)} on the flow (camunda:properties), or "
                             f"{OUTCOME_PROPERTY} on the end event.", node=choice.flow, file=filename,
                             message_id=f"Makna pilihan {choice.name!r} (alur {choice.flow.get('id')!r}) tidak "
                             f"diketahui, sehingga pemohon hanya diberi tahu berkas ditutup. Isi {DECISION_PROPERTY} "
                             f"({'/'.join(MEANINGS)}) pada alur tersebut.")


def _check_decision(node, value: str, prop, is_choice: bool, problems: ProblemList, filename: str) -> None:
    where = {"node": node, "line": prop.sourceline, "file": filename}
    if not is_choice:
        problems.warning("decision_meaning_ignored", f"{DECISION_PROPERTY} on {local(node.tag)} {label(node)} is not "
                         "read: it belongs on a flow that leaves the gateway right after a user task, whose name is "
                         "a choice offered to the officer.",
                         message_id=f"{DECISION_PROPERTY} pada {label(node)} tidak dibaca: tempatkan pada alur "
                         "pilihan setelah gerbang keputusan.", **where)
    elif value not in MEANINGS:
        problems.error("decision_meaning_invalid", f"{DECISION_PROPERTY} {value!r} on {label(node)} is not a meaning "
                       f"Lincah knows: write {' | '.join(MEANINGS)} (approve: the file goes on towards the permit; "
                       "reject: it is refused; return: back to the applicant for revision; other: none of these).",
                       message_id=f"{DECISION_PROPERTY} {value!r} pada {label(node)} tidak dikenal: tulis "
                       f"{' / '.join(MEANINGS)}.", **where)


def _check_outcome(node, value: str, prop, is_end: bool, problems: ProblemList, filename: str) -> None:
    where = {"node": node, "line": prop.sourceline, "file": filename}
    if not is_end:
        problems.warning("outcome_meaning_ignored", f"{OUTCOME_PROPERTY} on {local(node.tag)} {label(node)} is not "
                         "read: it belongs on an end event of the process (what the applicant is told when the file "
                         "ends there).",
                         message_id=f"{OUTCOME_PROPERTY} pada {label(node)} tidak dibaca: tempatkan pada peristiwa "
                         "akhir proses.", **where)
    elif value not in OUTCOME_MEANINGS:
        problems.error("outcome_meaning_invalid", f"{OUTCOME_PROPERTY} {value!r} on {label(node)} is not an outcome "
                       f"Lincah knows: write {' | '.join(OUTCOME_MEANINGS)} (approve: the permit is granted; reject: "
                       "the application is refused; other: closed without either).",
                       message_id=f"{OUTCOME_PROPERTY} {value!r} pada {label(node)} tidak dikenal: tulis "
                       f"{' / '.join(OUTCOME_MEANINGS)}.", **where)
