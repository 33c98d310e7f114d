"""Every error has one shape; the OpenAPI document and the docs page work without the internet."""

from __future__ import annotations

import logging
import re

from api import create_app


def _shape(response) -> dict:
    body = response.get_json()
    assert set(body) == {"error"} and {"code", "message", "details"} <= set(body["error"])
    assert body["error"]["message"]
    return body["error"]


def test_unknown_route_and_wrong_method(client):
    assert _shape(client.get("/api/v1/nothing-here"))["code"] == "not_found"
    response = client.delete("/api/v1/services")
    assert response.status_code == 405 and _shape(response)["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_malformed_json_is_400_and_wrong_content_type_is_415(client, people):
    headers = {**people.headers("andi"), "Content-Type": "application/json"}
    bad = client.post("/api/v1/applications", headers=headers, data=b'{"service": ')
    assert bad.status_code == 400 and _shape(bad)["code"] == "bad_request"
    form = client.post("/api/v1/auth/token", data={"username": "a", "password": "b"})
    assert form.status_code == 415 and _shape(form)["code"] == "unsupported_media_type"
    text = client.post("/api/v1/auth/register", data="username=a", content_type="text/plain")
    assert text.status_code == 415


def test_unknown_fields_are_422_per_field(client):
    response = client.post("/api/v1/auth/token", json={"username": "a", "password": "b", "admin": True})
    assert response.status_code == 422 and _shape(response)["details"] == {"admin": "Unknown field."}


def test_an_unexpected_failure_is_a_generic_500_with_a_reference_and_no_traceback(db, ctx, caplog):
    app = create_app({"TESTING": True}, context=ctx, session_factory=db.factory)

    def boom():
        raise RuntimeError("secret internal detail")

    app.add_url_rule("/api/v1/boom", view_func=boom)
    with caplog.at_level(logging.ERROR, logger="lincah.api"):
        response = app.test_client().get("/api/v1/boom")
    assert response.status_code == 500
    error = _shape(response)
    assert error["code"] == "internal_error" and "secret" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    reference = error["details"]["reference"]
    assert any(reference in r.getMessage() and r.exc_info for r in caplog.records)


def test_openapi_document_describes_every_endpoint_with_its_security(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.") and spec["info"]["title"] == "Lincah"
    paths = spec["paths"]
    expected = {
        ("get", "/api/v1/services"), ("get", "/api/v1/services/{key}"), ("post", "/api/v1/definitions"),
        ("post", "/api/v1/lint"), ("get", "/api/v1/definitions"), ("get", "/api/v1/definitions/{key}"),
        ("get", "/api/v1/definitions/{key}/{version}/bpmn"), ("post", "/api/v1/definitions/{key}/{version}/publish"),
        ("post", "/api/v1/applications"), ("get", "/api/v1/applications"),
        ("get", "/api/v1/applications/{application_id}"), ("post", "/api/v1/applications/{application_id}/cancel"),
        ("get", "/api/v1/tasks"), ("get", "/api/v1/tasks/{task_id}"), ("post", "/api/v1/tasks/{task_id}/claim"),
        ("post", "/api/v1/tasks/{task_id}/unclaim"), ("post", "/api/v1/tasks/{task_id}/assign"),
        ("post", "/api/v1/tasks/{task_id}/complete"), ("post", "/api/v1/auth/token"),
        ("post", "/api/v1/auth/register"), ("get", "/api/v1/users"), ("post", "/api/v1/users"),
        ("patch", "/api/v1/users/{username}"), ("post", "/api/v1/users/{username}/password"),
        ("post", "/api/v1/attachments"), ("get", "/api/v1/attachments/{attachment_id}"),
    }
    assert expected <= {(m, p) for p, ops in paths.items() for m in ops}
    assert "security" not in paths["/api/v1/services"]["get"]
    assert paths["/api/v1/tasks"]["get"]["security"] == [{"bearerAuth": []}]
    assert "multipart/form-data" in paths["/api/v1/definitions"]["post"]["requestBody"]["content"]
    inbox_params = {p["name"] for p in paths["/api/v1/tasks"]["get"]["parameters"]}
    assert {"service", "state", "assignee", "sla", "q", "sort", "limit", "cursor", "offset"} <= inbox_params


def test_docs_page_loads_its_scripts_from_this_server_only(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/api/v1/docs/assets/") for s in sources)
    assert "/api/v1/openapi.json" in html
    for source in sources:
        asset = client.get(source)
        assert asset.status_code == 200 and len(asset.data) > 1000
        asset.close()
