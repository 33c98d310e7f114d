"""``equals.<variable>`` on an element that receives a message (the bill's amount a payment must match): lint and
deploy refuse, located, a property whose path is not a dotted path of the application's data or whose variable the
element does not take from the message — a typo there would refuse every payment at run time."""

from __future__ import annotations

import pytest

from engine.bpmn.compiler import SourceFile
from engine.errors import InvalidDefinition
from engine.forms.schemas import FormSource
from engine.services import definitions
from tests.engine.conftest import diagram, form_uploads
from tests.engine.test_messages import FORMS, MESSAGES, START


def _catch(path: str, variable: str = "amount") -> str:
    return diagram(START.format("paid") + f"""
    <bpmn:intermediateCatchEvent id="paid" name="Lunas dibayar"><bpmn:extensionElements>
        <camunda:properties><camunda:property name="equals.{variable}" value="{path}"/></camunda:properties>
        <camunda:inputOutput><camunda:outputParameter name="amount" /></camunda:inputOutput></bpmn:extensionElements>
      <bpmn:messageEventDefinition messageRef="m_paid"/></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="paid" targetRef="e"/><bpmn:endEvent id="e" name="Lunas"/>""",
                   extra=MESSAGES)


def _codes(ctx, xml: str) -> dict[str, object]:
    compiled = definitions.lint(ctx, SourceFile("p.bpmn", xml.encode()), [], FormSource(form_uploads(FORMS), []))
    return {p.code: p for p in compiled.problems if p.severity == "error"}


def test_a_dotted_path_and_a_variable_the_element_takes_pass(ctx):
    assert _codes(ctx, _catch("bill.amount")) == {}


@pytest.mark.parametrize("path", ["bill amount", "bill..amount", "${bill}", ""])
def test_a_path_that_is_not_a_dotted_path_is_refused_at_the_element(ctx, path):
    problem = _codes(ctx, _catch(path))["message_equals_path"]
    assert problem.element_id == "paid" and "equals.amount" in problem.message and "retribusi.amount" in problem.message


def test_a_variable_the_element_does_not_take_is_refused_by_lint_and_deploy(db, ctx):
    xml = _catch("bill", variable="total")
    problem = _codes(ctx, xml)["message_equals_undeclared"]
    assert problem.element_id == "paid" and "total" in problem.message
    with db.transaction() as session, pytest.raises(InvalidDefinition) as refused:
        definitions.deploy(session, ctx, SourceFile("p.bpmn", xml.encode()), [], FormSource(form_uploads(FORMS), []),
                           actor="analyst")
    assert "message_equals_undeclared" in str(refused.value.details)
