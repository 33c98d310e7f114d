"""Input values on the try-a-table page: a column that lists its allowed values (DMN ``inputValues``, Camunda
Modeler's predefined values) is offered as a select of exactly those values; a value outside them is refused by
the field, never evaluated; and a rule whose text is not one of them is refused at deploy on its cell."""

from __future__ import annotations

import pytest

from engine.bpmn.compiler import SourceFile
from engine.bpmn.dmn import read_files
from engine.bpmn.problems import ProblemList
from engine.services import decisions
from tests.conftest import PROJECT_ROOT
from tests.web.conftest import page
from tests.web.studio_support import studio_people  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("studio_people")

FEES = PROJECT_ROOT / "processes" / "retribusi_usaha_perikanan.dmn"
URL = "/analyst/decisions/retribusi_usaha_perikanan/1"


@pytest.fixture
def fees(db, ctx):
    with db.transaction() as session:
        decisions.deploy(session, ctx, [SourceFile(FEES.name, FEES.read_bytes())], actor="ana")


def test_a_column_with_input_values_is_a_select_of_those_values(visitor, fees):
    form = page(visitor("ana").get(URL))
    (select,) = form.cssselect("select[name=business_scale]")
    assert [option.get("value") for option in select.cssselect("option")] == [
        "", "mikro", "kecil", "menengah", "besar"]
    assert form.cssselect("input[name=fleet_gt]")  # a column without values is typed in


def test_a_listed_value_is_evaluated_and_one_outside_the_list_is_refused_by_its_field(visitor, fees):
    ana = visitor("ana")
    answer = page(ana.post(URL, {"business_scale": "kecil", "fleet_gt": "12"}))
    assert "300000" in answer.cssselect("table.decision-result")[0].text_content()
    assert [row.get("data-rule-id") for row in answer.cssselect("tr.rule-matched")] == ["Rule_SmallHeavy"]
    response = ana.post(URL, {"business_scale": "raksasa", "fleet_gt": "12"})
    assert response.status_code == 422
    refused = page(response)
    (message,) = refused.cssselect(".field.has-error .error-message")
    assert message.text_content().strip() == "Pilih salah satu nilai yang tersedia."
    assert refused.cssselect("table.decision-result") == []


def test_a_rule_text_outside_the_input_values_is_refused_on_its_cell():
    text = FEES.read_text(encoding="utf-8").replace(
        '<inputEntry id="Rule_Medium_Scale"><text>"menengah"</text>',
        '<inputEntry id="Rule_Medium_Scale"><text>"menegah"</text>')
    problems = ProblemList()
    read_files([(FEES.name, text.encode())], problems, 1_000_000)
    (problem,) = problems
    assert (problem.code, problem.element_id, problem.extra) == (
        "decision_feel", "Rule_Medium", {"cell_id": "Rule_Medium_Scale"})
    assert "'menegah' is not one of the column's input values ('mikro', 'kecil', 'menengah', 'besar')" \
        in problem.message
