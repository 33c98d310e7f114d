"""Decisions beyond one table: a literal expression decision, and decisions that require others (a decision
requirements diagram, ``requiredDecision``) — evaluated with the required decisions' outputs handed on by output
name as Camunda 7 does, kept whole when stored, called by a business rule task; and what Lincah does not evaluate
(a business knowledge model, a boxed context, a requirement outside the file, a cycle) refused at deploy with a
located message."""

from __future__ import annotations

import pytest

from engine.bpmn.compiler import SourceFile
from engine.bpmn.dmn import read_files
from engine.bpmn.problems import ProblemList
from engine.decisions.evaluation import evaluate
from engine.decisions.model import Decision
from engine.errors import InvalidDefinition
from engine.services import decisions
from tests.engine.test_business_rule_task import data_at_review, deploy_with, fee_service, start

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" '
        'id="defs" name="Tarif" namespace="http://camunda.org/schema/1.0/dmn">\n')
CATEGORY = """<decision id="category" name="Kategori">
  <decisionTable id="t2"><input id="i2" label="Luas"><inputExpression id="e2" typeRef="integer"><text>area</text>
  </inputExpression></input><output id="o2" name="category" typeRef="string"/>
  <rule id="r3"><inputEntry id="c5"><text>&lt; 100</text></inputEntry><outputEntry id="c6"><text>"small"</text>
  </outputEntry></rule>
  <rule id="r4"><inputEntry id="c7"><text>&gt;= 100</text></inputEntry><outputEntry id="c8"><text>"large"</text>
  </outputEntry></rule></decisionTable>
</decision>
"""
FEE = """<decision id="fee" name="Tarif">
  <informationRequirement id="ir1"><requiredDecision href="#{required}"/></informationRequirement>
  <decisionTable id="t1"><input id="i1" label="Kategori"><inputExpression id="e1" typeRef="string">
  <text>category</text></inputExpression></input><output id="o1" name="fee" typeRef="integer"/>
  <rule id="r1"><inputEntry id="c1"><text>"small"</text></inputEntry><outputEntry id="c2"><text>0</text>
  </outputEntry></rule>
  <rule id="r2"><inputEntry id="c3"><text>"large"</text></inputEntry><outputEntry id="c4"><text>250000</text>
  </outputEntry></rule></decisionTable>
</decision>
"""
TOTAL = """<decision id="fee_with_tax" name="Tarif dengan pajak">
  <variable id="v1" name="total" typeRef="integer"/>
  <informationRequirement id="ir2"><requiredDecision href="#fee"/></informationRequirement>
  <literalExpression id="le1"><text>fee + fee / 10</text></literalExpression>
</decision>
"""
DRD = HEAD + CATEGORY + FEE.format(required="category") + TOTAL + "</definitions>\n"


def _read(xml: str) -> tuple[dict[str, Decision], ProblemList]:
    problems = ProblemList()
    return read_files([("tarif.dmn", xml.encode())], problems, 1_000_000), problems


def test_a_literal_expression_decision_is_evaluated_as_its_variable():
    found, problems = _read(HEAD + """<decision id="levy" name="Retribusi">
      <variable id="v" name="levy" typeRef="long"/>
      <literalExpression id="le"><text>area * 2500</text></literalExpression></decision></definitions>""")
    assert list(problems) == []
    assert found["levy"].kind == "literal"
    assert evaluate(found["levy"], {"area": 120}) == [{"levy": 300000}]


def test_decisions_requiring_others_get_their_outputs_by_name():
    found, problems = _read(DRD)
    assert list(problems) == []
    assert evaluate(found["fee"], {"area": 150}) == [{"fee": 250000}]
    assert evaluate(found["fee"], {"area": 50}) == [{"fee": 0}]
    assert evaluate(found["fee_with_tax"], {"area": 150}) == [{"total": 275000}]
    # stored as a version stores it, the decision carries what it requires
    stored = Decision.from_dict(found["fee_with_tax"].to_dict())
    assert evaluate(stored, {"area": 150}) == [{"total": 275000}]


def test_deployed_and_called_by_key_the_requirements_come_along(db, ctx):
    with db.transaction() as session:
        rows = decisions.deploy(session, ctx, [SourceFile("tarif.dmn", DRD.encode())], actor="ana")
        assert sorted(row.key for row in rows) == ["category", "fee", "fee_with_tax"]
    with db.transaction() as session:
        assert decisions.evaluate_latest(session, "fee_with_tax", {"area": 99}) == [{"total": 0}]


@pytest.mark.parametrize(("xml", "code", "element", "words"), [
    (HEAD + FEE.format(required="size") + "</definitions>", "decision_requirement_missing", "fee",
     "requires '#size', which is no decision of this file nor of the DMN files deployed with it"),
    (HEAD + FEE.format(required="fee_with_tax") + TOTAL + "</definitions>", "decision_requirement_cycle",
     "fee_with_tax", "requires itself through fee → fee_with_tax → fee"),
    (HEAD + """<decision id="fee" name="Tarif"><knowledgeRequirement id="k"><requiredKnowledge href="#bkm"/>
      </knowledgeRequirement><literalExpression id="le"><text>1</text></literalExpression></decision>
      </definitions>""", "decision_knowledge_requirement", "fee", "business knowledge model"),
    (HEAD + """<decision id="fee" name="Tarif"><context id="ctx"/></decision></definitions>""",
     "decision_not_table", "fee", "is a context, which Lincah does not evaluate"),
    (HEAD + """<decision id="fee" name="Tarif"><variable id="v" name="fee"/><literalExpression id="le">
      <text>if area &gt; 1 then 1 else 2</text></literalExpression></decision></definitions>""",
     "decision_feel", "fee", "literal expression 'fee'"),
])
def test_what_lincah_does_not_evaluate_is_refused_located(xml, code, element, words):
    found, problems = _read(xml)
    assert code in [p.code for p in problems]
    problem = next(p for p in problems if p.code == code)
    assert problem.element_id == element and problem.line and words in problem.message
    assert problem.message_id  # and in Bahasa Indonesia
    assert "fee" not in found


def test_the_deploy_refuses_a_requirement_outside_the_file(db, ctx):
    with db.transaction() as session, pytest.raises(InvalidDefinition) as refused:
        decisions.deploy(session, ctx, [SourceFile("tarif.dmn", (HEAD + FEE.format(required="size")
                                                                 + "</definitions>").encode())], actor="ana")
    assert [p["code"] for p in refused.value.problems] == ["decision_requirement_missing"]


def test_a_business_rule_task_evaluates_a_decision_with_its_requirements(db, ctx):
    deploy_with(db, ctx, fee_service("singleEntry", "total", "fee_with_tax"), [("tarif.dmn", DRD.encode())],
                forms={"apply": {"type": "object", "properties": {"area": {"type": "integer"}}}})
    assert data_at_review(db, ctx, start(db, ctx, {"area": 120}))["total"] == 275000
