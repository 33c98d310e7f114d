"""The one blueprint every web page hangs on (``web``), with its templates and the sources of its CSS and JS."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/assets/web")
