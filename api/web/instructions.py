"""A step's instructions (spiff-arena's ``spiffworkflow:instructionsForEndUser``) as safe HTML for the task page.

The text is Markdown an analyst wrote, with ``{{ name }}`` / ``{{ a.b }}`` placeholders that spiff-arena fills from
the task data. Here a placeholder is filled only with the value of that plain name (anything else in braces stays
as it is: no template language runs on a page), each value with its Markdown punctuation escaped so that what an
applicant typed stays text; and the Markdown is rendered with raw HTML off, so a ``<script>`` in the text or in a
value is shown, escaped, never run. markdown-it also refuses ``javascript:``, ``vbscript:`` and ``file:`` links.
The result is markup built by the renderer from escaped text, never the analyst's text marked safe.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markupsafe import Markup

_RENDERER = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*\}\}")
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
MAX_CHARS = 20_000  # longer instructions are cut: a page, not a document


def _value(data: dict, path: str) -> str:
    value: object = data
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return ""
        value = value[part]
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _PUNCTUATION.sub(r"\\\1", str(value)).replace("\n", " ")


def render(text: str | None, data: dict | None) -> Markup | None:
    """The instructions as HTML, their placeholders filled from ``data``; None when there are none."""
    if not text or not text.strip():
        return None
    filled = _PLACEHOLDER.sub(lambda match: _value(data or {}, match.group(1)), text[:MAX_CHARS])
    return Markup(_RENDERER.render(filled))  # noqa: S704 - markdown-it's own output with raw HTML disabled
