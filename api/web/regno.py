"""Registration numbers as a phone shows them: ``DPMPTSP-SULSEL/IP/2026/00001`` may wrap only after a ``/``.

Without a break opportunity a browser either runs the number off a narrow screen or, with ``overflow-wrap``,
cuts it mid-part ("DPMPTSP-SUL / SEL…"), which people then copy wrongly; a ``<wbr>`` after each slash lets it wrap
between its parts, and copying it still gives the number as written.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from .blueprint import bp


@bp.app_template_filter("regno")
def regno(number) -> Markup:
    if number in (None, ""):
        return Markup("")
    parts = Markup("/<wbr>").join(escape(part) for part in str(number).split("/"))
    return Markup('<span class="regno">{}</span>').format(parts)
