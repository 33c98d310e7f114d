"""From a DMN document (an lxml tree, loaded by the hardened loader) to decision tables, or located problems.

DMN 1.1 to 1.5 as Camunda Modeler (and other tools) write them: ``definitions/decision/decisionTable`` with
``input/inputExpression``, ``output`` (``name``, ``typeRef``, ``outputValues``) and ``rule`` rows of
``inputEntry``/``outputEntry``. Every cell is parsed here, once; whatever Lincah cannot evaluate is a problem naming
the decision, the rule (number and id) and the column, never an error at run time. Nothing here raises.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.decisions import feel, types
from engine.decisions.model import (
    AGGREGATIONS,
    COLLECT,
    HIT_POLICIES,
    LITERAL,
    OUTPUT_ORDER,
    PRIORITY,
    Decision,
    Input,
    Output,
    Rule,
)

DMN_NAMESPACE_MARK = "omg.org/spec/DMN"
FEEL_LANGUAGES = {"", "feel", "http://www.omg.org/spec/feel/20140401", "https://www.omg.org/spec/dmn/20191111/feel/",
                  "http://www.omg.org/spec/dmn/20180521/feel/", "https://www.omg.org/spec/feel/20140401"}


@dataclass
class Located:
    """A problem of a DMN file: what (English and Bahasa Indonesia), where (line, element id)."""

    code: str
    message: str
    message_id: str
    line: int | None = None
    element_id: str | None = None
    severity: str = "error"
    cell_id: str | None = None  # the rule's cell, or the column, the problem is in (the editor marks it)


@dataclass
class DecisionFile:
    """What one DMN file holds before its requirements are resolved (:func:`read_file`; linked by
    ``engine.decisions.requirements``, which may find a required decision in another file)."""

    name: str
    decisions: list[Decision]
    # decision id → the hrefs of its requiredDecision elements, with their lines
    requirements: dict[str, list[tuple[str, int | None]]] = field(default_factory=dict)
    namespace: str = ""
    unreadable: set[str] = field(default_factory=set)  # ids of decisions the file holds but Lincah could not read


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(node, name: str) -> list:
    return [child for child in node if _local(child.tag) == name]


def _child(node, name: str):
    found = _children(node, name)
    return found[0] if found else None


def _text(node) -> str:
    text = _child(node, "text") if node is not None else None
    return (text.text or "").strip() if text is not None else ""


def is_dmn(root) -> bool:
    return _local(root.tag) == "definitions" and DMN_NAMESPACE_MARK in (root.tag or "")


def read_file(root, name: str = "") -> tuple[DecisionFile, list[Located]]:
    """The decision tables of the DMN document ``name`` with the requirements they name (not yet resolved: the
    required decision may be in another file of the deployment), and the problems found in it."""
    problems: list[Located] = []
    if not is_dmn(root):
        problems.append(Located("not_dmn", f"The root element is <{_local(root.tag)}>, not a DMN <definitions>: "
                                "this is not a DMN file.", "Berkas ini bukan berkas DMN (elemen akar bukan "
                                "definitions DMN).", root.sourceline))
        return DecisionFile(name, []), problems
    found = DecisionFile(name, [], namespace=(root.get("namespace") or "").strip())
    for node in _children(root, "decision"):
        decision = _decision(node, problems)
        if decision is not None:
            found.decisions.append(decision)
            found.requirements[decision.id] = _required_ids(node)
        elif node.get("id"):
            found.unreadable.add(node.get("id"))
    if not _children(root, "decision"):
        problems.append(Located("dmn_empty", "The file holds no decision. Draw a decision table in your DMN "
                                "modeler.", "Berkas DMN tidak memuat keputusan.", root.sourceline))
    return found, problems


def _decision(node, problems: list[Located]) -> Decision | None:
    decision_id = node.get("id") or ""
    name = node.get("name") or decision_id
    where = {"line": node.sourceline, "element_id": decision_id}
    if not decision_id:
        problems.append(Located("decision_without_id", f"Decision {name!r} has no id; give it one in the modeler "
                                "(it is how a business rule task and the API call it).",
                                f"Keputusan {name!r} tidak memiliki id.", node.sourceline))
        return None
    if _children(node, "knowledgeRequirement"):
        problems.append(Located("decision_knowledge_requirement", f"Decision {decision_id!r} invokes a business "
                                "knowledge model (knowledgeRequirement), which Lincah does not evaluate. Write the "
                                "logic as a decision table or literal expression of its own and require that "
                                "decision instead (requiredDecision).",
                                f"Keputusan {decision_id!r} memanggil business knowledge model "
                                "(knowledgeRequirement), yang tidak dijalankan Lincah. Tulis logikanya sebagai tabel "
                                "keputusan atau literal expression tersendiri dan jadikan keputusan itu prasyarat "
                                "(requiredDecision).", **where))
        return None
    table = _child(node, "decisionTable")
    if table is None and _child(node, "literalExpression") is not None:
        return _literal(decision_id, name, node, _child(node, "literalExpression"), problems)
    if table is None:
        kind = next((_local(child.tag) for child in node if _local(child.tag) not in (
            "description", "question", "allowedAnswers", "variable", "informationRequirement",
            "authorityRequirement", "extensionElements")), "nothing")
        problems.append(Located("decision_not_table", f"Decision {decision_id!r} is a {kind}, which Lincah does "
                                "not evaluate: it evaluates decision tables and literal expressions. Redraw it as "
                                "one of those in the modeler.",
                                f"Keputusan {decision_id!r} berupa {kind}, yang tidak dijalankan Lincah: Lincah "
                                "menjalankan tabel keputusan dan literal expression. Gambar ulang sebagai salah satu "
                                "dari keduanya di modeler.", **where))
        return None
    before = len(problems)
    policy, aggregation = _hit_policy(decision_id, table, problems)
    inputs = [_input(decision_id, column, problems) for column in _children(table, "input")]
    outputs = [_output(decision_id, column, index, problems)
               for index, column in enumerate(_children(table, "output"), start=1)]
    if not outputs:
        problems.append(Located("decision_without_output", f"Decision {decision_id!r} has no output column.",
                                f"Tabel keputusan {decision_id!r} tidak memiliki kolom keluaran.", **where))
    names = [output.name for output in outputs if output is not None]
    for duplicate in sorted({n for n in names if names.count(n) > 1}):
        problems.append(Located("decision_output_duplicate", f"Decision {decision_id!r} has two outputs named "
                                f"{duplicate!r}; give each output its own name.",
                                f"Tabel keputusan {decision_id!r} memiliki dua keluaran bernama {duplicate!r}.",
                                **where))
    if aggregation and len(outputs) != 1:
        problems.append(Located("decision_aggregation_outputs", f"Decision {decision_id!r} aggregates "
                                f"({aggregation}) but has {len(outputs)} outputs; an aggregation needs exactly one.",
                                f"Agregasi {aggregation} pada {decision_id!r} memerlukan tepat satu keluaran.",
                                **where))
    if policy in (PRIORITY, OUTPUT_ORDER) and outputs and not any(o is not None and o.values for o in outputs):
        problems.append(Located("decision_priority_values", f"Decision {decision_id!r} has hit policy {policy}, "
                                "which ranks results by the outputs' values, but no output lists its values. Fill "
                                "in the output values (e.g. \"high\",\"medium\",\"low\") in priority order.",
                                f"Kebijakan {policy} pada {decision_id!r} memerlukan daftar nilai keluaran "
                                "(output values) sesuai urutan prioritas.", **where))
    rules = [_rule(decision_id, row, index, inputs, outputs, problems)
             for index, row in enumerate(_children(table, "rule"), start=1)]
    if len(problems) > before:
        return None
    return Decision(decision_id, name, policy, aggregation, inputs, outputs, rules)


def _literal(decision_id: str, name: str, node, expression, problems: list[Located]) -> Decision | None:
    """A literal expression decision: a table of one rule without inputs whose one output — named by the
    decision's ``variable`` (else its id) — is the expression."""
    variable = _child(node, "variable")
    output_name = (variable.get("name") if variable is not None else "") or decision_id
    typed = variable if variable is not None and variable.get("typeRef") else expression
    before = len(problems)
    type_ref = _type_ref(decision_id, typed, "literal expression", problems)
    if len(problems) > before:
        return None
    text = _text(expression)
    where = f"literal expression {output_name!r}"
    if not _language_ok(expression):
        problems.append(_unsupported(decision_id, where, expression, f"the expression language "
                                     f"{expression.get('expressionLanguage')!r} (only FEEL)",
                                     cell_id=expression.get("id")))
        return None
    if not text:
        problems.append(Located("decision_literal_empty", f"Decision {decision_id!r}: the literal expression is "
                                "empty; write the FEEL expression that gives the decision's value.",
                                f"Keputusan {decision_id!r}: literal expression kosong; tulis ekspresi FEEL yang "
                                "menghasilkan nilai keputusan.", expression.sourceline, decision_id,
                                cell_id=expression.get("id")))
        return None
    try:
        rule = Rule(expression.get("id") or "", 1, [], [text])
    except feel.FeelError as exc:
        problems.append(_unsupported(decision_id, where, expression, str(exc), cell_id=expression.get("id")))
        return None
    return Decision(decision_id, name, inputs=[], outputs=[Output(expression.get("id") or "", output_name, "",
                                                                  type_ref)], rules=[rule], kind=LITERAL)


def _required_ids(node) -> list[tuple[str, int | None]]:
    """The decisions a decision requires, by the ids its ``requiredDecision href="#id"`` name, with their lines."""
    found = []
    for requirement in _children(node, "informationRequirement"):
        for required in _children(requirement, "requiredDecision"):
            found.append(((required.get("href") or "").strip(), required.sourceline))
    return found


def _hit_policy(decision_id: str, table, problems: list[Located]) -> tuple[str, str | None]:
    policy = (table.get("hitPolicy") or "UNIQUE").strip().upper()
    aggregation = (table.get("aggregation") or "").strip().upper() or None
    where = {"line": table.sourceline, "element_id": decision_id}
    if policy not in HIT_POLICIES:
        problems.append(Located("decision_hit_policy", f"Decision {decision_id!r} has the unknown hit policy "
                                f"{policy!r}; use one of {', '.join(HIT_POLICIES)}.",
                                f"Kebijakan hit {policy!r} pada {decision_id!r} tidak dikenal.", **where))
    if aggregation and (aggregation not in AGGREGATIONS or policy != COLLECT):
        problems.append(Located("decision_aggregation", f"Decision {decision_id!r}: aggregation {aggregation!r} "
                                f"is possible only with hit policy COLLECT, as one of {', '.join(AGGREGATIONS)}.",
                                f"Agregasi {aggregation!r} pada {decision_id!r} hanya untuk kebijakan COLLECT "
                                f"({', '.join(AGGREGATIONS)}).", **where))
    return policy, aggregation


def _type_ref(decision_id: str, node, what: str, problems: list[Located]) -> str | None:
    type_ref = node.get("typeRef")
    if type_ref and not types.known(type_ref):
        problems.append(Located("decision_type", f"Decision {decision_id!r}, {what}: the type {type_ref!r} is not "
                                "one Lincah knows; use string, boolean, integer, long, double, number, date or "
                                "date and time.", f"Keputusan {decision_id!r}, {what}: tipe {type_ref!r} tidak "
                                "dikenal.", node.sourceline, decision_id))
        return None
    return type_ref or None


def _language_ok(node) -> bool:
    return (node.get("expressionLanguage") or "").strip().lower() in FEEL_LANGUAGES


def _input(decision_id: str, node, problems: list[Located]) -> Input | None:
    column_id = node.get("id") or ""
    expression = _child(node, "inputExpression")
    label = node.get("label") or ""
    if expression is None:
        title = label or column_id
        problems.append(Located("decision_input_expression", f"Decision {decision_id!r}, input {title!r} has no "
                                "input expression; name the variable it reads.",
                                f"Keputusan {decision_id!r}, masukan {title!r} tidak memiliki ekspresi.",
                                node.sourceline, decision_id))
        return None
    text = _text(expression)
    title = label or text or column_id
    type_ref = _type_ref(decision_id, expression, f"input {title!r}", problems)
    language = (expression.get("expressionLanguage") or "").strip().lower()
    if language == "juel" and text.startswith("${") and text.endswith("}"):
        text = text[2:-1].strip()
    elif not _language_ok(expression):
        problems.append(_unsupported(decision_id, f"input {title!r}", expression,
                                     f"the expression language {language!r} (only FEEL is evaluated)"))
        return None
    if not text:
        problems.append(Located("decision_input_expression", f"Decision {decision_id!r}, input {title!r} has an "
                                "empty input expression; name the variable it reads.",
                                f"Keputusan {decision_id!r}, masukan {title!r} memiliki ekspresi kosong.",
                                expression.sourceline, decision_id))
        return None
    values = _listed_values(decision_id, node, "inputValues", f"input {title!r} (input values)", type_ref, problems)
    try:
        return Input(column_id, label, text, type_ref, values)
    except feel.FeelError as exc:
        problems.append(_unsupported(decision_id, f"input {title!r}", expression, str(exc), cell_id=column_id))
        return None


def _output(decision_id: str, node, index: int, problems: list[Located]) -> Output | None:
    name = (node.get("name") or "").strip()
    label = node.get("label") or ""
    column_id = node.get("id") or ""
    title = name or label or column_id or f"output {index}"
    if not name:
        problems.append(Located("decision_output_name", f"Decision {decision_id!r}, output {title!r} has no name; "
                                "fill in its 'Output name' (the variable the result is stored as).",
                                f"Keputusan {decision_id!r}, keluaran {title!r} tidak memiliki nama (Output name).",
                                node.sourceline, decision_id))
        return None
    type_ref = _type_ref(decision_id, node, f"output {title!r}", problems)
    values = _listed_values(decision_id, node, "outputValues", f"output {title!r} (output values)", type_ref,
                            problems)
    return Output(column_id, name, label, type_ref, values)


def _listed_values(decision_id: str, column, tag: str, where: str, type_ref: str | None,
                   problems: list[Located]) -> list:
    """A column's ``inputValues``/``outputValues`` (``"high","medium","low"``) as JSON values, in their order."""
    declared = _child(column, tag)
    if declared is None or not _text(declared):
        return []
    try:
        tree = feel.parse_unary_tests(_text(declared))
        endpoints = feel.endpoints(tree)
        if tree[0] != "or" or any(test[0] != "cmp" or test[1] != "=" for test in tree[1]) \
                or any(point[0] != "lit" for point in endpoints):
            raise feel.FeelError("the values are a list of literals, e.g. \"high\",\"medium\",\"low\"")
        return [types.to_json(types.coerce(point[1], type_ref)) for point in endpoints]
    except (feel.FeelError, types.TypeMismatch) as exc:
        problems.append(_unsupported(decision_id, where, declared, str(exc), cell_id=column.get("id")))
        return []


def _rule(decision_id: str, node, index: int, inputs: list, outputs: list, problems: list[Located]) -> Rule | None:
    rule_id = node.get("id") or ""
    rule = f"rule {index}" + (f" ({rule_id})" if rule_id else "")
    in_cells, out_cells = _children(node, "inputEntry"), _children(node, "outputEntry")
    if len(in_cells) != len(inputs) or len(out_cells) != len(outputs):
        problems.append(Located("decision_rule_cells", f"Decision {decision_id!r}, {rule} has {len(in_cells)} "
                                f"input and {len(out_cells)} output cells, but the table has {len(inputs)} inputs "
                                f"and {len(outputs)} outputs. Save the table again from the modeler.",
                                f"Keputusan {decision_id!r}, aturan {index}: jumlah sel tidak sesuai kolom tabel.",
                                node.sourceline, rule_id or decision_id))
        return None
    ok = True
    for cell, column in zip(in_cells, inputs, strict=True):
        title = column.title if column is not None else cell.get("id")
        try:
            if not _language_ok(cell):
                raise feel.FeelError(f"the expression language {cell.get('expressionLanguage')!r} (only FEEL)")
            tree = feel.parse_unary_tests(_text(cell))
            _check_literal_types(tree, column)
        except feel.FeelError as exc:
            problems.append(_unsupported(decision_id, f"{rule}, input {title!r}", cell, str(exc), rule_id,
                                         cell_id=cell.get("id")))
            ok = False
    for cell, column in zip(out_cells, outputs, strict=True):
        title = column.name if column is not None else cell.get("id")
        try:
            if not _language_ok(cell):
                raise feel.FeelError(f"the expression language {cell.get('expressionLanguage')!r} (only FEEL)")
            tree = feel.parse_expression(_text(cell))
            if column is not None and tree[0] == "lit":
                types.coerce(tree[1], column.type_ref)
        except (feel.FeelError, types.TypeMismatch) as exc:
            problems.append(_unsupported(decision_id, f"{rule}, output {title!r}", cell, str(exc), rule_id,
                                         cell_id=cell.get("id")))
            ok = False
    if not ok:
        return None
    description = _child(node, "description")
    return Rule(rule_id, index, [_text(c) for c in in_cells], [_text(c) for c in out_cells],
                (description.text or "").strip() if description is not None else "")


def _check_literal_types(tree, column) -> None:
    """A literal in a cell must be of the column's kind: ``"10"`` in an integer column would never match; and a text
    in a column that lists its values must be one of them (``"mikor"`` where the values are "mikro","kecil")."""
    allowed = [value for value in (column.values if column is not None else []) if isinstance(value, str)]
    for point in feel.endpoints(tree) if allowed else ():
        if point[0] == "lit" and isinstance(point[1], str) and point[1] not in allowed:
            raise feel.FeelError(f"{point[1]!r} is not one of the column's input values "
                                 f"({', '.join(repr(value) for value in allowed)})")
    kind = types.family(column.type_ref) if column is not None else None
    if kind is None:
        return
    for point in feel.endpoints(tree):
        if point[0] == "lit" and point[1] is not None and types.family_of(point[1]) != kind:
            hint = {"number": "a number without quotes", "date": 'date("2026-01-31")',
                    "string": "a text in double quotes", "boolean": "true or false"}[kind]
            raise feel.FeelError(f"{point[1]!r} does not fit the column's type {types.canonical(column.type_ref)}; "
                                 f"write {hint}")


def _unsupported(decision_id: str, where: str, node, reason: str, rule_id: str | None = None, *,
                 cell_id: str | None = None) -> Located:
    text = _text(node) if _child(node, "text") is not None else ""
    shown = f" {text!r}" if text else ""
    return Located("decision_feel", f"Decision {decision_id!r}, {where}: the cell{shown} is not FEEL Lincah can "
                   f"evaluate: {reason}. Write a simple test (e.g. < 10, [1..10], \"a\",\"b\", not(\"x\"), -) or a "
                   "literal, variable name or + - * / arithmetic.",
                   f"Keputusan {decision_id!r}, {where}: sel{shown} bukan FEEL yang dapat dijalankan Lincah "
                   f"({reason}). Tulis uji sederhana (mis. < 10, [1..10], \"a\",\"b\", not(\"x\"), -) atau nilai "
                   "literal, nama variabel, atau aritmetika + - * /.",
                   node.sourceline, rule_id or decision_id, cell_id=cell_id or None)
