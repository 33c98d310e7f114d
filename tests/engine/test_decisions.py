"""Decision tables as Camunda Modeler writes them: FEEL unary tests read by our own parser, typed inputs and
outputs, every DMN 1.3 hit policy, and whatever cannot be evaluated refused at deploy with its decision, rule and
column."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from engine.bpmn.dmn import read_files
from engine.bpmn.problems import ProblemList
from engine.decisions import DecisionFailed, evaluate
from engine.decisions.task import COLLECT_ENTRIES, RESULT_LIST, SINGLE_ENTRY, SINGLE_RESULT, map_result

DMN13 = "https://www.omg.org/spec/DMN/20191111/MODEL/"
DMN11 = "http://www.omg.org/spec/DMN/20151101/dmn.xsd"
FEE_TABLE = Path(__file__).parent / "dmn" / "retribusi_kapal.dmn"


def table_xml(inputs, outputs, rules, *, hit_policy="UNIQUE", aggregation=None, decision_id="d",
              namespace=DMN13, output_values=None) -> str:
    """A DMN file with one table. ``inputs``: [(expression, typeRef)], ``outputs``: [(name, typeRef)], ``rules``:
    [([input cells], [output cells])]."""
    attrs = f' hitPolicy="{hit_policy}"' + (f' aggregation="{aggregation}"' if aggregation else "")
    columns = "".join(
        f'<input id="in{i}" label="column {i}"><inputExpression id="ie{i}" typeRef="{kind}"><text>{escape(text)}'
        f"</text></inputExpression></input>" for i, (text, kind) in enumerate(inputs))
    for i, (name, kind) in enumerate(outputs):
        values = (output_values or {}).get(name)
        listed = f"<outputValues><text>{escape(values)}</text></outputValues>" if values else ""
        columns += f'<output id="out{i}" name="{name}" typeRef="{kind}">{listed}</output>'
    rows = ""
    for r, (cells_in, cells_out) in enumerate(rules, start=1):
        rows += f'<rule id="r{r}">' + "".join(
            f'<inputEntry id="r{r}i{i}"><text>{escape(c)}</text></inputEntry>' for i, c in enumerate(cells_in)) \
            + "".join(f'<outputEntry id="r{r}o{i}"><text>{escape(c)}</text></outputEntry>'
                      for i, c in enumerate(cells_out)) + "</rule>"
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<definitions xmlns="{namespace}" id="defs" name="t" '
            f'namespace="http://camunda.org/schema/1.0/dmn">\n<decision id="{decision_id}" name="Test">'
            f'<decisionTable id="dt"{attrs}>{columns}\n{rows}\n</decisionTable></decision></definitions>')


def read(xml: str):
    problems = ProblemList()
    decisions = read_files([("t.dmn", xml.encode())], problems, 1_000_000)
    return decisions, problems


def table(*args, **kwargs):
    decisions, problems = read(table_xml(*args, **kwargs))
    assert not problems, [p.message for p in problems]
    return next(iter(decisions.values()))


def one_column(cell: str, type_ref: str = "") -> object:
    return table([("x", type_ref)], [("hit", "boolean")], [([cell], ["true"])])


@pytest.mark.parametrize(("cell", "type_ref", "passing", "failing"), [
    ("< 10", "integer", [9, -3], [10, 11, None]),
    ("<= 10", "integer", [10], [11]),
    ("> 10", "double", [10.5], [10]),
    (">= 10", "long", [10, 11], [9]),
    ("[1..10]", "integer", [1, 5, 10], [0, 11]),
    ("]1..10[", "integer", [2, 9], [1, 10]),
    ("(1..10)", "integer", [2], [1, 10]),
    ("[1..10[", "double", [1, 9.99], [10]),
    ("[-5..5]", "integer", [-5, 0, 5], [-6]),
    ("-5", "integer", [-5], [5]),
    ("0.1", "double", [0.1], [0.2]),
    ('"a","b"', "string", ["a", "b"], ["c", None]),
    ('"a"', "string", ["a"], ["A"]),
    ('not("x")', "string", ["y", "X"], ["x"]),
    ('not("x", "y")', "string", ["z"], ["x", "y"]),
    ('!= "a"', "string", ["b"], ["a"]),
    ("= 5", "integer", [5], [6]),
    ("-", "", [1, "a", None], []),
    ("", "string", ["anything", None], []),
    ("null", "", [None], [0, ""]),
    ("not(null)", "", [0, "a"], [None]),
    ("true", "boolean", [True, "true"], [False]),
    ("false", "boolean", [False], [True, None]),
    ('date("2026-01-01")', "date", ["2026-01-01"], ["2026-01-02"]),
    ('> date("2026-01-01")', "date", ["2026-01-02", "2026-03-01T08:00:00"], ["2026-01-01", "2025-12-31"]),
    ('[date("2026-01-01")..date("2026-12-31")]', "date", ["2026-06-30"], ["2027-01-01"]),
    ('< date and time("2026-01-01T00:00:00+08:00")', "date and time", ["2025-12-31T15:00:00+00:00"],
     ["2025-12-31T16:00:00+00:00"]),
    ("< limit", "integer", [4], [5, 6]),
    ("[low..limit]", "integer", [3, 5], [2, 6]),
])
def test_every_simple_unary_test_form_matches_what_feel_says(cell, type_ref, passing, failing):
    decision = one_column(cell, type_ref)
    context = {"limit": 5, "low": 3}
    for value in passing:
        assert evaluate(decision, {**context, "x": value}) == [{"hit": True}], (cell, value)
    for value in failing:
        assert evaluate(decision, {**context, "x": value}) == [], (cell, value)


def test_a_string_input_column_compares_texts_exactly_and_numbers_never_match_a_text():
    decision = one_column('"10"', "")
    assert evaluate(decision, {"x": "10"}) == [{"hit": True}]
    assert evaluate(decision, {"x": 10}) == []


@pytest.mark.parametrize(("expression", "expected"), [
    ("amount * 0.1", 150),
    ("(amount + 500) / 4", 500),
    ("amount / 3", pytest.approx(1500 / 3)),
    ("-amount + 1", -1499),
    ('"Rp " + name', "Rp Ani"),
    ("amount / 0", None),
    ("missing + 1", None),
    ("applicant.kind", "student"),
    ("date(\"2026-03-01\")", "2026-03-01"),
])
def test_output_entries_are_literals_names_and_arithmetic(expression, expected):
    decision = table([("amount", "integer")], [("out", "")], [(["-"], [expression])])
    variables = {"amount": 1500, "name": "Ani", "applicant": {"kind": "student"}}
    assert evaluate(decision, variables) == [{"out": expected}]


def test_feel_numbers_are_decimals():
    decision = table([("a", "double")], [("sum", "double")], [(["-"], ["a + 0.2"])])
    assert evaluate(decision, {"a": 0.1}) == [{"sum": 0.3}]


def rules_for(policy, **kwargs):
    """Three rules over ``n`` (integer): < 10 → low/1, < 20 → mid/2, < 30 → high/3 (so n=5 matches all three)."""
    return table([("n", "integer")], [("level", "string"), ("points", "integer")],
                 [(["< 10"], ['"low"', "1"]), (["< 20"], ['"mid"', "2"]), (["< 30"], ['"high"', "3"])],
                 hit_policy=policy, **kwargs)


def test_unique_with_two_matching_rules_is_an_error_naming_both():
    decision = rules_for("UNIQUE")
    assert evaluate(decision, {"n": 25}) == [{"level": "high", "points": 3}]
    with pytest.raises(DecisionFailed) as failure:
        evaluate(decision, {"n": 15})
    assert "rule 2 (r2) and rule 3 (r3)" in failure.value.message
    assert failure.value.details["rules"] == ["r2", "r3"]


def test_first_takes_the_first_match_in_rule_order():
    assert evaluate(rules_for("FIRST"), {"n": 5}) == [{"level": "low", "points": 1}]


def test_rule_order_and_collect_give_every_match_in_rule_order():
    expected = [{"level": "low", "points": 1}, {"level": "mid", "points": 2}, {"level": "high", "points": 3}]
    assert evaluate(rules_for("RULE ORDER"), {"n": 5}) == expected
    assert evaluate(rules_for("COLLECT"), {"n": 5}) == expected
    assert evaluate(rules_for("COLLECT"), {"n": 50}) == []


def test_priority_and_output_order_rank_by_the_output_values():
    values = {"level": '"high","mid","low"'}
    assert evaluate(rules_for("PRIORITY", output_values=values), {"n": 5}) == [{"level": "high", "points": 3}]
    assert evaluate(rules_for("PRIORITY", output_values=values), {"n": 15}) == [{"level": "high", "points": 3}]
    assert evaluate(rules_for("OUTPUT ORDER", output_values=values), {"n": 5}) == [
        {"level": "high", "points": 3}, {"level": "mid", "points": 2}, {"level": "low", "points": 1}]
    reversed_values = {"level": '"low","mid","high"'}
    assert evaluate(rules_for("PRIORITY", output_values=reversed_values), {"n": 15}) == [
        {"level": "mid", "points": 2}]


def test_any_allows_several_matches_only_when_they_agree():
    decision = table([("n", "integer")], [("ok", "boolean")],
                     [(["< 10"], ["true"]), (["< 20"], ["true"]), (["[15..30]"], ["false"])], hit_policy="ANY")
    assert evaluate(decision, {"n": 5}) == [{"ok": True}]
    with pytest.raises(DecisionFailed, match="rule 2 .* and rule 3"):
        evaluate(decision, {"n": 16})


@pytest.mark.parametrize(("aggregation", "expected_5", "expected_none"), [
    ("SUM", 6, []), ("MIN", 1, []), ("MAX", 3, []), ("COUNT", 3, [{"points": 0}]),
])
def test_collect_aggregations(aggregation, expected_5, expected_none):
    decision = table([("n", "integer")], [("points", "integer")],
                     [(["< 10"], ["1"]), (["< 20"], ["2"]), (["< 30"], ["3"])],
                     hit_policy="COLLECT", aggregation=aggregation)
    assert decision.policy == {"SUM": "C+", "MIN": "C<", "MAX": "C>", "COUNT": "C#"}[aggregation]
    assert evaluate(decision, {"n": 5}) == [{"points": expected_5}]
    assert evaluate(decision, {"n": 25}) == [{"points": 3 if aggregation != "COUNT" else 1}]
    assert evaluate(decision, {"n": 99}) == expected_none


def test_collect_sum_of_doubles_stays_exact():
    decision = table([("n", "integer")], [("fee", "double")], [(["-"], ["0.1"]), (["-"], ["0.2"])],
                     hit_policy="COLLECT", aggregation="SUM")
    assert evaluate(decision, {"n": 1}) == [{"fee": 0.3}]


def test_typed_inputs_are_converted_and_a_wrong_value_is_named():
    decision = table([("age", "integer"), ("member", "boolean"), ("since", "date")], [("ok", "boolean")],
                     [([">= 17", "true", '< date("2026-01-01")'], ["true"])])
    assert evaluate(decision, {"age": "18", "member": "true", "since": "2025-05-01"}) == [{"ok": True}]
    assert evaluate(decision, {"age": 18.0, "member": True, "since": "2026-05-01"}) == []
    with pytest.raises(DecisionFailed, match="input 'column 0' must be a integer, but 'eighteen' is not a integer"):
        evaluate(decision, {"age": "eighteen", "member": True, "since": "2025-01-01"})


def test_typed_outputs_are_stored_as_json_values():
    decision = table([("x", "")], [("i", "integer"), ("d", "double"), ("day", "date"), ("s", "string")],
                     [(["-"], ["2.0", "2", 'date("2026-02-03")', '"t"'])])
    result = evaluate(decision, {"x": 1})
    assert result == [{"i": 2, "d": 2.0, "day": "2026-02-03", "s": "t"}]
    assert type(result[0]["i"]) is int and type(result[0]["d"]) is float


def test_the_camunda_modeler_fee_table_computes_the_retribusi():
    problems = ProblemList()
    decisions = read_files([(FEE_TABLE.name, FEE_TABLE.read_bytes())], problems, 1_000_000)
    assert not problems
    fee = decisions["retribusi_kapal"]
    assert (fee.name, fee.policy, [i.title for i in fee.inputs]) == (
        "Retribusi izin kapal perikanan", "U", ["Tonase kotor (GT)", "Jenis pemohon"])

    def retribusi(gt, applicant):
        return evaluate(fee, {"kapal": {"gt": gt}, "jenis_pemohon": applicant})

    assert retribusi(3, "nelayan_kecil") == [{"retribusi": 0, "keterangan": "Dibebaskan: nelayan kecil"}]
    assert retribusi(4.9, "badan_usaha")[0]["retribusi"] == 50000
    assert retribusi(5, "nelayan_kecil")[0]["retribusi"] == 25000
    assert retribusi(9.5, "perorangan")[0]["retribusi"] == 100000
    assert retribusi(10, "nelayan_kecil")[0]["retribusi"] == 250000
    assert retribusi(60, "badan_usaha")[0]["retribusi"] == 750000
    assert retribusi(45, "perorangan")[0]["retribusi"] == 500000
    assert retribusi(80, "perorangan")[0]["retribusi"] == 1_200_000
    assert retribusi(None, "perorangan") == []


def test_a_dmn_1_1_file_reads_too():
    decision = table([("x", "integer")], [("y", "string")], [(["< 3"], ['"small"'])], namespace=DMN11)
    assert evaluate(decision, {"x": 1}) == [{"y": "small"}]


@pytest.mark.parametrize("cell", [
    "if x > 1 then 1 else 2", "sum(a)", "? > 3", '__import__("os").system("id")', "x[1]", "contains(x, \"a\")",
    "> 1 and < 3", "[1..", "'single quotes'", "a.b.", "1 +",
])
def test_unsupported_feel_is_a_located_problem_never_a_crash(cell):
    _, problems = read(table_xml([("n", "integer")], [("y", "string")],
                                 [(["-"], ['"a"']), ([cell], ['"b"'])], decision_id="fee"))
    assert [p.code for p in problems] == ["decision_feel"]
    problem = problems[0]
    assert (problem.file, problem.element_id, problem.severity) == ("t.dmn", "r2", "error")
    assert problem.line == 4
    assert "Decision 'fee', rule 2 (r2), input 'column 0'" in problem.message
    assert problem.message_id.startswith("Keputusan 'fee', rule 2 (r2)")


def test_unsupported_output_expressions_are_located_by_rule_and_output():
    _, problems = read(table_xml([("n", "integer")], [("fee", "integer")], [(["-"], ["round(n)"])]))
    assert problems[0].element_id == "r1"
    assert "rule 1 (r1), output 'fee'" in problems[0].message


@pytest.mark.parametrize(("cell", "type_ref", "hint"), [
    ('"10"', "integer", "write a number without quotes"),
    ("10", "string", "write a text in double quotes"),
    ('"2026-01-01"', "date", 'write date("2026-01-31")'),
])
def test_a_literal_of_the_wrong_type_is_refused_with_a_hint(cell, type_ref, hint):
    _, problems = read(table_xml([("x", type_ref)], [("y", "string")], [([cell], ['"a"'])]))
    assert hint in problems[0].message


@pytest.mark.parametrize(("change", "code"), [
    ({"hit_policy": "SOMETIMES"}, "decision_hit_policy"),
    ({"hit_policy": "FIRST", "aggregation": "SUM"}, "decision_aggregation"),
    ({"hit_policy": "PRIORITY"}, "decision_priority_values"),
])
def test_table_settings_lincah_cannot_honour_are_problems(change, code):
    _, problems = read(table_xml([("x", "integer")], [("y", "string")], [(["-"], ['"a"'])], **change))
    assert code in [p.code for p in problems]
    assert all(p.element_id == "d" for p in problems)


def test_an_aggregation_needs_a_single_output():
    _, problems = read(table_xml([("x", "integer")], [("y", "integer"), ("z", "integer")], [(["-"], ["1", "2"])],
                                 hit_policy="COLLECT", aggregation="SUM"))
    assert [p.code for p in problems] == ["decision_aggregation_outputs"]


def test_a_file_that_is_not_dmn_or_not_xml_is_a_problem():
    problems = ProblemList()
    assert read_files([("x.dmn", b"<bpmn/>"), ("y.dmn", b"<a>"), ("z.dmn", b"")], problems, 1000) == {}
    assert [p.code for p in problems] == ["not_dmn", "xml_syntax", "empty_file"]


def test_the_same_decision_id_in_two_files_is_a_problem():
    xml = table_xml([("x", "integer")], [("y", "string")], [(["-"], ['"a"'])]).encode()
    problems = ProblemList()
    read_files([("a.dmn", xml), ("b.dmn", xml)], problems, 1_000_000)
    assert [(p.code, p.file) for p in problems] == [("decision_duplicate", "b.dmn")]


def test_an_external_entity_is_refused():
    xml = '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + \
        table_xml([("x", "")], [("y", "")], [(["-"], ["&x;"])]).split("?>", 1)[1]
    _, problems = read(xml)
    assert [p.code for p in problems] == ["xml_doctype"]


def test_a_very_long_cell_is_refused_not_evaluated():
    _, problems = read(table_xml([("x", "integer")], [("y", "integer")], [(["-"], [" + ".join(["1"] * 2000)])]))
    assert "longer than 2000 characters" in problems[0].message


def test_deeply_nested_expressions_are_refused():
    _, problems = read(table_xml([("x", "integer")], [("y", "integer")], [(["-"], ["(" * 100 + "1" + ")" * 100])]))
    assert "nests deeper" in problems[0].message


@pytest.mark.parametrize(("mapping", "results", "expected"), [
    (SINGLE_ENTRY, [{"fee": 5}], 5),
    (SINGLE_ENTRY, [], None),
    (SINGLE_RESULT, [{"fee": 5, "note": "x"}], {"fee": 5, "note": "x"}),
    (SINGLE_RESULT, [], None),
    (COLLECT_ENTRIES, [{"fee": 5}, {"fee": 6}], [5, 6]),
    (RESULT_LIST, [{"fee": 5}, {"fee": 6}], [{"fee": 5}, {"fee": 6}]),
])
def test_map_decision_result_shapes_the_stored_result(mapping, results, expected):
    assert map_result(one_column("-"), results, mapping) == expected


@pytest.mark.parametrize(("mapping", "results"), [
    (SINGLE_ENTRY, [{"fee": 5}, {"fee": 6}]),
    (SINGLE_ENTRY, [{"fee": 5, "note": "x"}]),
    (SINGLE_RESULT, [{"fee": 5}, {"fee": 6}]),
    (COLLECT_ENTRIES, [{"fee": 5, "note": "x"}]),
])
def test_a_result_that_does_not_fit_its_mapping_is_an_error(mapping, results):
    with pytest.raises(DecisionFailed, match=mapping):
        map_result(one_column("-"), results, mapping)
