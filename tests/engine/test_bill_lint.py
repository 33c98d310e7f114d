"""Lint and deploy of the ``bill.*`` process properties (engine/bpmn/bill_lint.py), on the fishery business permit
with one property changed: an unknown name ("did you mean"), a missing account or amount, an expression instead of
a data path, a path nobody writes or a decision output that does not exist, and a path to a value of the wrong type
are each an error located on the property's line of the process — in both languages — and the deploy refuses them
with the same problems (422 over HTTP, never a 500)."""

from __future__ import annotations

import pytest

from engine.bpmn.compiler import SourceFile
from engine.errors import InvalidDefinition
from engine.services import definitions
from tests.conftest import PROJECT_ROOT

PATH = PROJECT_ROOT / "processes" / "fishery_business_permit.bpmn"
ORIGINAL = PATH.read_text(encoding="utf-8")
AMOUNT = '<camunda:property name="bill.amount" value="retribusi.amount" />'


def _tables() -> list[SourceFile]:
    return [SourceFile(p.name, p.read_bytes()) for p in sorted(PATH.parent.glob("*.dmn"))]


def _bill_problems(ctx, text: str) -> list:
    compiled = definitions.lint(ctx, SourceFile(PATH.name, text.encode()), _tables(),
                                definitions.form_source(ctx, PATH))
    return [p for p in compiled.problems if p.code.startswith("bill_")]


def _line_of(text: str, fragment: str) -> int:
    return text[:text.index(fragment)].count("\n") + 1


def _with(old: str, new: str) -> str:
    assert ORIGINAL.count(old) == 1
    return ORIGINAL.replace(old, new)


def test_the_bundled_service_declares_its_bill_without_a_problem(ctx):
    assert _bill_problems(ctx, ORIGINAL) == []


def test_a_misspelt_bill_property_is_refused_with_did_you_mean_and_the_account_is_missing(ctx):
    text = _with('name="bill.account"', 'name="bill.acount"')
    problems = {p.code: p for p in _bill_problems(ctx, text)}
    assert set(problems) == {"bill_property_unknown", "bill_property_missing"}
    unknown = problems["bill_property_unknown"]
    assert (unknown.severity, unknown.element_id, unknown.file) == ("error", "fishery_business_permit", PATH.name)
    assert unknown.line == _line_of(text, 'name="bill.acount"')
    assert "bill.acount" in unknown.message and "Did you mean bill.account?" in unknown.message
    assert "Apakah maksud Anda bill.account?" in unknown.message_id
    assert "bill.account" in problems["bill_property_missing"].message


def test_an_expression_instead_of_a_data_path_is_refused(ctx):
    text = _with(AMOUNT, '<camunda:property name="bill.amount" value="${retribusi.amount}" />')
    (problem,) = _bill_problems(ctx, text)
    assert problem.code == "bill_property_path" and problem.line == _line_of(text, 'value="${retribusi.amount}"')
    assert "dotted path such as retribusi.amount" in problem.message and "jalur bertitik" in problem.message_id


def test_a_path_nobody_writes_is_refused_with_the_closest_name(ctx):
    (problem,) = _bill_problems(ctx, _with(AMOUNT, '<camunda:property name="bill.amount" value="retribusl.amount" />'))
    assert problem.code == "bill_property_unknown_field"
    assert "nothing in this diagram writes retribusl" in problem.message
    assert "Did you mean retribusi?" in problem.message


def test_a_decision_output_the_table_does_not_have_is_refused(ctx):
    (problem,) = _bill_problems(ctx, _with(AMOUNT, '<camunda:property name="bill.amount" value="retribusi.amout" />'))
    assert problem.code == "bill_property_unknown_field"
    assert "decision retribusi_usaha_perikanan has no output amout" in problem.message
    assert "Did you mean retribusi.amount?" in problem.message


@pytest.mark.parametrize(("prop", "path", "kind"), [
    ("amount", "business_name", "string"),  # a text field of the application form
    ("deadline", "fleet_gt", "number"),  # a number of the form where the bank's ISO deadline belongs
])
def test_a_path_to_a_value_of_the_wrong_type_is_refused(ctx, prop, path, kind):
    old = {"amount": AMOUNT, "deadline": '<camunda:property name="bill.deadline" value="pay_before" />'}[prop]
    (problem,) = _bill_problems(ctx, _with(old, f'<camunda:property name="bill.{prop}" value="{path}" />'))
    assert problem.code == "bill_property_type"
    assert f"bill.{prop} names {path}, which holds {kind}" in problem.message


def test_the_deploy_refuses_the_same_problems(ctx, db):
    text = _with('name="bill.deadline"', 'name="bill.dedline"')
    with db.transaction() as session, pytest.raises(InvalidDefinition) as refused:
        definitions.deploy(session, ctx, SourceFile(PATH.name, text.encode()), _tables(),
                           definitions.form_source(ctx, PATH), actor="analis")
    (problem,) = [p for p in refused.value.problems if p["code"].startswith("bill_")]
    assert problem["code"] == "bill_property_unknown" and problem["element_id"] == "fishery_business_permit"
    assert "Did you mean bill.deadline?" in problem["message"]


def test_a_bill_without_bill_paid_is_a_warning_on_the_account_line(ctx):
    text = _with('<camunda:property name="bill.paid" value="paid_amount" />', "")
    (problem,) = _bill_problems(ctx, text)
    assert (problem.code, problem.severity) == ("bill_paid_missing", "warning")
    assert problem.line == _line_of(text, 'name="bill.account"')
    assert "can never show as paid" in problem.message and "tidak pernah tampil lunas" in problem.message_id
