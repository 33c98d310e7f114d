"""The analyst's decision tables: the deployed decisions listed with their version, hit policy and source; a page
per version showing the table (escaped) and trying it with typed inputs — the result, the rules that matched
highlighted, located errors (two UNIQUE matches named, a field that is no number) — and for analysts only."""

from __future__ import annotations

import pytest

from engine.bpmn.compiler import SourceFile
from engine.services import decisions
from tests.conftest import PROJECT_ROOT
from tests.web.conftest import page
from tests.web.studio_support import studio_people  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("studio_people")

VESSEL_FEES = PROJECT_ROOT / "tests" / "engine" / "dmn" / "retribusi_kapal.dmn"
# Two rules overlap between 10 and 20 m²: a UNIQUE table that cannot answer for 15. The description carries markup
# an analyst typed, which the page must show as text.
OVERLAPPING = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="Tarif" namespace="x">
  <decision id="tarif_bangunan" name="Tarif bangunan">
    <decisionTable id="t" hitPolicy="UNIQUE">
      <input id="i1" label="Luas"><inputExpression id="e1" typeRef="integer"><text>luas</text></inputExpression></input>
      <input id="i2" label="Komersial"><inputExpression id="e2" typeRef="boolean"><text>komersial</text>
      </inputExpression></input>
      <input id="i3" label="Sejak"><inputExpression id="e3" typeRef="date"><text>sejak</text></inputExpression></input>
      <output id="o1" name="tarif" typeRef="integer"/>
      <rule id="kecil"><description>&lt;b&gt;kecil&lt;/b&gt;</description>
        <inputEntry id="a1"><text>&lt;= 20</text></inputEntry><inputEntry id="a2"><text>-</text></inputEntry>
        <inputEntry id="a3"><text>-</text></inputEntry><outputEntry id="a4"><text>100</text></outputEntry></rule>
      <rule id="besar">
        <inputEntry id="b1"><text>&gt;= 10</text></inputEntry><inputEntry id="b2"><text>true</text></inputEntry>
        <inputEntry id="b3"><text>-</text></inputEntry><outputEntry id="b4"><text>500</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>
"""


@pytest.fixture
def tables(db, ctx):
    with db.transaction() as session:
        decisions.deploy(session, ctx, [SourceFile(VESSEL_FEES.name, VESSEL_FEES.read_bytes()),
                                        SourceFile("tarif.dmn", OVERLAPPING.encode())], actor="ana")


def _rows(response) -> dict[str, str]:
    return {row.get("data-rule-id"): row.get("class") or "" for row in
            page(response).cssselect("table.decision-table tbody tr")}


def test_the_list_shows_each_decision_with_version_hit_policy_and_source(visitor, tables):
    response = visitor("ana").english().get("/analyst/decisions")
    assert response.status_code == 200
    rows = {row.get("data-decision-key"): " ".join(row.text_content().split())
            for row in page(response).cssselect("table.decision-list tbody tr")}
    assert set(rows) == {"retribusi_kapal", "tarif_bangunan"}
    assert "Retribusi izin kapal perikanan" in rows["retribusi_kapal"] and " U " in f" {rows['retribusi_kapal']} "
    assert "file retribusi_kapal.dmn, deployed alone" in rows["retribusi_kapal"]


def test_trying_a_table_shows_the_result_and_highlights_the_matching_rule(visitor, tables):
    person = visitor("ana").english()
    shown = person.get("/analyst/decisions/retribusi_kapal/1")
    fields = {field.get("name"): field for field in page(shown).cssselect("form.decision-try input, select")
              if field.get("name") != "_csrf"}
    assert set(fields) == {"kapal.gt", "jenis_pemohon"}
    assert fields["kapal.gt"].get("inputmode") == "decimal"
    response = person.post("/analyst/decisions/retribusi_kapal/1", {"kapal.gt": "7", "jenis_pemohon": "nelayan_kecil"})
    assert response.status_code == 200
    result = page(response).cssselect("table.decision-result")[0].text_content()
    assert "25000" in result and "Tarif nelayan kecil 5-10 GT" in result
    matched = [rule for rule, classes in _rows(response).items() if "rule-matched" in classes]
    assert matched == ["DecisionRule_3sedang_nelayan"]


def test_a_unique_table_with_two_matches_names_both_rules_in_indonesian(visitor, tables):
    response = visitor("ana").post("/analyst/decisions/tarif_bangunan/1",
                                   {"luas": "15", "komersial": "true", "sejak": "2026-01-05"})
    failure = page(response).cssselect(".decision-failure")[0].text_content()
    assert "UNIQUE" in failure and "aturan 1 (kecil)" in failure and "aturan 2 (besar)" in failure
    assert [r for r, classes in _rows(response).items() if "rule-matched" in classes] == ["kecil", "besar"]
    # Only one rule matches a non-commercial building: then the table answers.
    answered = visitor("ana").post("/analyst/decisions/tarif_bangunan/1", {"luas": "15", "komersial": "false"})
    assert not page(answered).cssselect(".decision-failure")
    assert "100" in page(answered).cssselect("table.decision-result")[0].text_content()


def test_a_value_that_is_not_of_its_type_is_refused_at_its_field(visitor, tables):
    response = visitor("ana").english().post("/analyst/decisions/tarif_bangunan/1",
                                             {"luas": "lima belas", "sejak": "5 Januari"})
    assert response.status_code == 422
    errors = {field.getparent().cssselect("input, select")[0].get("name"): field.text_content()
              for field in page(response).cssselect(".field .error-message")}
    assert errors == {"luas": "Type a number, such as 1500000 or 2.5.", "sejak": "Type a date as YYYY-MM-DD."}
    assert not page(response).cssselect(".decision-outcome")


def test_what_an_analyst_wrote_in_a_table_is_shown_as_text(visitor, tables):
    response = visitor("ana").get("/analyst/decisions/tarif_bangunan/1")
    assert "&lt;b&gt;kecil&lt;/b&gt;" in response.get_data(as_text=True)
    assert not page(response).cssselect("table.decision-table b")


def test_only_analysts_open_the_decision_pages(visitor, tables):
    assert visitor("mira").get("/analyst/decisions").status_code == 403
    assert visitor("mira").post("/analyst/decisions/tarif_bangunan/1", {"luas": "15"}).status_code == 403
    assert visitor().get("/analyst/decisions").status_code == 302
    assert visitor("ana").get("/analyst/decisions/tarif_bangunan/9").status_code == 404
