"""The web session cookie (issue 14: it was Flask's ``session``, without SameSite, Secure only with an undocumented
variable): HttpOnly and SameSite=Lax always; on an https installation ``__Host-lincah_session``, Secure, Path=/ and
no Domain, so only this host over https can set or read it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from api import create_app
from engine.context import EngineContext
from tests.web.conftest import Visitor

pytestmark = pytest.mark.usefixtures("people")


def _signed_in_cookie(app) -> tuple[str, dict[str, str | bool]]:
    """The session cookie the sign-in sets: its name and its attributes (lower-cased; flags as True)."""
    response = Visitor(app.test_client()).sign_in("andi")
    (header,) = [h for h in response.headers.getlist("Set-Cookie") if "session=" in h.split(";")[0]]
    pair, *attributes = (part.strip() for part in header.split(";"))
    flags = {}
    for attribute in attributes:
        name, _, value = attribute.partition("=")
        flags[name.lower()] = value or True
    return pair.split("=", 1)[0], flags


def _app(db, ctx, public_url: str):
    context = EngineContext(settings=replace(ctx.settings, public_url=public_url), clock=ctx.clock)
    scheme = "https" if public_url.startswith("https") else "http"
    return create_app({"TESTING": True, "SECRET_KEY": "test-secret", "PREFERRED_URL_SCHEME": scheme},
                      context=context, session_factory=db.factory)


def test_over_http_the_cookie_is_lincah_session_httponly_and_lax(db, ctx, monkeypatch):
    monkeypatch.delenv("LINCAH_SECURE_COOKIES", raising=False)
    name, flags = _signed_in_cookie(_app(db, ctx, "http://127.0.0.1:5000"))
    assert name == "lincah_session"
    assert flags["httponly"] is True and flags["samesite"] == "Lax" and flags["path"] == "/"
    assert "secure" not in flags  # a browser would not send a Secure cookie over http
    assert "domain" not in flags


def test_an_https_installation_uses_a_host_only_secure_cookie(db, ctx):
    app = _app(db, ctx, "https://izin.sulselprov.go.id")
    name, flags = _signed_in_cookie(app)
    assert name == "__Host-lincah_session"
    assert flags["secure"] is True and flags["httponly"] is True and flags["samesite"] == "Lax"
    assert flags["path"] == "/" and "domain" not in flags  # what the __Host- prefix requires
    # and the person stays signed in with it
    person = Visitor(app.test_client())
    person.sign_in("andi")
    assert person.get("/applications").status_code == 200


def test_the_older_secure_cookies_switch_still_adds_secure(db, ctx):
    name, flags = _signed_in_cookie(_app(db, replace(ctx, settings=replace(ctx.settings, secure_cookies=True)), ""))
    assert name == "lincah_session" and flags["secure"] is True and flags["samesite"] == "Lax"
