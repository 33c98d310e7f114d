"""DMN files deployed with a diagram (or alone): loaded by the hardened XML loader, read into decision tables by
``engine.decisions``, their problems located like a diagram's (file, line, decision or rule id)."""

from __future__ import annotations

from engine.bpmn.problems import ProblemList
from engine.bpmn.xml import load_xml
from engine.decisions import Decision, is_dmn, read


def read_files(files: list[tuple[str, bytes | str]], problems: ProblemList, max_bytes: int) -> dict[str, Decision]:
    """The decisions of ``files`` (name, content) by id; every problem goes to ``problems``."""
    decisions: dict[str, Decision] = {}
    where: dict[str, str] = {}
    for name, data in files:
        tree = load_xml(data, name, problems, max_bytes)
        if tree is None:
            continue
        found, located = read(tree.getroot())
        for problem in located:
            problems.add(problem.severity, problem.code, problem.message, file=name, line=problem.line,
                         element_id=problem.element_id, message_id=problem.message_id)
        for decision in found:
            if decision.id in decisions:
                problems.error("decision_duplicate", f"Decision {decision.id!r} is in both {where[decision.id]} and "
                               f"{name}; a deployment may hold each decision id once.", file=name,
                               element_id=decision.id, message_id=f"Keputusan {decision.id!r} ada di "
                               f"{where[decision.id]} dan {name}; setiap id keputusan hanya boleh sekali.")
                continue
            decisions[decision.id] = decision
            where[decision.id] = name
    return decisions


def looks_like_dmn(data: bytes | str) -> bool:
    """A quick look at the start of a file: is it a DMN document (for uploads that do not say)?"""
    head = data[:4096] if isinstance(data, bytes) else data[:4096].encode()
    return b"omg.org/spec/DMN" in head and b"spec/BPMN" not in head


__all__ = ["is_dmn", "looks_like_dmn", "read_files"]
