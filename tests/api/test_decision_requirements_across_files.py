"""A decision requiring one that another DMN file of the same deployment holds (Camunda 7 resolves requirements only
inside one file; Lincah also across the files deployed together, when the id is unique among them): deployed, the
required decision is evaluated first — by key over ``/engine-rest``, by a business rule task, in a spiff-arena model
folder — and each version keeps the text of its own file. A requirement that names no decision of the deployment,
or an id two files hold, is refused with 422 naming the file, the decision and the href (or both files)."""

from __future__ import annotations

import shutil

import pytest

from engine.bpmn.compiler import SourceFile
from engine.bpmn.dmn import read_deployment
from engine.bpmn.problems import ProblemList
from engine.casework import applications, tasks
from engine.decisions.model import Decision
from engine.errors import InvalidDefinition
from engine.services import decisions, definitions, model_folder
from tests.api.test_decisions_api import _evaluate, _upload
from tests.engine.conftest import APPLICANT, open_task_rows
from tests.engine.test_business_rule_task import data_at_review, deploy_with, fee_service, start
from tests.engine.test_decision_requirements import CATEGORY, DRD, FEE, HEAD, TOTAL
from tests.engine.test_spiff_models import REKLAME, data_of

KATEGORI_NS = "http://dpmptsp.example.go.id/dmn/kategori"
# kategori.dmn: the category of a building by its area; tarif.dmn: the fee by that category, and the fee with tax
KATEGORI = HEAD.replace('id="defs"', 'id="kategori"').replace("http://camunda.org/schema/1.0/dmn", KATEGORI_NS) \
    + CATEGORY + "</definitions>\n"


def tarif(required: str = "#category") -> str:
    return HEAD + FEE.format(required="{required}").replace('href="#{required}"', f'href="{required}"') + TOTAL \
        + "</definitions>\n"


def both(required: str = "#category") -> list[tuple[str, bytes]]:
    """The requiring file first: the order of the files does not matter."""
    return [("tarif.dmn", tarif(required).encode()), ("kategori.dmn", KATEGORI.encode())]


def _read(files: list[tuple[str, bytes]]):
    problems = ProblemList()
    return read_deployment(files, problems, 1_000_000), problems


def _integer(value: int) -> dict:
    return {"value": value, "type": "Integer"}


def test_deployed_together_the_required_decision_of_the_other_file_feeds_the_requiring_one(client, people):
    analyst = people.headers("analis")
    response = _upload(client, analyst, tables=both())
    assert response.status_code == 201, response.get_json()
    assert sorted(item["key"] for item in response.get_json()["decisions"]) == ["category", "fee", "fee_with_tax"]
    # category (kategori.dmn) gives "large" for 150 m², which tarif.dmn's fee table turns into 250000
    assert _evaluate(client, analyst, "fee", {"area": _integer(150)}).get_json() == [
        {"fee": {"type": "Integer", "value": 250000, "valueInfo": {}}}]
    assert _evaluate(client, analyst, "fee", {"area": _integer(50)}).get_json()[0]["fee"]["value"] == 0
    assert _evaluate(client, analyst, "fee_with_tax", {"area": _integer(150)}).get_json() == [
        {"total": {"type": "Integer", "value": 275000, "valueInfo": {}}}]
    # each version keeps the file it is in (the table editor opens that file)
    resources = {key: client.get(f"/engine-rest/decision-definition/key/{key}", headers=analyst).get_json()
                 ["resource"] for key in ("category", "fee")}
    assert resources == {"category": "kategori.dmn", "fee": "tarif.dmn"}


def test_a_business_rule_task_evaluates_the_graph_across_files(db, ctx):
    deploy_with(db, ctx, fee_service("singleEntry", "total", "fee_with_tax"), both(),
                forms={"apply": {"type": "object", "properties": {"area": {"type": "integer"}}}})
    assert data_at_review(db, ctx, start(db, ctx, {"area": 120}))["total"] == 275000
    assert data_at_review(db, ctx, start(db, ctx, {"area": 80}))["total"] == 0
    with db.transaction() as session:  # versioned with the service, each with the text of its own file
        stored = {key: decisions.latest(session, key) for key in ("category", "fee", "fee_with_tax")}
        assert {key: (row.filename, row.service_key) for key, row in stored.items()} == {
            "category": ("kategori.dmn", "izin_kapal"), "fee": ("tarif.dmn", "izin_kapal"),
            "fee_with_tax": ("tarif.dmn", "izin_kapal")}
        assert 'id="category"' in stored["category"].dmn and 'id="category"' not in stored["fee"].dmn


def test_a_requirement_no_file_of_the_deployment_holds_is_refused_naming_file_decision_and_href(client, people):
    analyst = people.headers("analis")
    response = _upload(client, analyst, tables=[("tarif.dmn", tarif().encode())])
    assert response.status_code == 422, response.get_json()
    (problem,) = response.get_json()["error"]["problems"]
    assert (problem["code"], problem["file"], problem["element_id"]) == ("decision_requirement_missing",
                                                                         "tarif.dmn", "fee")
    assert problem["line"] and "'#category'" in problem["message"] and "tarif.dmn" in problem["message"]
    assert "'#category'" in problem["message_id"]
    assert _evaluate(client, analyst, "fee_with_tax", {"area": _integer(150)}).status_code == 404
    # the lint says the same, without deploying
    linted = _upload(client, analyst, tables=[("tarif.dmn", tarif().encode())], path="/api/v1/lint")
    assert linted.get_json()["ok"] is False
    assert [p["code"] for p in linted.get_json()["problems"]] == ["decision_requirement_missing"]


def test_a_diagram_whose_table_requires_a_missing_decision_is_refused_too(client, people):
    response = _upload(client, people.headers("analis"), bpmn=fee_service(decision="fee"),
                       tables=[("tarif.dmn", tarif().encode())])
    assert response.status_code == 422, response.get_json()
    codes = {(p["code"], p["file"], p.get("element_id")) for p in response.get_json()["error"]["problems"]}
    assert ("decision_requirement_missing", "tarif.dmn", "fee") in codes


def test_an_id_two_files_hold_is_refused_naming_both_files(client, people):
    analyst = people.headers("analis")
    doubled = HEAD + CATEGORY.replace('"small"', '"kecil"') + FEE.format(required="category") + "</definitions>\n"
    response = _upload(client, analyst, tables=[("kategori.dmn", KATEGORI.encode()), ("tarif.dmn", doubled.encode())])
    assert response.status_code == 422, response.get_json()
    problems = {p["code"]: p for p in response.get_json()["error"]["problems"]}
    assert set(problems) == {"decision_duplicate", "decision_requirement_ambiguous"}
    duplicate, ambiguous = problems["decision_duplicate"], problems["decision_requirement_ambiguous"]
    assert (duplicate["file"], duplicate["element_id"]) == ("tarif.dmn", "category")
    assert "kategori.dmn" in duplicate["message"] and "tarif.dmn" in duplicate["message"]
    assert (ambiguous["file"], ambiguous["element_id"]) == ("tarif.dmn", "fee")
    assert "'#category'" in ambiguous["message"] and "kategori.dmn and tarif.dmn" in ambiguous["message"]
    assert _evaluate(client, analyst, "category", {"area": _integer(1)}).status_code == 404


@pytest.mark.parametrize("href", ["#category", f"{KATEGORI_NS}#category", "kategori.dmn#category"])
def test_an_href_may_name_the_other_file_or_its_namespace(href):
    linked, problems = _read(both(href))
    assert list(problems) == []
    assert linked.files == {"fee": "tarif.dmn", "fee_with_tax": "tarif.dmn", "category": "kategori.dmn"}
    assert linked.decisions["fee"].required_files == {"category": "kategori.dmn"}
    assert linked.decisions["fee_with_tax"].required_files == {}  # fee is in its own file


def test_an_href_naming_another_namespace_is_refused():
    linked, problems = _read(both("http://elsewhere.example/dmn#category"))
    (problem,) = problems
    assert (problem.code, problem.file, problem.element_id) == ("decision_requirement_missing", "tarif.dmn", "fee")
    assert "is in kategori.dmn, whose name and namespace are not 'http://elsewhere.example/dmn'" in problem.message
    assert set(linked.decisions) == {"category"}  # and what requires fee falls with it


def test_a_required_decision_that_cannot_be_read_is_named_with_its_file():
    broken = KATEGORI.replace("&lt; 100", "&lt; 100 and &gt; 3")
    linked, problems = _read([("tarif.dmn", tarif().encode()), ("kategori.dmn", broken.encode())])
    codes = [(p.code, p.file, p.element_id) for p in problems]
    assert ("decision_requirement_missing", "tarif.dmn", "fee") in codes
    problem = next(p for p in problems if p.code == "decision_requirement_missing")
    assert "which is in kategori.dmn but cannot be evaluated" in problem.message
    assert linked.decisions == {}


def test_a_cycle_through_two_files_is_refused():
    other = HEAD.replace('id="defs"', 'id="kategori"') + CATEGORY.replace(
        '<decisionTable id="t2">', '<informationRequirement id="ir9"><requiredDecision href="#fee"/>'
        '</informationRequirement><decisionTable id="t2">') + "</definitions>\n"
    linked, problems = _read([("tarif.dmn", tarif().encode()), ("kategori.dmn", other.encode())])
    assert [p.code for p in problems] == ["decision_requirement_cycle"]
    assert "fee → category → fee" in problems[0].message
    assert linked.decisions == {}


def test_a_stored_version_keeps_where_its_requirements_are_and_a_one_file_graph_its_hash():
    linked, _ = _read(both())
    stored = Decision.from_dict(linked.decisions["fee"].to_dict())
    assert stored.required_files == {"category": "kategori.dmn"} and stored.required[0].id == "category"
    (one_file, _) = _read([("tarif.dmn", DRD.encode())])
    # a graph in one file is stored as before this feature: the same table keeps its version
    assert "required_files" not in one_file.decisions["fee"].to_dict()


def test_dmn_files_deployed_alone_together_by_the_service(db, ctx):
    with db.transaction() as session:
        rows = decisions.deploy(session, ctx, [SourceFile(name, data) for name, data in both()], actor="ana")
        assert {row.key: row.filename for row in rows} == {"category": "kategori.dmn", "fee": "tarif.dmn",
                                                            "fee_with_tax": "tarif.dmn"}
    # tarif.dmn alone again: category is taken as deployed (its latest version), not redeployed
    with db.transaction() as session:
        again = decisions.deploy(session, ctx, [SourceFile("tarif.dmn", tarif().encode())], actor="ana")
        assert sorted(row.key for row in again) == ["fee", "fee_with_tax"]
        assert [row.version for row in again] == [1, 1]  # the same tables: their versions are kept
    with db.transaction() as session, pytest.raises(InvalidDefinition):  # with no category deployed it is refused
        decisions.deploy(session, ctx, [SourceFile("tarif.dmn", tarif("#kategori_lain").encode())], actor="ana")


# jenis_reklame.dmn: an applicant's word for the kind of sign, made the word tarif_reklame.dmn's table knows
JENIS = HEAD.replace('id="defs"', 'id="jenis"') + """<decision id="jenis_baku" name="Jenis reklame baku">
  <decisionTable id="tj" hitPolicy="FIRST"><input id="ij" label="Jenis"><inputExpression id="ej" typeRef="string">
  <text>jenis</text></inputExpression></input><output id="oj" name="jenis" typeRef="string"/>
  <rule id="rj1"><inputEntry id="cj1"><text>"billboard"</text></inputEntry><outputEntry id="cj2"><text>"baliho"</text>
  </outputEntry></rule>
  <rule id="rj2"><inputEntry id="cj3"><text>-</text></inputEntry><outputEntry id="cj4"><text>jenis</text>
  </outputEntry></rule></decisionTable>
</decision></definitions>
"""


def test_a_model_folder_table_requires_a_decision_of_a_sibling_dmn_file(db, ctx, tmp_path):
    folder = tmp_path / "izin_reklame"
    shutil.copytree(REKLAME, folder)
    table = folder / "tarif_reklame.dmn"
    table.write_text(table.read_text().replace(
        '<decisionTable id="DecisionTable_tarif"', '<informationRequirement id="ir_jenis"><requiredDecision '
        'href="#jenis_baku"/></informationRequirement><decisionTable id="DecisionTable_tarif"'))
    (folder / "jenis_reklame.dmn").write_text(JENIS)
    form = folder / "permohonan-schema.json"  # the applicant may now write the English word
    form.write_text(form.read_text().replace('"enum": ["papan", "baliho"]', '"enum": ["papan", "baliho", "billboard"]'))
    model = model_folder.from_directory(folder)
    with db.transaction() as session:
        definitions.deploy(session, ctx, model.main, model.supporting, model.forms, actor="analyst")
        instance = applications.start(session, ctx, service="izin_reklame", data={}, actor=APPLICANT)
        (apply,) = open_task_rows(session, instance.id)
    with db.transaction() as session:
        tasks.complete(session, ctx, apply.id, APPLICANT, {"lokasi": "Jl. Sam Ratulangi 1", "jenis": "billboard",
                                                           "luas": 4})
    # "billboard" is no rule of the fee table: the sibling file's decision made it "baliho" first
    assert data_of(db, ctx, instance.id, "verifikasi_lapangan")["tarif_per_m2"] == 10000
    (folder / "jenis_reklame.dmn").unlink()  # without the sibling file: refused, naming the file and the href
    model = model_folder.from_directory(folder)
    with db.transaction() as session, pytest.raises(InvalidDefinition) as refused:
        definitions.deploy(session, ctx, model.main, model.supporting, model.forms, actor="analyst")
    problem = next(p for p in refused.value.problems if p["code"] == "decision_requirement_missing")
    assert problem["file"].endswith("tarif_reklame.dmn") and problem["element_id"] == "tarif_reklame"
    assert "'#jenis_baku'" in problem["message"]


def test_a_table_deployed_alone_takes_a_required_decision_deployed_before(client, people):
    """An analyst changes one table of a graph split over files (the table editor deploys that file alone): the
    decision it requires is taken as deployed, its latest version, and only the changed table gets a version."""
    analyst = people.headers("analis")
    assert _upload(client, analyst, tables=both()).status_code == 201
    linted = _upload(client, analyst, tables=[("tarif.dmn", tarif().encode())], path="/api/v1/lint").get_json()
    assert linted["ok"] is True, linted["problems"]  # lint reads it as the deploy does
    cheaper = tarif().replace("250000", "200000").encode()
    response = _upload(client, analyst, tables=[("tarif.dmn", cheaper)])
    assert response.status_code == 201, response.get_json()
    made = {(item["key"], item["version"]) for item in response.get_json()["decisions"]}
    assert made == {("fee", 2), ("fee_with_tax", 2)}  # category is not redeployed: it stays at version 1
    assert _evaluate(client, analyst, "fee", {"area": _integer(150)}).get_json()[0]["fee"]["value"] == 200000
    # A later version of the required decision is what a table deployed alone after it takes.
    bigger = KATEGORI.replace("&lt; 100", "&lt; 200").replace("&gt;= 100", "&gt;= 200")  # 150 m² is now small
    assert _upload(client, analyst, tables=[("kategori.dmn", bigger.encode())]).status_code == 201
    assert _evaluate(client, analyst, "fee", {"area": _integer(150)}).get_json()[0]["fee"]["value"] == 200000
    again = _upload(client, analyst, tables=[("tarif.dmn", tarif().encode())])
    assert again.status_code == 201, again.get_json()
    assert _evaluate(client, analyst, "fee", {"area": _integer(150)}).get_json()[0]["fee"]["value"] == 0


def test_a_required_decision_never_deployed_is_still_refused_when_deployed_alone(client, people):
    analyst = people.headers("analis")
    assert _upload(client, analyst, tables=[("kategori.dmn", KATEGORI.encode())]).status_code == 201
    broken = tarif("#kategori_tidak_ada").encode()
    response = _upload(client, analyst, tables=[("tarif.dmn", broken)])
    assert response.status_code == 422
    assert [p["code"] for p in response.get_json()["error"]["problems"]] == ["decision_requirement_missing"]
    assert "deployed before" in response.get_json()["error"]["problems"][0]["message"]
