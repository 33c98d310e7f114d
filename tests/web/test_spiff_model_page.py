"""An analyst deploys a zipped spiff-arena model folder from the services page, without script: a draft of one
service, or the problems listed, each with its file, line and element, in the page's language."""

from __future__ import annotations

import io

import pytest

from engine.storage.models import ServiceDefinition
from tests.api.test_spiff_model_upload import _model_zip, _zip
from tests.web.conftest import page, text_of
from tests.web.studio_support import studio_people  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("people", "studio_people")


def test_the_services_page_deploys_a_zipped_model_folder_as_a_draft(visitor, db):
    ana = visitor("ana")
    form = page(ana.get("/analyst/services")).cssselect("form[action='/analyst/models/deploy']")[0]
    assert form.get("enctype") == "multipart/form-data" and form.cssselect("input[type=file][name=model]")
    response = ana.post("/analyst/models/deploy", {"model": (io.BytesIO(_model_zip()), "izin_reklame.zip")})
    assert response.status_code == 302 and response.headers["Location"].endswith("/analyst/services/izin_reklame")
    assert "izin_reklame" in text_of(ana.get(response.headers["Location"]))
    with db.transaction() as session:
        (definition,) = session.query(ServiceDefinition).filter_by(key="izin_reklame").all()
        assert (definition.status, definition.deployed_by) == ("draft", "ana")


def test_a_refused_folder_lists_its_problems_in_the_page_language(visitor):
    ana = visitor("ana")
    response = ana.post("/analyst/models/deploy", {"model": (io.BytesIO(_zip({"../x.bpmn": b"<x/>"})), "z.zip")})
    assert response.status_code == 422
    (row,) = page(response).cssselect("table.problems tbody tr")
    assert "jalur di luar folder model" in row.text_content()  # Indonesian, the page's language
    missing = ana.post("/analyst/models/deploy", {})
    assert missing.status_code == 302


def test_only_analysts_deploy_model_folders(visitor, db):
    vera = visitor("vera")
    response = vera.post("/analyst/models/deploy", {"model": (io.BytesIO(_model_zip()), "izin_reklame.zip")})
    assert response.status_code in (302, 403)
    with db.transaction() as session:
        assert session.query(ServiceDefinition).filter_by(key="izin_reklame").count() == 0
