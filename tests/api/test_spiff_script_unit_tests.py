"""spiff-arena script unit tests run at lint and deploy, in the workflows' sandbox: a passing test is an info, a
failing one (wrong output, a script that raises, unreadable JSON) a located error that refuses the deploy — over
the API and from ``lincah lint``."""

from __future__ import annotations

import io

from click.testing import CliRunner

from api.cli import main as cli
from engine.bpmn import script_unit_tests
from tests.engine.test_spiff_models import spiff_diagram


def _unit_test(test_id: str, given: str, expected: str) -> str:
    return (f'<spiffworkflow:unitTest id="{test_id}"><spiffworkflow:inputJson>{given}</spiffworkflow:inputJson>'
            f"<spiffworkflow:expectedOutputJson>{expected}</spiffworkflow:expectedOutputJson>"
            "</spiffworkflow:unitTest>")


def _diagram(*tests: str, script: str = "biaya = luas * 1000 if luas &gt; 10 else 0") -> bytes:
    return spiff_diagram(f"""
<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="hitung"/>
<bpmn:scriptTask id="hitung" name="Hitung biaya"><bpmn:extensionElements><spiffworkflow:unitTests>
{"".join(tests)}
</spiffworkflow:unitTests></bpmn:extensionElements>
  <bpmn:script>{script}</bpmn:script></bpmn:scriptTask>
<bpmn:sequenceFlow id="f1" sourceRef="hitung" targetRef="e"/><bpmn:endEvent id="e" name="Selesai"/>""",
                         process_id="biaya_reklame").encode()


PASSING = (_unit_test("besar", '{"luas": 20}', '{"luas": 20, "biaya": 20000}'),
           _unit_test("kecil", "{'luas': 5}", "{'luas': 5, 'biaya': 0}"))  # spiff-arena's samples write dicts
WRONG = _unit_test("salah", '{"luas": 20}', '{"luas": 20, "biaya": 2000, "catatan": "x"}')


def _post(client, headers, path: str, bpmn: bytes):
    return client.post(path, headers=headers, data={"bpmn": (io.BytesIO(bpmn), "biaya_reklame.bpmn")},
                       content_type="multipart/form-data")


def test_passing_unit_tests_are_an_info_and_the_model_deploys(client, people):
    analyst = people.headers("analis")
    linted = _post(client, analyst, "/api/v1/lint", _diagram(*PASSING)).get_json()
    assert linted["ok"] is True, linted
    (passed,) = [p for p in linted["problems"] if p["code"] == "spiff_unit_tests_passed"]
    assert (passed["severity"], passed["element_id"]) == ("info", "hitung")
    assert passed["message"].startswith("2 ") and "(besar, kecil)" in passed["message"]
    deployed = _post(client, analyst, "/api/v1/definitions", _diagram(*PASSING))
    assert deployed.status_code == 201, deployed.get_json()


def test_a_failing_unit_test_is_a_located_error_and_the_deploy_is_refused(client, people):
    analyst = people.headers("analis")
    linted = _post(client, analyst, "/api/v1/lint", _diagram(*PASSING, WRONG)).get_json()
    assert linted["ok"] is False
    (failed,) = [p for p in linted["problems"] if p["code"] == "spiff_unit_test_failed"]
    assert (failed["severity"], failed["element_id"], failed["file"]) == ("error", "hitung", "biaya_reklame.bpmn")
    assert failed["line"] == 7  # the failing unitTest element, not the task
    assert "'salah'" in failed["message"]
    assert "biaya: expected 2000, got 20000" in failed["message"]
    assert 'catatan: expected "x", the script left none' in failed["message"]
    # The tests that pass are still said to pass.
    assert any(p["code"] == "spiff_unit_tests_passed" and "(besar, kecil)" in p["message"]
               for p in linted["problems"])
    refused = _post(client, analyst, "/api/v1/definitions", _diagram(*PASSING, WRONG))
    assert refused.status_code == 422
    assert [p["code"] for p in refused.get_json()["error"]["problems"] if p["severity"] == "error"] == \
        ["spiff_unit_test_failed"]
    assert client.get("/api/v1/definitions/biaya_reklame", headers=analyst).status_code == 404


def test_a_script_that_raises_or_breaks_the_sandbox_fails_its_test_with_its_message(client, people):
    analyst = people.headers("analis")
    raising = _diagram(_unit_test("tanpa_luas", "{}", '{"biaya": 0}'))
    problems = _post(client, analyst, "/api/v1/lint", raising).get_json()["problems"]
    (failed,) = [p for p in problems if p["code"] == "spiff_unit_test_failed"]
    assert "'tanpa_luas'" in failed["message"] and "NameError" in failed["message"] and "luas" in failed["message"]
    looping = _diagram(_unit_test("lama", '{"n": 1}', '{"n": 1}'), script="while True:\n    n = n + 1")
    response = _post(client, analyst, "/api/v1/lint", looping)
    assert response.status_code == 200
    (stopped,) = [p for p in response.get_json()["problems"] if p["code"] == "spiff_unit_test_failed"]
    assert "'lama'" in stopped["message"] and "time limit" in stopped["message"]


def test_unreadable_test_json_is_an_error_where_it_is_written(client, people):
    analyst = people.headers("analis")
    broken = _diagram(_unit_test("rusak", '{"luas": ', '{"biaya": 0}'), _unit_test("daftar", "[1]", "{}"))
    problems = _post(client, analyst, "/api/v1/lint", broken).get_json()["problems"]
    found = {p["message"].split("'")[1]: p for p in problems if p["code"] == "spiff_unit_test_json"}
    assert set(found) == {"rusak", "daftar"}
    assert found["rusak"]["severity"] == "error" and "spiffworkflow:inputJson" in found["rusak"]["message"]
    assert "it is a list" in found["daftar"]["message"]
    assert not [p for p in problems if p["code"] in ("spiff_unit_test_failed", "spiff_unit_tests_passed")]


def test_lincah_lint_prints_the_failing_test_located(db, tmp_path):
    path = tmp_path / "biaya_reklame.bpmn"
    path.write_bytes(_diagram(*PASSING, WRONG))
    env = {"LINCAH_DATABASE_URL": db.url, "LINCAH_INSTANCE_PATH": str(tmp_path / "instance")}
    result = CliRunner().invoke(cli, ["lint", str(path)], env=env)
    assert result.exit_code != 0
    assert f"{path}:7: hitung: error: Unit test 'salah' of 'Hitung biaya' (hitung) fails" in result.output


def test_differences_name_each_key_and_tell_numbers_from_flags():
    assert script_unit_tests.describe_differences({"a": 1, "b": True}, {"a": 1.0, "b": 1, "c": None}) == \
        "b: expected true, got 1; c: not expected, the script set null"
    assert script_unit_tests.describe_differences({"a": [1, {"x": 2}]}, {"a": [1, {"x": 2}]}) == ""
