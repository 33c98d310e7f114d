"""The try-a-table page for a decision that requires others and for a literal expression: the form asks for what
the whole graph reads (not for what a required decision gives), says which decisions are evaluated first, and
answers with the requiring decision's result; a required decision another DMN file of the deployment holds is named
with its file."""

from __future__ import annotations

import pytest

from engine.bpmn.compiler import SourceFile
from engine.services import decisions
from tests.api.test_decision_requirements_across_files import both
from tests.engine.test_decision_requirements import DRD
from tests.web.conftest import page
from tests.web.studio_support import studio_people  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("studio_people")


@pytest.fixture
def drd(db, ctx):
    with db.transaction() as session:
        decisions.deploy(session, ctx, [SourceFile("tarif.dmn", DRD.encode())], actor="ana")


def test_a_decision_with_requirements_asks_for_the_graphs_inputs_and_answers(visitor, drd):
    ana = visitor("ana").english()
    form = page(ana.get("/analyst/decisions/fee/1"))
    assert [field.get("name") for field in form.cssselect("form.decision-try [name]") if field.get("name") !=
            "_csrf"] == ["area"]  # category comes from the required decision
    assert "Requires the decisions category" in form.cssselect(".decision-requires")[0].text_content()
    answer = page(ana.post("/analyst/decisions/fee/1", {"area": "150"}))
    assert "250000" in answer.cssselect("table.decision-result")[0].text_content()
    (given,) = answer.cssselect("ul.decision-required-results li")
    assert " ".join(given.text_content().split()) == 'category: {"category": "large"}'
    assert [row.get("data-rule-id") for row in answer.cssselect("tr.rule-matched")] == ["r2"]


def test_a_literal_expression_is_tried_like_a_table_of_one_line(visitor, drd):
    ana = visitor("ana")
    form = page(ana.get("/analyst/decisions/fee_with_tax/1"))
    assert form.cssselect(".decision-literal") and "total" in form.cssselect(".decision-literal")[0].text_content()
    answer = page(ana.post("/analyst/decisions/fee_with_tax/1", {"area": "150"}))
    assert "275000" in answer.cssselect("table.decision-result")[0].text_content()


def test_a_requirement_in_another_file_of_the_deployment_is_shown_with_its_file(visitor, db, ctx):
    with db.transaction() as session:
        decisions.deploy(session, ctx, [SourceFile(name, data) for name, data in both()], actor="ana")
    ana = visitor("ana").english()
    form = page(ana.get("/analyst/decisions/fee/1"))
    (shown,) = form.cssselect("ul.decision-required-files li")
    assert " ".join(shown.text_content().split()) == \
        "category is in the file kategori.dmn, deployed with this one."
    answer = page(ana.post("/analyst/decisions/fee/1", {"area": "150"}))  # and tried, it is evaluated first
    assert "250000" in answer.cssselect("table.decision-result")[0].text_content()
    # a requirement inside the decision's own file is not listed as elsewhere
    assert not page(ana.get("/analyst/decisions/fee_with_tax/1")).cssselect("ul.decision-required-files")
