"""A spiff-arena model folder deploys over HTTP as one zip and from ``lincah deploy FOLDER``; lint says the flavour
it read; a hostile zip is a 422 with the entry named, never a 500 and never a file written outside."""

from __future__ import annotations

import io
import zipfile

from click.testing import CliRunner

from api.cli import main as cli
from engine.services import model_folder
from tests.engine.test_spiff_models import REKLAME


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _model_zip(**replace: bytes) -> bytes:
    return _zip({**{p.name: p.read_bytes() for p in sorted(REKLAME.iterdir())}, **replace})


def _post(client, headers, path: str, data: bytes, name: str = "izin_reklame.zip"):
    return client.post(path, headers=headers, data={"model": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_a_zipped_model_folder_deploys_as_one_service_and_starts(client, people):
    analyst = people.headers("analis")
    response = _post(client, analyst, "/api/v1/definitions?publish=true", _model_zip())
    assert response.status_code == 201, response.get_json()
    assert (response.get_json()["key"], response.get_json()["status"]) == ("izin_reklame", "published")
    versions = client.get("/api/v1/definitions/izin_reklame", headers=analyst).get_json()
    assert [(v["version"], v["bpmn_filename"]) for v in versions] == [(1, "izin_reklame.bpmn")]
    again = _post(client, analyst, "/api/v1/definitions?publish=true", _model_zip())
    assert (again.status_code, again.get_json()["created"]) == (200, False)


def test_lint_says_the_flavour_and_locates_a_problem_inside_the_folder(client, people):
    analyst = people.headers("analis")
    ok = _post(client, analyst, "/api/v1/lint", _model_zip()).get_json()
    assert (ok["ok"], ok["flavour"], ok["key"]) == (True, "spiff", "izin_reklame")
    broken = (REKLAME / "izin_reklame.bpmn").read_bytes().replace(b"tarif_reklame</spiff", b"tarif_lain</spiff")
    bad = _post(client, analyst, "/api/v1/lint", _model_zip(**{"izin_reklame.bpmn": broken})).get_json()
    assert bad["ok"] is False
    assert any(p["element_id"] == "tentukan_tarif" and p["file"] == "izin_reklame.bpmn" for p in bad["problems"])


def test_a_hostile_zip_is_a_422_naming_the_entry(client, people):
    analyst = people.headers("analis")
    traversal = _post(client, analyst, "/api/v1/definitions", _zip({"../../etc/cron.d/x.bpmn": b"<x/>"}))
    assert traversal.status_code == 422
    assert [p["code"] for p in traversal.get_json()["error"]["problems"]] == ["zip_path"]
    assert "../../etc/cron.d/x.bpmn" in traversal.get_json()["error"]["problems"][0]["message"]
    # A zip bomb: a few KB that inflate past the limit of one file.
    bomb = _post(client, analyst, "/api/v1/definitions",
                 _zip({"bomb.json": b"\0" * (model_folder.MAX_FILE_BYTES + 1)}))
    assert bomb.status_code == 422 and bomb.get_json()["error"]["problems"][0]["code"] == "zip_entry_too_large"
    garbage = _post(client, analyst, "/api/v1/definitions", b"PK\x03\x04 not really a zip")
    assert garbage.status_code == 422 and garbage.get_json()["error"]["problems"][0]["code"] == "zip_invalid"


def test_lincah_deploy_and_lint_take_a_model_folder_as_one_service(db, tmp_path):
    env = {"LINCAH_DATABASE_URL": db.url, "LINCAH_INSTANCE_PATH": str(tmp_path / "instance")}
    runner = CliRunner()
    linted = runner.invoke(cli, ["lint", str(REKLAME.parent)], env=env)
    assert linted.exit_code == 0, linted.output
    assert f"{REKLAME}: model folder, service izin_reklame from izin_reklame.bpmn; read as spiff BPMN" \
        in linted.output
    deployed = runner.invoke(cli, ["deploy", str(REKLAME)], env=env)
    assert deployed.exit_code == 0, deployed.output
    assert "deployed izin_reklame version 1 (published)" in deployed.output
    assert "retribusi_reklame" not in deployed.output.split("[")[0]  # the called file is part of it, not a service


def test_a_diagram_of_a_model_folder_given_alone_is_linted_with_its_folder(db, tmp_path):
    env = {"LINCAH_DATABASE_URL": db.url, "LINCAH_INSTANCE_PATH": str(tmp_path / "instance")}
    result = CliRunner().invoke(cli, ["lint", str(REKLAME / "izin_reklame.bpmn")], env=env)
    assert result.exit_code == 0, result.output  # alone, its forms and the file it calls would be missing
    assert f"{REKLAME}: model folder, service izin_reklame" in result.output
