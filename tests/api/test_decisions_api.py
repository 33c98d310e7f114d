"""DMN files over HTTP: deployed with a diagram (field ``dmn``) or alone, versioned by key, and evaluated with
Camunda's ``POST /engine-rest/decision-definition/key/{key}/evaluate`` (typed variables in, typed results out)."""

from __future__ import annotations

import io

import orjson
from click.testing import CliRunner

from api.cli import main as cli
from tests.engine.test_business_rule_task import APPLY, FEE_TABLE, fee_service
from tests.engine.test_decision_requirements import HEAD as DMN_HEAD
from tests.engine.test_decisions import table_xml

EVALUATE = "/engine-rest/decision-definition/key/{}/evaluate"


def _upload(client, headers, *, bpmn: str | None = None, tables=((FEE_TABLE.name, FEE_TABLE.read_bytes()),),
            path: str = "/api/v1/definitions"):
    data = {"dmn": [(io.BytesIO(content), name) for name, content in tables]}
    if bpmn is not None:
        data["bpmn"] = [(io.BytesIO(bpmn.encode()), "izin_kapal.bpmn")]
        data["forms"] = [(io.BytesIO(orjson.dumps(APPLY["apply"])), "apply.json")]
    return client.post(path, headers=headers, data=data, content_type="multipart/form-data")


def _evaluate(client, headers, key: str, variables: dict):
    return client.post(EVALUATE.format(key), headers=headers, json={"variables": variables})


FEE_INPUTS = {"kapal": {"value": '{"gt": 45}', "type": "Json"}, "jenis_pemohon": {"value": "badan_usaha",
                                                                                   "type": "String"}}


def test_a_dmn_file_deployed_alone_is_evaluated_by_key_with_typed_variables(client, people):
    analyst = people.headers("analis")
    response = _upload(client, analyst)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["decisions"] == [
        {"key": "retribusi_kapal", "version": 1, "name": "Retribusi izin kapal perikanan", "hit_policy": "U"}]
    evaluated = _evaluate(client, analyst, "retribusi_kapal", FEE_INPUTS)
    assert evaluated.status_code == 200, evaluated.get_json()
    assert evaluated.get_json() == [{
        "retribusi": {"type": "Integer", "value": 750000, "valueInfo": {}},
        "keterangan": {"type": "String", "value": "Kapal 30-60 GT, badan usaha", "valueInfo": {}}}]
    assert _evaluate(client, analyst, "retribusi_kapal", {"kapal": {"value": '{"gt": 99}', "type": "Json"},
                                                          "jenis_pemohon": {"value": None, "type": "Null"}}
                     ).get_json()[0]["retribusi"]["value"] == 1_485_000
    described = client.get("/engine-rest/decision-definition/key/retribusi_kapal", headers=analyst).get_json()
    assert (described["key"], described["version"]) == ("retribusi_kapal", 1)


def test_redeploying_the_same_table_keeps_its_version_and_a_changed_one_is_the_next(client, people):
    analyst = people.headers("analis")
    first = table_xml([("n", "integer")], [("y", "string")], [(["< 3"], ['"small"'])], decision_id="size")
    second = table_xml([("n", "integer")], [("y", "string")], [(["< 5"], ['"small"'])], decision_id="size")
    assert _upload(client, analyst, tables=[("size.dmn", first.encode())]).get_json()["version"] == 1
    assert _upload(client, analyst, tables=[("size.dmn", first.encode())]).get_json()["version"] == 1
    assert _upload(client, analyst, tables=[("size.dmn", second.encode())]).get_json()["version"] == 2
    assert _evaluate(client, analyst, "size", {"n": {"value": 4, "type": "Integer"}}).get_json() == [
        {"y": {"type": "String", "value": "small", "valueInfo": {}}}]


def test_a_diagram_deployed_with_its_table_versions_the_decision_with_the_service(client, people):
    analyst = people.headers("analis")
    response = _upload(client, analyst, bpmn=fee_service())
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["key"] == "izin_kapal"
    assert _evaluate(client, analyst, "retribusi_kapal", FEE_INPUTS).status_code == 200


def test_unsupported_feel_is_refused_with_its_location_and_nothing_is_deployed(client, people):
    analyst = people.headers("analis")
    bad = table_xml([("n", "integer")], [("y", "string")], [(["-"], ['"a"']), (["n > 1 and n < 3"], ['"b"'])],
                    decision_id="bad")
    linted = _upload(client, analyst, tables=[("bad.dmn", bad.encode())], path="/api/v1/lint")
    assert linted.status_code == 200 and linted.get_json()["ok"] is False
    response = _upload(client, analyst, tables=[("bad.dmn", bad.encode())])
    assert response.status_code == 422
    (problem,) = response.get_json()["error"]["problems"]
    assert (problem["file"], problem["element_id"], problem["code"]) == ("bad.dmn", "r2", "decision_feel")
    assert _evaluate(client, analyst, "bad", {}).status_code == 404


def test_a_unique_table_with_two_matches_answers_400_naming_both_rules(client, people):
    analyst = people.headers("analis")
    overlap = table_xml([("n", "integer")], [("y", "integer")], [(["< 10"], ["1"]), (["< 20"], ["2"])],
                        decision_id="overlap")
    _upload(client, analyst, tables=[("overlap.dmn", overlap.encode())])
    response = _evaluate(client, analyst, "overlap", {"n": {"value": 5, "type": "Integer"}})
    assert response.status_code == 400
    assert response.get_json()["type"] == "InvalidRequestException"
    assert "rule 1 (r1) and rule 2 (r2)" in response.get_json()["message"]


def test_only_analysts_and_administrators_evaluate(client, people):
    _upload(client, people.headers("analis"))
    assert _evaluate(client, people.headers("admin"), "retribusi_kapal", FEE_INPUTS).status_code == 200
    assert _evaluate(client, people.headers("vera"), "retribusi_kapal", FEE_INPUTS).status_code == 403
    assert _evaluate(client, {}, "retribusi_kapal", FEE_INPUTS).status_code == 401


def test_lincah_deploy_picks_up_the_dmn_beside_the_diagram_and_deploys_a_dmn_alone(tmp_path, db):
    folder = tmp_path / "kapal"
    (folder / "forms").mkdir(parents=True)
    (folder / "izin_kapal.bpmn").write_text(fee_service())
    (folder / "forms" / "apply.json").write_bytes(orjson.dumps(APPLY["apply"]))
    (folder / FEE_TABLE.name).write_bytes(FEE_TABLE.read_bytes())
    alone = tmp_path / "size.dmn"
    alone.write_text(table_xml([("n", "integer")], [("y", "string")], [(["< 3"], ['"small"'])], decision_id="size"))
    env = {"LINCAH_DATABASE_URL": db.url, "LINCAH_INSTANCE_PATH": str(tmp_path / "instance")}
    runner = CliRunner()
    result = runner.invoke(cli, ["deploy", str(folder / "izin_kapal.bpmn")], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "deployed izin_kapal version 1" in result.output
    result = runner.invoke(cli, ["deploy", str(alone)], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "decision size version 1 (U)" in result.output


def test_lincah_lint_checks_a_dmn_file_as_decisions_not_as_a_diagram(tmp_path, db):
    """``lincah lint x.dmn`` locates the table's problems (rule, column) and says nothing of BPMN; a good table and
    the diagram that uses it lint clean together."""
    (tmp_path / "kapal").mkdir()
    good = tmp_path / "kapal" / FEE_TABLE.name
    good.write_bytes(FEE_TABLE.read_bytes())
    bad = tmp_path / "bad.dmn"
    bad.write_text(table_xml([("n", "integer")], [("y", "string")], [(["-"], ['"a"']), (["n > 1 and n < 3"], ['"b"'])],
                             decision_id="bad"))
    diagram = tmp_path / "kapal" / "izin_kapal.bpmn"
    diagram.write_text(fee_service())
    (tmp_path / "kapal" / "forms").mkdir()
    (tmp_path / "kapal" / "forms" / "apply.json").write_bytes(orjson.dumps(APPLY["apply"]))
    env = {"LINCAH_DATABASE_URL": db.url, "LINCAH_INSTANCE_PATH": str(tmp_path / "instance")}
    runner = CliRunner()
    result = runner.invoke(cli, ["lint", str(good)], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"{good}: read as DMN" in result.output and "BPMN" not in result.output
    result = runner.invoke(cli, ["lint", str(bad)], env=env, catch_exceptions=False)
    assert result.exit_code == 1
    assert f"{bad}:" in result.output and " r2: error: " in result.output and "BPMN" not in result.output
    assert "1 file(s): 0 deployable, 1 with errors" in result.output
    result = runner.invoke(cli, ["lint", str(diagram), str(good)], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "2 file(s): 2 deployable, 0 with errors" in result.output


def test_lincah_lint_finds_a_required_decision_deployed_before_as_lincah_deploy_does(tmp_path, db):
    """A table of a decision graph split over files requires one deployed before: ``lincah lint`` looks it up in the
    installation's database, as ``lincah deploy`` will, instead of calling it missing. Without a database it says
    it could not look, and creates none."""
    size = tmp_path / "size.dmn"
    size.write_text(table_xml([("n", "integer")], [("size", "string")], [(["< 3"], ['"small"'])], decision_id="size"))
    fee = tmp_path / "fee.dmn"
    fee.write_text(DMN_HEAD + """<decision id="fee_by_size" name="Tarif">
      <informationRequirement id="ir"><requiredDecision href="#size"/></informationRequirement>
      <decisionTable id="t"><input id="i" label="Ukuran"><inputExpression id="e" typeRef="string"><text>size</text>
      </inputExpression></input><output id="o" name="fee" typeRef="integer"/>
      <rule id="r1"><inputEntry id="c1"><text>"small"</text></inputEntry><outputEntry id="c2"><text>0</text>
      </outputEntry></rule></decisionTable></decision></definitions>""")
    env = {"LINCAH_DATABASE_URL": db.url, "LINCAH_INSTANCE_PATH": str(tmp_path / "instance")}
    runner = CliRunner()
    before = runner.invoke(cli, ["lint", str(fee)], env=env, catch_exceptions=False)
    assert before.exit_code == 1 and "requires '#size', which is no decision" in before.output
    assert runner.invoke(cli, ["deploy", str(size)], env=env, catch_exceptions=False).exit_code == 0
    after = runner.invoke(cli, ["lint", str(fee)], env=env, catch_exceptions=False)
    assert after.exit_code == 0, after.output
    assert "requires" not in after.output and "no Lincah database" not in after.output
    missing = tmp_path / "nowhere" / "lincah.db"
    offline = runner.invoke(cli, ["lint", str(fee)], env={**env, "LINCAH_DATABASE_URL": f"sqlite:///{missing}"},
                            catch_exceptions=False)
    assert offline.exit_code == 1 and "requires '#size'" in offline.output
    assert f"no Lincah database at sqlite:///{missing}" in offline.output
    assert not missing.exists()
