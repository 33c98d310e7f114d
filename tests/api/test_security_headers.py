"""Every answer tells the browser what it may run, frame and sniff (issue 14: no CSP, no frame protection, no
Referrer-Policy): the pages, the API's JSON, its errors and the Swagger UI page; HSTS only on an https installation."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import replace

import pytest

from api import create_app
from engine.context import EngineContext

PAGE_DIRECTIVES = {
    "default-src": ["'self'"], "script-src": ["'self'"], "style-src": ["'self'"], "img-src": ["'self'", "data:"],
    "font-src": ["'self'", "data:"], "connect-src": ["'self'"], "object-src": ["'none'"], "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"], "form-action": ["'self'"],
}


def policy(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"{response.request.path} has no Content-Security-Policy"
    return {name: sources for name, *sources in (part.split() for part in header.split(";") if part.strip())}


def assert_protected(response) -> None:
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("path", ["/", "/services", "/signin", "/no-such-page"])
def test_a_page_runs_only_this_servers_scripts_and_cannot_be_framed(client, path):
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.mimetype == "text/html"
    assert policy(response) == PAGE_DIRECTIVES
    assert_protected(response)
    assert "Strict-Transport-Security" not in response.headers  # plain http: HSTS would lock people out


@pytest.mark.parametrize("path", ["/api/v1/services", "/api/v1/nothing-here"])
def test_the_apis_json_and_its_errors_carry_the_same_headers(client, path):
    response = client.get(path)
    assert response.mimetype == "application/json"
    assert policy(response)["frame-ancestors"] == ["'none'"]
    assert_protected(response)


def test_the_swagger_ui_page_may_run_exactly_its_own_inline_script(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    (script,) = re.findall(r"<script>(.*?)</script>", response.get_data(as_text=True), re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    directives = policy(response)
    assert directives["script-src"] == ["'self'", f"'sha256-{digest}'"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert_protected(response)
    # the bundle it loads is this server's own
    assert client.get("/api/v1/docs/assets/swagger-ui-bundle.js").status_code == 200


def test_a_view_that_sets_a_stricter_policy_keeps_it(client):
    app = client.application

    @app.route("/test-own-policy")
    def own_policy():
        return "x", 200, {"Content-Security-Policy": "sandbox; default-src 'none'"}

    response = client.get("/test-own-policy")
    assert response.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert_protected(response)


def test_an_https_installation_asks_browsers_to_keep_to_https(db, ctx):
    secure = EngineContext(settings=replace(ctx.settings, public_url="https://izin.sulselprov.go.id"), clock=ctx.clock)
    app = create_app({"TESTING": True}, context=secure, session_factory=db.factory)
    client = app.test_client()
    for path in ("/services", "/api/v1/services"):
        response = client.get(path)
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
        assert_protected(response)
