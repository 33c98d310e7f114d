"""The interactive API page at /api/v1/docs, served entirely from this server (no CDN: offices may be offline).

Swagger UI's files come from the ``swagger-ui-bundle`` package; flask-smorest renders the page around them.
"""

from __future__ import annotations

from flask import Blueprint, send_from_directory
from swagger_ui_bundle import swagger_ui_path

ASSETS_URL = "/api/v1/docs/assets/"

blp = Blueprint("docs_assets", __name__)


@blp.route(ASSETS_URL + "<path:filename>")
def asset(filename: str):
    return send_from_directory(swagger_ui_path, filename, max_age=86400)


CONFIG = {
    "API_TITLE": "Lincah",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "docs",
    "OPENAPI_SWAGGER_UI_URL": ASSETS_URL,
    "API_SPEC_OPTIONS": {
        "info": {"description": "BPMN workflow server for one-stop permit offices (DPM-PTSP). Sign in with POST "
                                "/api/v1/auth/token and send 'Authorization: Bearer <token>'. Every error is "
                                "{\"error\": {\"code\", \"message\", \"details\"}}."},
        "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
    },
}
