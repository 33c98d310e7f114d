"""Trying a decision table by hand: which inputs it asks for, the analyst's typed-in values read as those inputs,
and what the table makes of them — the rules that matched (before the hit policy chose) and the result or the
reason there is none.

A field per variable the input expressions read (``income``, ``applicant.age``): a column whose expression is just
that variable gives the field its type; a variable used inside arithmetic (``income * 12``) is a number. Values come
as the texts of a web form; an empty field is FEEL's ``null``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from engine.decisions import types
from engine.decisions.evaluation import DecisionFailed, evaluate, matching_rules
from engine.decisions.model import LITERAL, Decision, Rule

NUMBER, STRING, BOOLEAN, DATE, DATE_TIME, ANY = "number", "string", "boolean", "date", "datetime", "any"


@dataclass(frozen=True)
class InputField:
    """One value the analyst types in."""

    name: str  # the variable's dotted path, also the form field's name
    label: str  # the input column's label (or its expression)
    kind: str  # number | string | boolean | date | datetime | any
    type_ref: str | None  # the column's declared type, as written
    # The column's allowed values (``inputValues``) as the texts the form offers in a select; empty: typed freely.
    options: tuple[str, ...] = ()


@dataclass
class Outcome:
    """What the table gave for one set of values."""

    variables: dict
    matched: list[Rule] = field(default_factory=list)
    result: list[dict] | None = None
    error: DecisionFailed | None = None
    # What each required decision gave (None: it failed, the error says why), shown before the result.
    required: list[tuple[Decision, list[dict] | None]] = field(default_factory=list)

    @property
    def matched_ids(self) -> set[str]:
        return {rule.id for rule in self.matched}


def _kind(type_ref: str | None) -> str:
    canonical = types.canonical(type_ref)
    if types.family(type_ref) == "number":
        return NUMBER
    return {types.STRING: STRING, types.BOOLEAN: BOOLEAN, types.DATE: DATE, types.DATE_TIME: DATE_TIME}.get(
        canonical, ANY)


def _variables(tree) -> list[tuple]:
    if tree is None:
        return []
    if tree[0] == "var":
        return [tree[1]]
    return [path for part in tree[1:] if isinstance(part, tuple) for path in _variables(part)]


def input_fields(decision: Decision) -> list[InputField]:
    """The fields of the try-out form, one per variable the input expressions read, in column order: the required
    decisions' first (what they give is no field), and a literal expression's variables (numbers when it computes
    with them)."""
    found: dict[str, InputField] = {}
    given = {output.name for required in decision.required for output in required.outputs}
    for required in decision.required:
        for item in input_fields(required):
            found.setdefault(item.name, item)
    if decision.kind == LITERAL:
        tree = decision.rules[0].results[0] if decision.rules else None
        bare = tree is not None and tree[0] == "var"
        for path in _variables(tree):
            name = ".".join(path)
            if path[0] not in given:
                found.setdefault(name, InputField(name, name, ANY if bare else NUMBER, None))
    for column in decision.inputs:
        bare = column.tree is not None and column.tree[0] == "var"
        for path in _variables(column.tree):
            name = ".".join(path)
            if name not in found and path[0] not in given:
                found[name] = InputField(name, column.title if bare else name,
                                         _kind(column.type_ref) if bare else NUMBER,
                                         column.type_ref if bare else None,
                                         tuple(_option(value) for value in column.values) if bare else ())
    return list(found.values())


def _option(value) -> str:
    """An allowed value as the form sends it back: texts as they are, numbers and booleans as FEEL writes them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


NOT_AN_OPTION = "not one of the column's input values"


def read_values(decision: Decision, form: Mapping[str, str]) -> tuple[dict, dict[str, str]]:
    """The variables the form's texts give (nested by dotted name) and the fields that cannot be read: field name ->
    what is wrong, in English (the page says its own words by the field's kind)."""
    variables: dict = {}
    errors: dict[str, str] = {}
    for item in input_fields(decision):
        text = (form.get(item.name) or "").strip()
        if item.options and text and text not in item.options:
            errors[item.name] = f"{text!r} is {NOT_AN_OPTION}"
            continue
        try:
            value = _value(item.kind, text)
        except ValueError as exc:
            errors[item.name] = str(exc)
            continue
        target = variables
        *parents, last = item.name.split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[last] = value
    return variables, errors


def _value(kind: str, text: str):
    if not text:
        return None
    if kind == NUMBER:
        try:
            number = Decimal(text.replace(",", ".") if text.count(",") == 1 and "." not in text else text)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            raise ValueError(f"{text!r} is not a number")
        return types.tidy_number(number)
    if kind == BOOLEAN:
        if text.lower() not in ("true", "false"):
            raise ValueError(f"{text!r} is not true or false")
        return text.lower() == "true"
    if kind in (DATE, DATE_TIME):
        try:
            (types.parse_date if kind == DATE else types.parse_datetime)(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a {kind}") from None
    return text


def try_table(decision: Decision, variables: dict) -> Outcome:
    """The rules that match ``variables`` and the table's result for them, or the error that stops it."""
    outcome = Outcome(variables)
    for required in decision.required:
        try:
            outcome.required.append((required, evaluate(required, variables)))
        except DecisionFailed:
            outcome.required.append((required, None))
    try:
        outcome.matched = matching_rules(decision, variables)
        outcome.result = evaluate(decision, variables)
    except DecisionFailed as exc:
        outcome.error = exc
    return outcome
