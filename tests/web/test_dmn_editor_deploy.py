"""The table editor deploys the file it edits alone: a table of a requirements graph split over files takes the
decisions it requires as deployed (their latest versions), so changing one table does not mean uploading them all."""

from __future__ import annotations

import io

import pytest

from engine.bpmn.compiler import SourceFile
from engine.services import decisions
from tests.api.test_decision_requirements_across_files import KATEGORI, tarif
from tests.web.studio_support import studio_people  # noqa: F401 - fixture (the analyst "ana")

pytestmark = pytest.mark.usefixtures("studio_people")


def test_the_editor_deploys_one_table_of_a_graph_split_over_files(visitor, db, ctx):
    with db.transaction() as session:
        decisions.deploy(session, ctx, [SourceFile("kategori.dmn", KATEGORI.encode()),
                                        SourceFile("tarif.dmn", tarif().encode())], actor="ana")
    analyst = visitor("ana")
    cheaper = tarif().replace("250000", "200000").encode()
    answer = analyst.post("/analyst/decisions/deploy", {"dmn": (io.BytesIO(cheaper), "tarif.dmn")})
    assert answer.status_code == 200, answer.get_json()
    assert {(item["key"], item["version"]) for item in answer.get_json()["decisions"]} == {
        ("fee", 2), ("fee_with_tax", 2)}
    with db.transaction() as session:
        assert decisions.latest(session, "category").version == 1
        assert decisions.evaluate_latest(session, "fee", {"area": 150}) == [{"fee": 200000}]
