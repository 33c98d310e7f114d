"""Imported only by the fork server of ``engine.documents.bounded_call`` (its preload list): lays out one small
letter there, so every child forked from it starts with fontconfig initialised and the bundled faces read — about
0.7 s each child would otherwise spend before its first line (a letter took 1.0 s in a cold child against 0.3 s in
a warm process). Nothing here may stop the fork server: a failure only costs the children that time."""

from __future__ import annotations

import logging

from engine.documents.letter_rendering import render_pdf_here
from engine.services.letter_templates import LetterFiles

# One character from each bundled face (Latin, symbols, emoji, Arabic, Devanagari, Thai, Hebrew).
_SAMPLE = "<html><body><p>Surat Izin Aa ✓ 😀 ع अ ก א</p></body></html>"

try:
    render_pdf_here(LetterFiles("warm-up", _SAMPLE), {"draft": True})
except Exception:  # noqa: BLE001 - see the module's docstring
    logging.getLogger("lincah.documents").warning("warming the letter renderer up failed", exc_info=True)
