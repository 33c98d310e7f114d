"""An analyst's words reach the manager's pages as data, never as markup: a service named to close the page's data
block and open a script of its own is shown as its name, and the chart still reads it back (issue 14, stored XSS
analyst → manager/admin)."""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

import orjson
import pytest

from engine.bpmn.compiler import SourceFile
from engine.services import definitions
from tests.conftest import PROJECT_ROOT
from tests.web.conftest import page
from tests.web.studio_support import seed_history, studio_people  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("deployed", "studio_people")
HOSTILE = "Layanan </script><script>alert(1)</script>"


@pytest.fixture
def hostile_name(db, ctx, clock):
    """A known SLA history, then a new version of the research permit that an analyst named ``HOSTILE``."""
    seed_history(db, ctx, clock)
    path = PROJECT_ROOT / "processes" / "research_permit.bpmn"
    xml = path.read_text(encoding="utf-8").replace('"Izin Penelitian"', quoteattr(HOSTILE))
    with db.transaction() as session:
        result = definitions.deploy(session, ctx, SourceFile(path.name, xml.encode()), [],
                                    definitions.form_source(ctx, path), actor="ana")
    assert result.created and result.definition.version == 2
    return HOSTILE


def _data_block(response, block_id: str):
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "</script><script>" not in body and "<script>alert(1)" not in body
    (block,) = page(response).cssselect(f"script#{block_id}")
    assert block.get("type") == "application/json"
    return block.text_content()


def test_a_service_named_like_a_script_stays_data_on_the_dashboard(visitor, hostile_name):
    response = visitor("mira").get("/manager?month=2026-06")
    block = _data_block(response, "trend-data")
    assert "Layanan \\u003c/script\\u003e\\u003cscript\\u003e" in block  # escaped inside the JSON string
    trend = orjson.loads(block)
    assert hostile_name in [series["label"] for series in trend["series"]]
    assert hostile_name in page(response).text_content()  # the tables show the name as text


def test_a_service_named_like_a_script_stays_data_on_the_services_heatmap(visitor, hostile_name):
    response = visitor("mira").get("/manager/services/research_permit?month=2026-06")
    config = orjson.loads(_data_block(response, "heatmap-config"))
    assert config["xml_url"] == "/services/research_permit/2/diagram.bpmn"
    assert config["steps"]["Task_Verify"]["level"] == "poor"
    assert hostile_name in page(response).cssselect("h1")[0].text_content()
