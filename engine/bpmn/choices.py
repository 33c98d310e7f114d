"""What an officer's choice means, and what the end of a file means: the one place that knows.

A human decision is a gateway after a user task whose flows have names (*Setujui*, *Kembalikan untuk perbaikan*,
*Tolak*). What such a name *means* decides what the engine does on its own — the SLA pass takes the approving
choice on a breached step (*fiktif positif*, PP 28/2025) — and what people are told: the applicant's message when
the file ends (approved, rejected, closed), the status on the tracking page, the colour of the task's buttons. The
meaning is read from the diagram, never from a name when the analyst declared it:

* ``decision.meaning`` on a choice's sequence flow (``camunda:properties``): ``approve``, ``reject``, ``return``
  (back to the applicant for revision) or ``other`` (none of these, e.g. *Tunda*);
* ``sla.approve`` on the step or the process names the choice the automatic decision takes: that choice approves;
* ``outcome.meaning`` on an end event of the process: ``approve`` (the permit is granted), ``reject`` or ``other``
  (closed without a decision, e.g. the applicant did not answer in time).

Where nothing is declared, an end event means what the one choice taken right before it means (the flow *Tolak*
leading straight, or through steps that cannot branch, to *Permohonan ditolak*); a ``return`` there means the file
was closed (``other``). Only then the words are read, Indonesian and English (the word lists below — the fallback
that keeps diagrams drawn before these properties working). All of it is resolved once at deploy
(:func:`resolve`) into the definition's meta — each task's ``meanings`` (choice → meaning or ``None``) and the
process's ``outcomes`` (end event name → meaning or ``None``) — so a running file is never judged by its words
again; definitions deployed before that carry no ``meanings`` and take the same fallback at run time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.bpmn.names import local, xpath
from engine.bpmn.rewrite import ProcessGraph, containers

APPROVE, REJECT, RETURN, OTHER = "approve", "reject", "return", "other"
MEANINGS = (APPROVE, REJECT, RETURN, OTHER)
OUTCOME_MEANINGS = (APPROVE, REJECT, OTHER)
DECISION_PROPERTY = "decision.meaning"
OUTCOME_PROPERTY = "outcome.meaning"
NAMED_APPROVAL = "sla.approve"

# The fallback: a choice's words (checked in this order: a refusal or a return wins over an approving word, so
# "Tidak setuju" refuses) and an end event's words (a bare "tidak" there is not a refusal: "Berkas ditutup (tidak
# dilengkapi)" only closes the file).
_CHOICE_WORDS = (
    (REJECT, ("tolak", "reject", "tidak", "not ", "batal")),
    (RETURN, ("kembali", "return", "revis", "perbaik")),
    (APPROVE, ("setuju", "approve", "rekomendasi", "layak", "terima", "accept", "lanjut", "sesuai", "lengkap")),
)
_OUTCOME_WORDS = (
    (REJECT, ("tolak", "reject", "denied", "tidak layak", "tidak disetujui", "not approved", "refused")),
    (APPROVE, ("terbit", "setuju", "approve", "issued", "granted")),
)


def _by_words(text: str | None, table) -> str | None:
    text = (text or "").lower()
    for meaning, words in table:
        if any(word in text for word in words):
            return meaning
    return None


def guess_choice(name: str | None) -> str | None:
    """The fallback for a choice nothing declares: what its words say, or ``None``."""
    return _by_words(name, _CHOICE_WORDS)


def guess_outcome(name: str | None) -> str | None:
    """The fallback for an end event nothing declares: ``approve``, ``reject`` or ``None`` (closed)."""
    return _by_words(name, _OUTCOME_WORDS)


def _declared(properties: dict | None, name: str) -> str:
    return ((properties or {}).get(name) or "").strip()


# --- at run time: reading what deploy resolved ----------------------------------------------------------------------


def choice_meaning(choice: str | None, settings: dict, process: dict | None = None) -> str | None:
    """What ``choice`` on the step with these settings (the meta's task entry) means, or ``None`` if nobody can
    tell. Reads what deploy resolved; only a definition deployed before meanings were resolved is read by name."""
    if choice is None:
        return None
    meanings = settings.get("meanings")
    if meanings is not None:
        return meanings.get(choice)
    for properties in (settings.get("properties"), (process or {}).get("properties")):
        if _declared(properties, NAMED_APPROVAL) == choice:
            return APPROVE
    return guess_choice(choice)


def approving_choice(choices: list[str], settings: dict, process: dict) -> str | None:
    """The choice the automatic decision takes: the one ``sla.approve`` names (on the step, else the process) unless
    the diagram says it refuses or returns, else the first that means approve; ``None`` when none does."""
    for properties in (settings.get("properties"), process.get("properties")):
        named = _declared(properties, NAMED_APPROVAL)
        if named in choices:
            return named if choice_meaning(named, settings, process) not in (REJECT, RETURN) else None
    return next((c for c in choices if choice_meaning(c, settings, process) == APPROVE), None)


def outcome_meaning(meta: dict | None, outcome: str | None) -> str | None:
    """What the end event a file finished on (``instance.outcome``, its name) means: ``approve``, ``reject``,
    ``other`` or ``None`` when nothing tells (the file is told it closed)."""
    outcomes = (meta or {}).get("outcomes")
    if outcomes is not None and outcome in outcomes:
        return outcomes[outcome]
    return guess_outcome(outcome)


# --- at deploy: reading the diagram ----------------------------------------------------------------------------------


@dataclass
class Choice:
    """One choice of a human decision: its flow, what the flow declares and what it finally means."""

    task_id: str
    name: str
    flow: object
    declared: str | None = None  # decision.meaning as written, stripped and lower case
    declared_at: object = None  # the property element (its line)
    meaning: str | None = None
    source: str = ""  # "declared", "sla.approve", "words" or "" (nobody can tell)


@dataclass
class End:
    """An end event of the process and what reaching it means."""

    node: object
    name: str
    declared: str | None = None
    declared_at: object = None
    meaning: str | None = None
    source: str = ""  # "declared", "choices" (the choices taken right before it), "words" or ""
    after: list = field(default_factory=list)  # the choices taken right before it (when it is derived from them)
    conflict: bool = False  # choices meaning different things lead straight to it


@dataclass
class Meanings:
    choices: dict[str, list[Choice]] = field(default_factory=dict)  # by deciding task id
    ends: list[End] = field(default_factory=list)

    def by_flow(self) -> dict[str, Choice]:
        return {c.flow.get("id"): c for found in self.choices.values() for c in found}

    def task_meanings(self, task_id: str) -> dict[str, str | None]:
        return {c.name: c.meaning for c in self.choices.get(task_id, [])}

    def outcomes(self) -> dict[str, str | None]:
        """End event name → meaning; a name two ends share with different meanings tells nothing."""
        found: dict[str, str | None] = {}
        for end in self.ends:
            found[end.name] = end.meaning if found.get(end.name, end.meaning) == end.meaning else None
        return found


def located_property(node, name: str):
    """``(value, property element)`` of an element's own ``camunda:property`` called ``name``, or ``(None, None)``."""
    for prop in xpath(node, "./bpmn:extensionElements/camunda:properties/camunda:property"):
        if (prop.get("name") or "").strip() == name:
            value = prop.get("value") if prop.get("value") is not None else (prop.text or "")
            return value.strip().lower(), prop
    return None, None


def resolve(process, decisions: dict[str, list[str]], tasks: dict[str, dict], process_settings: dict) -> Meanings:
    """Every choice's and every end event's meaning: declared, named by ``sla.approve``, derived, else by words.

    ``decisions`` are the choices the rewrite found (task id → names), ``tasks`` the human tasks' settings.
    """
    result = Meanings()
    graphs = [ProcessGraph.of(container) for container in containers(process)]
    for graph in graphs:
        for gateway_id, gateway in graph.nodes.items():
            incoming = graph.incoming.get(gateway_id, [])
            if local(gateway.tag) not in ("exclusiveGateway", "inclusiveGateway") or len(incoming) != 1:
                continue
            task_id = incoming[0].get("sourceRef")
            names = decisions.get(task_id) or []
            for flow in graph.outgoing.get(gateway_id, []):
                name = (flow.get("name") or "").strip()
                if name in names:
                    result.choices.setdefault(task_id, []).append(
                        _choice(task_id, name, flow, tasks.get(task_id) or {}, process_settings))
    main = graphs[0]
    by_flow = result.by_flow()
    for node in xpath(process, "./bpmn:endEvent"):
        result.ends.append(_end(node, main, by_flow))
    return result


def _choice(task_id: str, name: str, flow, settings: dict, process_settings: dict) -> Choice:
    declared, prop = located_property(flow, DECISION_PROPERTY)
    choice = Choice(task_id, name, flow, declared, prop)
    if declared in MEANINGS:
        choice.meaning, choice.source = declared, "declared"
    elif any(_declared(p, NAMED_APPROVAL) == name
             for p in (settings.get("properties"), process_settings.get("properties"))):
        choice.meaning, choice.source = APPROVE, NAMED_APPROVAL
    else:
        choice.meaning = guess_choice(name)
        choice.source = "words" if choice.meaning else ""
    return choice


# Steps a file passes through without the route depending on anything but the choice before them.
_STRAIGHT = {"task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "businessRuleTask",
             "intermediateThrowEvent", "exclusiveGateway", "inclusiveGateway", "parallelGateway", "endEvent"}


def _end(node, graph: ProcessGraph, by_flow: dict[str, Choice]) -> End:
    name = node.get("name") or node.get("id")  # what ``instance.outcome`` records (engine.workflow.runtime)
    declared, prop = located_property(node, OUTCOME_PROPERTY)
    end = End(node, name, declared, prop)
    if declared in OUTCOME_MEANINGS:
        end.meaning, end.source = declared, "declared"
        return end
    attached = {n.get("attachedToRef") for n in graph.nodes.values() if local(n.tag) == "boundaryEvent"}
    after, straight = _choices_before(node, graph, by_flow, attached)
    found = {OTHER if c.meaning == RETURN else c.meaning for c in after}
    if straight and len(found) == 1 and None not in found:
        end.meaning, end.source, end.after = found.pop(), "choices", after
        return end
    end.after = after if straight else []
    end.conflict = straight and len(found - {None}) > 1
    end.meaning = guess_outcome(name)
    end.source = "words" if end.meaning else ""
    return end


def _choices_before(end, graph: ProcessGraph, by_flow: dict[str, Choice], attached: set) -> tuple[list, bool]:
    """The choices a file takes right before reaching ``end``, walking back; ``False`` when some way there does not
    start with a choice or passes a place where the route depends on something else (a branch, a timer, an
    event, a sub-process)."""
    found: list[Choice] = []
    seen, stack = set(), [end.get("id")]
    while stack:
        node_id = stack.pop()
        if node_id in seen:
            continue
        seen.add(node_id)
        node = graph.nodes.get(node_id)
        incoming = graph.incoming.get(node_id, [])
        if node is None or local(node.tag) not in _STRAIGHT or node_id in attached or not incoming:
            return found, False
        if node is not end and len(graph.outgoing.get(node_id, [])) != 1:
            return found, False
        for flow in incoming:
            choice = by_flow.get(flow.get("id"))
            if choice is not None:
                found.append(choice)
            else:
                stack.append(flow.get("sourceRef"))
    return found, True
