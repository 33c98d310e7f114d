"""GET /api/v1/definitions/{key}/diff: analysts, managers and admins read what changed between two versions."""

from __future__ import annotations

import pytest

from tests.engine.test_version_diff import deploy_both


@pytest.fixture
def two_versions(db, ctx, tmp_path):
    deploy_both(db, ctx, tmp_path)


def test_analysts_and_managers_read_the_diff(client, people, two_versions):
    for who in ("analis", "manajer"):
        response = client.get("/api/v1/definitions/research_permit/diff?from=1&to=2", headers=people.headers(who))
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert (body["key"], body["from_version"], body["to_version"]) == ("research_permit", 1, 2)
        assert [e["element_id"] for e in body["added"]] == ["Flow_Archived", "Task_Archive"]
        assert [c["element_id"] for c in body["changed"]] == ["Flow_Return", "Flow_SignApprove", "Task_Verify"]
        assert body["changed"][0]["changes"] == [
            {"field": "name", "before": "Kembalikan untuk perbaikan", "after": "Minta perbaikan"}]
        assert [(f["form_key"], f["fields_added"]) for f in body["forms"]] == [
            ("research_permit/verify", ["site_visit"])]
        assert body["removed"] == [] and body["process"] == []


def test_status_codes(client, people, two_versions):
    analyst = people.headers("analis")
    url = "/api/v1/definitions/{}/diff?{}"
    assert client.get(url.format("research_permit", "from=1&to=2")).status_code == 401
    officer = people.headers("rudi")
    assert client.get(url.format("research_permit", "from=1&to=2"), headers=officer).status_code == 403
    assert client.get(url.format("nope", "from=1&to=2"), headers=analyst).status_code == 404
    assert client.get(url.format("research_permit", "from=1&to=9"), headers=analyst).status_code == 404
    for query, name in (("from=x&to=2", "from"), ("from=1", "to"), ("from=0&to=2", "from"),
                        ("from=1&to=99999999999", "to"), ("to=2", "from")):
        response = client.get(url.format("research_permit", query), headers=analyst)
        assert response.status_code == 422, (query, response.get_json())
        assert name in str(response.get_json()["error"]["details"]), (query, response.get_json())


def test_the_diff_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    operation = paths["/api/v1/definitions/{key}/diff"]["get"]
    assert {p["name"] for p in operation["parameters"] if p["in"] == "query"} >= {"from", "to"}
