"""Security headers on every answer, pages and API alike: what the browser may run, frame, sniff and tell others.

Why each one is there:

- ``Content-Security-Policy``: the pages run only scripts and styles served from this server (``/static``,
  ``/assets/dist``), never inline code, so a name or a form value that slipped into a page as markup cannot run.
  ``object-src 'none'`` (no plugins), ``base-uri 'self'`` (an injected ``<base>`` cannot move relative scripts),
  ``form-action 'self'`` (an injected form cannot post a password elsewhere) and ``frame-ancestors 'none'`` (no other
  site frames a decision page to trick a click: clickjacking). Images and fonts may also be ``data:`` URIs: the
  favicon and bpmn-js's embedded icon font are. A view may set its own, stricter policy (documents do).
- Two pages get exactly what a library on them needs, by hash, never ``'unsafe-inline'``. The Swagger UI page at
  /api/v1/docs is flask-smorest's, with one fixed inline script that starts the bundle: its hash is computed from the
  page, so it follows the library. The analyst's modeler: bpmn-js-properties-panel and diagram-js build a few
  elements from markup with a ``style`` attribute; exactly those declarations are allowed (``'unsafe-hashes'`` with
  their hashes allows nothing else), and studio.css repeats the panel's for browsers that block them anyway.
  The analyst's table editor likewise allows dmn-js's two fixed ``style`` attributes by hash; its FEEL cell editor
  (CodeMirror) writes its theme into a ``<style>`` element whose text grows as editors mount, which no hash can
  follow, so that one page allows inline style *elements* (``style-src-elem``) — styles only, scripts stay strict.
- PDFs get no policy: they run none of our scripts, and a policy on them keeps some browsers' PDF viewers (a plugin
  to ``object-src``) from showing the document an officer opened in a new tab.
- ``X-Frame-Options: DENY``: ``frame-ancestors`` for browsers that predate it.
- ``X-Content-Type-Options: nosniff``: a download or an API answer is never read as a script or a page because its
  bytes look like one.
- ``Referrer-Policy: same-origin``: addresses carry registration numbers and task ids; other sites do not get them.
- ``Strict-Transport-Security``: only when the public URL (``LINCAH_PUBLIC_URL``) is https — then the browser
  refuses plain http to this host for a year, so a network in between cannot strip TLS; a plain-http installation
  must not send it, or its people would be locked out.
"""

from __future__ import annotations

import base64
import hashlib
import re

from flask import Flask, Response, current_app, request

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self' data:",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}
HSTS = "max-age=31536000"
SWAGGER_UI_ENDPOINT = "api-docs.openapi_swagger_ui"


def source_hash(text: str) -> str:
    """A CSP hash source (``'sha256-…'``) for an inline script's text or a style attribute's value."""
    return f"'sha256-{base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()}'"


# The style attributes in the modeler bundle's markup: bpmn-js-properties-panel's two containers, and the icons of
# diagram-js's align and distribute menus (lines and boxes drawn in the text colour).
MODELER_STYLE_ATTRIBUTES = (
    "height: 100%",
    "flex: none; height: auto",
    "fill:none;stroke:currentColor;stroke-width:100;",
    "fill:none;stroke:currentColor;stroke-width:100;stroke-linejoin:round;",
    "fill:currentColor;stroke:currentColor;stroke-width:100;opacity:.5;",
    "stroke:currentColor;stroke-width:100;stroke-linecap:round;",
)

# The style attributes in the table editor bundle's markup: dmn-js's "powered by" badge and its logo.
TABLE_EDITOR_STYLE_ATTRIBUTES = (
    "position: absolute; bottom: 15px; right: 15px; z-index: 100;",
    "vertical-align:middle",
)

# Sources a page needs beyond the policy, by endpoint (see the module's docstring).
PAGE_SOURCES = {
    "web.analyst_modeler": {"style-src-attr": " ".join(
        ["'unsafe-hashes'", *map(source_hash, MODELER_STYLE_ATTRIBUTES)])},
    "web.analyst_dmn_modeler": {
        "style-src-attr": " ".join(["'unsafe-hashes'", *map(source_hash, TABLE_EDITOR_STYLE_ATTRIBUTES)]),
        "style-src-elem": "'self' 'unsafe-inline'"},
}

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def register(app: Flask) -> None:
    """Send the headers on every response of ``app``, error pages and API errors included."""
    app.after_request(add_headers)


def add_headers(response: Response) -> Response:
    """The headers above; a header a view has set already (a stricter policy) is kept."""
    headers = response.headers
    if response.mimetype != "application/pdf":
        headers.setdefault("Content-Security-Policy", _policy(response))
    for name, value in fixed_headers(current_app.extensions["lincah"]["ctx"].settings.https):
        headers.setdefault(name, value)
    return response


def fixed_headers(https: bool) -> tuple[tuple[str, str], ...]:
    """The headers every response gets whatever it holds (the policy aside): frames, sniffing, referrer, HSTS."""
    return _FIXED + ((("Strict-Transport-Security", HSTS),) if https else ())


_FIXED = (("X-Frame-Options", "DENY"), ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin"))


def content_security_policy(extra: dict[str, str] | None = None) -> str:
    """The pages' policy as a header value; ``extra`` adds sources to a directive (``{"script-src": "'sha256-…'"}``)
    or adds the directive."""
    directives = dict(POLICY)
    for directive, sources in (extra or {}).items():
        directives[directive] = f"{directives[directive]} {sources}" if directive in directives else sources
    return "; ".join(f"{name} {sources}" for name, sources in directives.items())


def _policy(response: Response) -> str:
    if request.endpoint in PAGE_SOURCES:
        return content_security_policy(PAGE_SOURCES[request.endpoint])
    if request.endpoint != SWAGGER_UI_ENDPOINT or response.direct_passthrough:
        return PAGE_POLICY
    scripts = _INLINE_SCRIPT.findall(response.get_data(as_text=True))
    return content_security_policy({"script-src": " ".join(map(source_hash, scripts))}) if scripts else PAGE_POLICY


PAGE_POLICY = content_security_policy()
