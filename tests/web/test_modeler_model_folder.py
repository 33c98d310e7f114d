"""The web modeler's model folder, as its script sends it (``/analyst/models/folder``): the folder's files (or its
zip) checked on opening with the primary diagram returned, checked again with the primary diagram as edited, and
deployed as one draft; a problem in another file of the folder names that file; the folder's bounds are refused by
name, never a 500 and never the application's smaller request limit."""

from __future__ import annotations

import io

import pytest

from api.web.views.model_upload import FOLDER_BODY_BYTES
from engine.services import model_folder
from engine.storage.models import ServiceDefinition
from tests.api.test_spiff_model_upload import _model_zip
from tests.engine.test_spiff_models import REKLAME
from tests.web.studio_support import studio_people  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("people", "studio_people")
FOLDER = "/analyst/models/folder"


def _files(**replace: bytes) -> list:
    """The izin_reklame folder as the browser sends it: one ``files`` part per file."""
    contents = {p.name: p.read_bytes() for p in sorted(REKLAME.iterdir())} | replace
    return [(io.BytesIO(content), name) for name, content in contents.items()]


def test_opening_a_folder_returns_its_primary_diagram_and_a_clean_lint(visitor):
    ana = visitor("ana")
    response = ana.post(FOLDER, {"action": "open", "folder": "izin_reklame", "files": _files()})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["primary"], body["ok"], body["flavour"], body["errors"]) == ("izin_reklame.bpmn", True, "spiff", 0)
    assert body["xml"] == (REKLAME / "izin_reklame.bpmn").read_text(encoding="utf-8")
    assert {"retribusi_reklame.bpmn", "tarif_reklame.dmn", "permohonan-schema.json"} <= set(body["files"])


def test_the_edited_primary_diagram_is_checked_and_a_problem_elsewhere_names_its_file(visitor):
    ana = visitor("ana")
    broken = (REKLAME / "izin_reklame.bpmn").read_bytes().replace(b"tarif_reklame</spiff", b"tarif_lain</spiff")
    body = ana.post(FOLDER, {"action": "lint", "folder": "izin_reklame", "files": _files(),
                             "primary": (io.BytesIO(broken), "izin_reklame.bpmn")}).get_json()
    assert body["ok"] is False and "xml" not in body
    assert any(p["element_id"] == "tentukan_tarif" and p["file"] == "izin_reklame.bpmn" and p["severity"] == "error"
               for p in body["problems"])
    called = (REKLAME / "retribusi_reklame.bpmn").read_bytes().replace(b"max(retribusi, 50000)",
                                                                       b"open('/etc/passwd').read()")
    other = ana.post(FOLDER, {"action": "lint", "folder": "izin_reklame",
                              "files": _files(**{"retribusi_reklame.bpmn": called})}).get_json()
    assert other["ok"] is False
    assert {p["file"] for p in other["problems"] if p["severity"] == "error"} == {"retribusi_reklame.bpmn"}


def test_the_folder_deploys_as_one_draft_with_the_edited_diagram(visitor, db):
    ana = visitor("ana")
    edited = (REKLAME / "izin_reklame.bpmn").read_bytes().replace(b'name="Izin Reklame"', b'name="Izin Reklame Baru"')
    response = ana.post(FOLDER, {"action": "deploy", "folder": "izin_reklame", "files": _files(),
                                 "primary": (io.BytesIO(edited), "izin_reklame.bpmn")})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["definition"]["key"], body["definition"]["status"], body["created"]) == ("izin_reklame", "draft", True)
    with db.transaction() as session:
        (definition,) = session.query(ServiceDefinition).filter_by(key="izin_reklame").all()
        assert b"Izin Reklame Baru" in definition.bpmn.encode()
        assert definition.bpmn_filename == "izin_reklame.bpmn" and definition.deployed_by == "ana"
        assert "retribusi_reklame.bpmn" in str(definition.extra_bpmn) and "permohonan" in str(definition.forms)


def test_a_zipped_folder_opens_the_same_way(visitor):
    body = visitor("ana").post(FOLDER, {"action": "open", "model": (io.BytesIO(_model_zip()), "izin_reklame.zip")})
    assert body.status_code == 200 and body.get_json()["primary"] == "izin_reklame.bpmn"


def test_the_folder_bounds_are_refused_by_name(visitor, monkeypatch):
    ana = visitor("ana")
    monkeypatch.setattr(model_folder, "MAX_FILES", 3)
    too_many = ana.post(FOLDER, {"folder": "izin_reklame", "files": _files()})
    assert too_many.status_code == 422
    assert [p["code"] for p in too_many.get_json()["problems"]] == ["folder_too_many"]
    monkeypatch.undo()

    big = b'{"title": "' + b"x" * model_folder.MAX_FILE_BYTES + b'"}'
    one_large = ana.post(FOLDER, {"folder": "izin_reklame", "files": _files(**{"besar-schema.json": big})})
    assert one_large.status_code == 422
    (problem,) = one_large.get_json()["problems"]
    assert (problem["code"], problem["file"]) == ("folder_file_too_large", "besar-schema.json")

    # More than the application's 16 MB request limit, less than the folder's body limit: the folder's own
    # refusal of its 20 MB, not "the upload is too large".
    part = b" " * (model_folder.MAX_FILE_BYTES - 1024)
    heavy = _files(**{f"bagian{i}-schema.json": part for i in range(5)})
    too_large = ana.post(FOLDER, {"folder": "izin_reklame", "files": heavy})
    assert too_large.status_code == 422
    assert [p["code"] for p in too_large.get_json()["problems"]] == ["folder_too_large"]


def test_not_a_model_and_not_an_analyst(visitor, db):
    ana = visitor("ana")
    none = ana.post(FOLDER, {"folder": "kosong", "files": [(io.BytesIO(b"{}"), "a.json")]})
    assert none.status_code == 422 and none.get_json()["problems"][0]["code"] == "model_no_bpmn"
    vera = visitor("vera")
    refused = vera.post(FOLDER, {"action": "deploy", "folder": "izin_reklame", "files": _files()})
    assert refused.status_code in (302, 403)
    with db.transaction() as session:
        assert session.query(ServiceDefinition).filter_by(key="izin_reklame").count() == 0


def test_a_body_over_the_folders_limit_is_refused_in_json_with_that_limit(visitor):
    files = [(io.BytesIO(b" " * (model_folder.MAX_FILE_BYTES - 1024)), f"b{i}-schema.json")
             for i in range(FOLDER_BODY_BYTES // model_folder.MAX_FILE_BYTES + 1)]
    response = visitor("ana").post(FOLDER, {"folder": "besar", "files": files})
    assert response.status_code == 413
    # The folder's own body limit (26 MB), not the application's 16 MB for single uploads.
    assert " 26 MB" in response.get_json()["message"] and response.get_json()["problems"] == []
