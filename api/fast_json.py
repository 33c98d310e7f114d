"""Answers of the busiest endpoints — the inbox and completing a task — encoded straight from the presenters' dicts.

flask-smorest dumps every answer through its marshmallow schema; for a page of fifty inbox rows that walk over
every field cost more CPU than the database query. The presenters (``api.presenters``) already build exactly the
schema's fields from plain values, so these views encode them with orjson and return the response themselves:
flask-smorest passes a ``Response`` through untouched, and the schema still documents the answer (OpenAPI, the
schemathesis run). ``tests/api/test_fast_json.py`` holds the two encodings equal.
"""

from __future__ import annotations

import orjson
from flask import Response, current_app


def json_response(body, status: int = 200) -> Response:
    """``body`` (dicts, lists, strings, numbers, aware datetimes) as a JSON response; datetimes in ISO 8601, as
    marshmallow writes them."""
    return current_app.response_class(orjson.dumps(body), status=status, mimetype="application/json")
