"""Decision requirements across the DMN files of one deployment: each ``requiredDecision`` attached to the decision
it names, so that the decision requiring it evaluates it first (``engine.decisions.evaluation``).

Camunda 7 resolves a requirement only inside its decision requirements graph, that is one DMN file. Lincah also
resolves it in the other DMN files deployed with it (a service's files, a model folder, DMN files deployed
together; and, for tables deployed alone, in the decisions deployed before, each as its latest version stored:
``engine.bpmn.dmn.read_deployment``), because analysts split a large graph into one file per table: the id a
requirement names (the part of ``href`` after ``#``) must then be the id of exactly one decision of the deployment.
A prefix before ``#`` (DMN 1.3 writes the namespace of an imported model there) must name the target's file or its
definitions' namespace. What cannot be resolved — no such decision, one that could not be read, two of that id, a
cycle — is a problem naming the file, the requiring decision and the href; a decision with such a problem is not
deployed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.decisions.model import Decision
from engine.decisions.reader import DecisionFile, Located


@dataclass
class Linked:
    """The decisions of a deployment that can be evaluated, by id, each with the file it came from."""

    decisions: dict[str, Decision] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)


def link(files: list[DecisionFile], problems: list[tuple[str, Located]]) -> Linked:
    """Attach every decision's required decisions; append ``(file name, problem)`` for each that cannot be. The
    first file holding an id wins it (the caller reports duplicate ids)."""
    holders: dict[str, list[DecisionFile]] = {}
    for file in files:
        for decision in file.decisions:
            holders.setdefault(decision.id, []).append(file)
    unreadable = {decision_id: file.name for file in files for decision_id in file.unreadable}
    by_id = {decision_id: next(d for d in found[0].decisions if d.id == decision_id)
             for decision_id, found in holders.items()}
    home = {decision_id: found[0] for decision_id, found in holders.items()}
    failed: dict[str, bool] = {}

    def resolve(decision_id: str, path: tuple) -> bool:
        if decision_id in failed:
            return not failed[decision_id]
        decision, file, ok = by_id[decision_id], home[decision_id], True
        for href, line in file.requirements.get(decision_id, []):
            prefix, _, target = href.rpartition("#")
            problem = _unresolved(decision_id, file, href, prefix, target, holders, unreadable, path, line)
            if problem is not None:
                problems.append((file.name, problem))
                ok = False
            elif not resolve(target, (*path, decision_id)):
                ok = False
            elif by_id[target] not in decision.required:
                required = by_id[target]
                decision.required.append(required)
                if home[target] is not file:
                    decision.required_files[target] = home[target].name
        failed[decision_id] = not ok
        return ok

    linked = Linked()
    for decision_id in holders:
        if resolve(decision_id, ()):
            linked.decisions[decision_id] = by_id[decision_id]
            linked.files[decision_id] = home[decision_id].name
    return linked


def _unresolved(decision_id: str, file: DecisionFile, href: str, prefix: str, target: str, holders: dict,
                unreadable: dict, path: tuple, line: int | None) -> Located | None:
    """The problem with one requirement of ``decision_id``, or None when it names one readable decision."""
    where = {"line": line, "element_id": decision_id}
    said = repr(href) if href else "no decision"
    if target in path or target == decision_id:
        cycle = " → ".join([*path[path.index(target):], decision_id, target]) if target in path else \
            f"{decision_id} → {target}"
        return Located("decision_requirement_cycle", f"Decision {decision_id!r} requires itself through {cycle}; a "
                       "decision requirements diagram must not go round.",
                       f"Keputusan {decision_id!r} mensyaratkan dirinya sendiri melalui {cycle}.", **where)
    found = holders.get(target, [])
    if len(found) > 1:
        names = " and ".join(sorted({other.name for other in found}))
        return Located("decision_requirement_ambiguous", f"Decision {decision_id!r} ({file.name}) requires {said}, "
                       f"but a decision {target!r} is in {names}: a required decision's id must be unique across "
                       "the DMN files deployed together. Rename one of them.",
                       f"Keputusan {decision_id!r} ({file.name}) mensyaratkan {said}, tetapi keputusan {target!r} "
                       f"ada di {names.replace(' and ', ' dan ')}: id keputusan yang disyaratkan harus unik di "
                       "antara berkas DMN yang dipasang bersama. Ganti salah satu id.", **where)
    if not target or (not found and target not in unreadable):
        return Located("decision_requirement_missing", f"Decision {decision_id!r} ({file.name}) requires {said}, "
                       "which is no decision of this file nor of the DMN files deployed with it (nor, for tables "
                       "deployed alone, a decision deployed before). Fix the href (\"#its-id\") or deploy the file "
                       "that holds the required decision.",
                       f"Keputusan {decision_id!r} ({file.name}) mensyaratkan {said}, yang bukan keputusan dalam "
                       "berkas ini maupun dalam berkas DMN yang dipasang bersamanya (maupun, untuk tabel yang "
                       "dipasang sendiri, keputusan yang sudah dipasang). Perbaiki href (\"#id-nya\") atau pasang "
                       "berkas yang memuat keputusan itu.", **where)
    if not found:
        return Located("decision_requirement_missing", f"Decision {decision_id!r} ({file.name}) requires {said}, "
                       f"which is in {unreadable[target]} but cannot be evaluated: fix the problems listed for "
                       f"{target!r} first.",
                       f"Keputusan {decision_id!r} ({file.name}) mensyaratkan {said}, yang ada di "
                       f"{unreadable[target]} tetapi tidak dapat dijalankan: perbaiki dulu masalah pada {target!r}.",
                       **where)
    holder = found[0]
    if prefix and prefix not in (holder.name, holder.name.rsplit("/", 1)[-1], holder.namespace):
        return Located("decision_requirement_missing", f"Decision {decision_id!r} ({file.name}) requires {said}, "
                       f"but decision {target!r} is in {holder.name}, whose name and namespace are not "
                       f"{prefix!r}. Write the href as \"#{target}\" or with that file's namespace.",
                       f"Keputusan {decision_id!r} ({file.name}) mensyaratkan {said}, tetapi keputusan {target!r} "
                       f"ada di {holder.name}, yang nama dan namespace-nya bukan {prefix!r}. Tulis href sebagai "
                       f"\"#{target}\" atau dengan namespace berkas itu.", **where)
    return None
