"""Lint of the ``bill.*`` process properties (``engine.casework.bills``): where a service's bill lives in the data.

A mistake there fails silently at run time — ``bill.acount`` or a path to a field nobody writes means the office and
the applicant never see the bill, and an amount path to a text shows ``-`` — so lint and deploy refuse it, located on
the property's line of the process:

* a ``bill.*`` name Lincah does not read ("did you mean bill.account?");
* ``bill.account`` or ``bill.amount`` missing while other ``bill.*`` properties say the service has a bill (and a
  warning without ``bill.paid``: such a bill never shows as paid);
* a value that is not a dotted data path (``${retribusi.amount}`` is an expression, not a path);
* a path whose first name no form, output mapping, decision result, script or message of the diagram writes, or
  whose decision output does not exist ("did you mean …");
* a path to a form field or decision output of the wrong type (an amount that is a text, a deadline that is a
  number).
"""

from __future__ import annotations

import difflib
import re
from typing import TYPE_CHECKING

from lxml import etree

from engine.bpmn.names import camunda, label, local, xpath
from engine.bpmn.problems import ProblemList
from engine.decisions import types
from engine.texts import N_

if TYPE_CHECKING:  # the compiler imports this module's caller: named here for types only
    from engine.bpmn.compiler import Compiled

PREFIX = "bill."
# What each property names, and the kinds of value it may hold (a form field's JSON Schema type, a decision
# output's family): what engine.casework.bills reads.
KEYS = {"amount": ("integer", "number"), "account": ("string", "integer"), "deadline": ("string",),
        "paid": ("integer", "number")}
REQUIRED = ("account", "amount")
# Names the engine itself puts into every application's data (engine.workflow.runtime.APPLICATION_FIELD).
ENGINE_NAMES = frozenset({"application"})
_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_ASSIGNED = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*(?:\s*,\s*[A-Za-z_][A-Za-z0-9_]*)*)\s*(?:\[[^\]]*\]\s*)*=(?!=)",
                       re.MULTILINE)
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
_FAMILY = {"number": ("integer", "number"), "string": ("string",), "boolean": ("boolean",), "date": ("string",)}


def check(compiled: Compiled) -> None:
    """Add a located problem to ``compiled.problems`` for each thing wrong with its ``bill.*`` properties."""
    text = compiled.texts.get(compiled.main_file) or ""
    if f'"{PREFIX}' not in text and f"'{PREFIX}" not in text:
        return  # no bill: nothing to read (the common case costs one substring search)
    try:
        root = etree.fromstring(text.encode("utf-8"), _PARSER)
    except etree.XMLSyntaxError:
        return  # the compiler reported it
    process = next((node for node in xpath(root, "./bpmn:process") if node.get("id") == compiled.key), None)
    if process is None:
        return
    found = {}
    for prop in xpath(process, "./bpmn:extensionElements/camunda:properties/camunda:property"):
        name = (prop.get("name") or "").strip()
        if name.startswith(PREFIX):
            found.setdefault(name.removeprefix(PREFIX), prop)
    if not found:
        return
    problems, filename = compiled.problems, compiled.main_file
    writes = _written_names(root, compiled)
    for key, prop in found.items():
        where = {"node": process, "file": filename, "line": prop.sourceline}
        if key not in KEYS:
            _unknown_key(key, problems, where)
            continue
        value = (prop.get("value") if prop.get("value") is not None else (prop.text or "")).strip()
        if not _PATH.fullmatch(value):
            problems.error("bill_property_path",
                           N_("Property bill.%(key)s must name where the bill's %(key)s is in the application's "
                              "data, as a dotted path such as retribusi.amount (no ${…}); it is %(value)s."),
                           params={"key": key, "value": repr(value)}, **where)
            continue
        _check_path(key, value, writes, compiled, problems, where)
    if "paid" not in found and "account" in found:
        problems.warning("bill_paid_missing",
                         N_("The process %(name)s declares a bill but no bill.paid (where the bank's paid amount "
                            "lands): its bill can never show as paid, and once the file ends it shows as expired. "
                            "Add bill.paid naming that data path."),
                         node=process, file=filename, line=found["account"].sourceline,
                         params={"name": label(process)})
    missing = [key for key in REQUIRED if key not in found]
    if missing:
        problems.error("bill_property_missing",
                       N_("The process %(name)s declares a bill (bill.* properties) but not %(missing)s: the bill "
                          "exists once bill.account (the virtual account or payment code) is set, and shows "
                          "bill.amount (the levy in whole rupiah). Add them as process properties naming the data "
                          "paths."),
                       node=process, file=filename,
                       params={"name": label(process), "missing": ", ".join(f"bill.{key}" for key in missing)})


def _unknown_key(key: str, problems: ProblemList, where: dict) -> None:
    known = ", ".join(f"{PREFIX}{name}" for name in KEYS)
    close = difflib.get_close_matches(key, list(KEYS), n=1)
    if close:
        problems.error("bill_property_unknown",
                       N_("Property %(property)s is not a bill setting Lincah reads (%(known)s). Did you mean "
                          "%(close)s?"),
                       params={"property": PREFIX + key, "known": known, "close": PREFIX + close[0]}, **where)
    else:
        problems.error("bill_property_unknown",
                       N_("Property %(property)s is not a bill setting Lincah reads (%(known)s). Remove it or "
                          "correct the name."),
                       params={"property": PREFIX + key, "known": known}, **where)


class _Writes:
    """What the diagram writes into an application's data: top-level names, form fields' JSON Schema types, and
    for a decision's result variable (single result or single entry) the decision's outputs."""

    def __init__(self):
        self.names: set[str] = set(ENGINE_NAMES)
        self.field_types: dict[str, str] = {}
        self.decisions: dict[str, tuple[str, object]] = {}  # result variable -> (mapping, Decision)


def _written_names(root, compiled: Compiled) -> _Writes:
    writes = _Writes()
    for form in compiled.forms.values():
        properties = form.schema.get("properties") if isinstance(form.schema, dict) else None
        for name, schema in (properties or {}).items():
            writes.names.add(name)
            if isinstance(schema, dict) and isinstance(schema.get("type"), str):
                writes.field_types.setdefault(name, schema["type"])
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        tag = local(node.tag)
        if tag == "outputParameter" and node.get("name"):
            writes.names.add(node.get("name").strip())
        elif tag == "formField" and node.get("id"):
            writes.names.add(node.get("id").strip())
        elif tag == "script" and node.text:
            writes.names.update(name.strip() for match in _ASSIGNED.finditer(node.text)
                                for name in match.group(1).split(","))
        for attribute in ("resultVariable", "elementVariable"):
            value = (node.get(camunda(attribute)) or "").strip()
            if value:
                writes.names.add(value)
        result = (node.get(camunda("resultVariable")) or "").strip()
        decision = compiled.decisions.get((node.get(camunda("decisionRef")) or "").strip())
        if result and decision is not None:
            writes.decisions[result] = ((node.get(camunda("mapDecisionResult")) or "resultList").strip(), decision)
    for item in xpath(root, ".//bpmn:outputDataItem"):
        if item.get("name") or item.get("id"):
            writes.names.add(item.get("name") or item.get("id"))
    return writes


def _check_path(key: str, path: str, writes: _Writes, compiled: Compiled, problems: ProblemList,
                where: dict) -> None:
    first, *rest = path.split(".")
    if first not in writes.names:
        close = difflib.get_close_matches(first, sorted(writes.names), n=1)
        params = {"key": key, "path": path, "first": first, "close": close[0] if close else ""}
        text = (N_("Property bill.%(key)s names %(path)s, but nothing in this diagram writes %(first)s (no form "
                   "field, output mapping, decision result or script does). Did you mean %(close)s?") if close else
                N_("Property bill.%(key)s names %(path)s, but nothing in this diagram writes %(first)s (no form "
                   "field, output mapping, decision result or script does). Name a field the service fills in."))
        problems.error("bill_property_unknown_field", text, params=params, **where)
        return
    kind = None
    if first in writes.decisions:
        mapping, decision = writes.decisions[first]
        outputs = {output.name: output for output in decision.outputs}
        if mapping == "singleResult" and len(rest) == 1:
            output = outputs.get(rest[0])
            if output is None:
                close = difflib.get_close_matches(rest[0], sorted(outputs), n=1)
                params = {"key": key, "path": path, "decision": decision.id, "output": rest[0],
                          "outputs": ", ".join(sorted(outputs)), "close": f"{first}.{close[0]}" if close else ""}
                text = (N_("Property bill.%(key)s names %(path)s, but decision %(decision)s has no output %(output)s "
                           "(its outputs: %(outputs)s). Did you mean %(close)s?") if close else
                        N_("Property bill.%(key)s names %(path)s, but decision %(decision)s has no output %(output)s "
                           "(its outputs: %(outputs)s)."))
                problems.error("bill_property_unknown_field", text, params=params, **where)
                return
            kind = types.family(output.type_ref)
        elif mapping == "singleEntry" and not rest and len(outputs) == 1:
            kind = types.family(next(iter(outputs.values())).type_ref)
        kind = _FAMILY.get(kind or "", (kind,)) if kind else None
    elif not rest and first in writes.field_types:
        kind = (writes.field_types[first],)
    if kind and not set(kind) & set(KEYS[key]):
        problems.error("bill_property_type",
                       N_("Property bill.%(key)s names %(path)s, which holds %(kind)s; the bill's %(key)s must be "
                          "%(wanted)s. Point it at the right field or change the field's type."),
                       params={"key": key, "path": path, "kind": " or ".join(kind),
                               "wanted": " or ".join(KEYS[key])}, **where)
