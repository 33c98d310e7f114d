"""Evaluating a decision table: which rules match, and what the hit policy makes of them (DMN 1.3, as Camunda 7).

* ``U`` UNIQUE — at most one rule may match; two are an error naming both.
* ``A`` ANY — several may match if they give the same outputs; different outputs are an error naming the rules.
* ``P`` PRIORITY — the match whose outputs come first in the outputs' value lists (``outputValues``) wins.
* ``F`` FIRST — the first match in rule order.
* ``R`` RULE ORDER — every match, in rule order. ``O`` OUTPUT ORDER — every match, ranked like PRIORITY.
* ``C`` COLLECT — every match; with an aggregation, one value of the single output: ``C+`` sum, ``C<`` minimum,
  ``C>`` maximum (numbers; ``C<``/``C>`` also dates and texts), ``C#`` the number of values (0 when none matched).

The result is Camunda's: a list of result maps (output name → value, JSON values), empty when nothing matched.
"""

from __future__ import annotations

from engine.decisions import feel, types
from engine.decisions.model import ANY, COLLECT, FIRST, OUTPUT_ORDER, PRIORITY, RULE_ORDER, UNIQUE, Decision, Rule
from engine.errors import InvalidInput


class DecisionFailed(InvalidInput):
    """A decision that cannot give a result for these inputs (two UNIQUE matches, a value of the wrong type…).
    Raised while an application runs, the step fails and the application is flagged with this message."""

    code = "decision_failed"


def evaluate(decision: Decision, variables: dict) -> list[dict]:
    """The result of ``decision`` for ``variables`` (task data or a request's variables): a list of result maps.
    Raises :class:`DecisionFailed`."""
    variables = with_required(decision, variables)
    matched = _matching(decision, variables)
    policy = decision.hit_policy
    if policy == UNIQUE and len(matched) > 1:
        raise DecisionFailed(
            f"Decision {decision.id!r} is UNIQUE, but {_rules(matched)} all match these inputs. Change the table so "
            "that at most one rule matches (or choose another hit policy), deploy it and retry the step.",
            {"decision": decision.id, "rules": [rule.id for rule in matched]})
    results = [(rule, _outputs(decision, rule, variables)) for rule in matched]
    if policy == ANY and len({_frozen(result) for _, result in results}) > 1:
        raise DecisionFailed(
            f"Decision {decision.id!r} has hit policy ANY, but {_rules(matched)} match with different outputs. "
            "Make the matching rules give the same outputs (or choose another hit policy).",
            {"decision": decision.id, "rules": [rule.id for rule in matched]})
    if policy in (UNIQUE, ANY, FIRST):
        results = results[:1]
    elif policy in (PRIORITY, OUTPUT_ORDER):
        results.sort(key=lambda pair: _rank(decision, pair[1]))
        if policy == PRIORITY:
            results = results[:1]
    elif policy == COLLECT and decision.aggregation:
        return _aggregate(decision, [result for _, result in results])
    elif policy not in (RULE_ORDER, COLLECT):
        raise DecisionFailed(f"Decision {decision.id!r} has the unknown hit policy {policy!r}.")
    return [_as_json(decision, result) for _, result in results]


# A decision that requires others (DMN requiredDecision) sees their results as Camunda 7 hands them on: each output
# of the required decision as a variable by its output name — its value when the decision gave one result, the list
# of the values when it gave several, null when none. They are evaluated first, each with the caller's variables.
def with_required(decision: Decision, variables: dict) -> dict:
    """``variables`` with the outputs of the decisions ``decision`` requires."""
    if not decision.required:
        return variables
    found = dict(variables)
    for required in decision.required:
        results = evaluate(required, variables)
        for output in required.outputs:
            values = [result.get(output.name) for result in results]
            found[output.name] = values[0] if len(values) == 1 else values or None
    return found


def matching_rules(decision: Decision, variables: dict) -> list[Rule]:
    """The rules whose every input entry matches ``variables``, in rule order, before the hit policy has its say.
    Raises :class:`DecisionFailed` when an input is not of its column's type."""
    return _matching(decision, with_required(decision, variables))


def _matching(decision: Decision, variables: dict) -> list[Rule]:
    values = [_input_value(decision, column, variables) for column in decision.inputs]
    return [rule for rule in decision.rules if _matches(decision, rule, values, variables)]


def _input_value(decision: Decision, column, variables: dict):
    value = feel.evaluate(column.tree, variables)
    try:
        return types.coerce(value, column.type_ref)
    except types.TypeMismatch as exc:
        raise DecisionFailed(
            f"Decision {decision.id!r}: input {column.title!r} must be a {types.canonical(column.type_ref)}, "
            f"but {exc}. Check the data the step receives.", {"decision": decision.id, "input": column.id}) from exc


def _matches(decision: Decision, rule: Rule, values: list, variables: dict) -> bool:
    return all(feel.matches(test, value, variables, column.type_ref)
               for test, value, column in zip(rule.tests, values, decision.inputs, strict=True))


def _outputs(decision: Decision, rule: Rule, variables: dict) -> dict:
    result = {}
    for output, tree in zip(decision.outputs, rule.results, strict=True):
        value = feel.evaluate(tree, variables)
        try:
            result[output.name] = types.coerce(value, output.type_ref)
        except types.TypeMismatch as exc:
            raise DecisionFailed(
                f"Decision {decision.id!r}, {rule.title}: output {output.name!r} must be a "
                f"{types.canonical(output.type_ref)}, but {exc}.",
                {"decision": decision.id, "rule": rule.id, "output": output.id}) from exc
    return result


def _as_json(decision: Decision, result: dict) -> dict:
    kinds = {output.name: output.type_ref for output in decision.outputs}
    return {name: types.to_json(value, kinds.get(name)) for name, value in result.items()}


def _frozen(result: dict) -> tuple:
    return tuple((name, repr(types.comparable_value(value))) for name, value in result.items())


def _rank(decision: Decision, result: dict) -> tuple:
    """Lower ranks first: for each output with declared values, the position of the result's value in them."""
    rank = []
    for output in decision.outputs:
        if output.values:
            value = types.to_json(result.get(output.name), output.type_ref)
            rank.append(output.values.index(value) if value in output.values else len(output.values))
    return tuple(rank)


def _aggregate(decision: Decision, results: list[dict]) -> list[dict]:
    output = decision.outputs[0]
    values = [result[output.name] for result in results if result.get(output.name) is not None]
    aggregation = decision.aggregation
    if aggregation == "COUNT":
        return [{output.name: len(values)}]
    if not values:
        return []
    if aggregation == "SUM":
        if not all(types.is_number(value) for value in values):
            raise DecisionFailed(f"Decision {decision.id!r} sums its output {output.name!r} (C+), but not every "
                                 "matching rule gives a number.", {"decision": decision.id})
        value = types.tidy_number(sum(types.comparable_value(v) for v in values))
    else:
        try:
            ordered = sorted(values, key=types.comparable_value)
        except TypeError as exc:
            raise DecisionFailed(f"Decision {decision.id!r} takes the {aggregation.lower()}imum of "
                                 f"{output.name!r}, but its values cannot be compared.",
                                 {"decision": decision.id}) from exc
        value = ordered[0] if aggregation == "MIN" else ordered[-1]
    return [{output.name: types.to_json(value, output.type_ref)}]


def _rules(rules: list[Rule]) -> str:
    titles = [rule.title for rule in rules]
    return " and ".join(titles) if len(titles) <= 2 else ", ".join(titles[:-1]) + " and " + titles[-1]
