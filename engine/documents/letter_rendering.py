"""A letter template and what a letter is given, rendered to PDF by WeasyPrint.

Fonts are bundled (Noto Sans, Noto Sans Symbols, Noto Emoji and the scripts Latin faces lack, from the
``manimgx-fonts`` package, SIL OFL 1.1) and named by ``@font-face`` file URLs, so a letter looks the same on every
machine and any name prints — an emoji included, in Noto Emoji's outline. The renderer fetches nothing but those
font files and ``data:`` URLs: a template naming ``http://…`` gets no image rather than making the server call out.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from urllib.parse import unquote

import manimgx_fonts
import segno
from jinja2 import TemplateSyntaxError
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from engine.documents import bounded_call
from engine.services.letter_templates import LetterFiles, compile_template

FONTS = Path(manimgx_fonts.__file__).parent
# Family "Letter" falls back face by face, so a character the text face lacks comes from the next.
_FACES = ("NotoSans[wght].ttf", "NotoSansSymbols[wght].ttf", "NotoEmoji[wght].ttf", "NotoSansArabic[wght].ttf",
          "NotoSansDevanagari[wght].ttf", "NotoSansThai[wght].ttf", "NotoSansHebrew[wght].ttf")
#: Default limits on rendering one letter (``render_pdf``): a real letter takes about a second and some tens of MB.
RENDER_SECONDS = 30.0
RENDER_MEMORY = 768 * 2**20
FONT_FAMILY = ", ".join(f'"Letter{i}"' for i in range(len(_FACES)))


def font_css() -> str:
    faces = []
    for i, name in enumerate(_FACES):
        faces.append(f'@font-face {{ font-family: "Letter{i}"; src: url("{(FONTS / name).as_uri()}"); '
                     "font-style: normal; }")
    faces.append(f'@font-face {{ font-family: "Letter0"; src: url("{(FONTS / "NotoSans-Italic[wght].ttf").as_uri()}"); '
                 "font-style: italic; }")
    faces.append(f"html, body {{ font-family: {FONT_FAMILY}; }}")
    return "\n".join(faces)


_BASE_CSS = """
@page { size: A4; margin: 18mm 20mm 20mm 22mm; }
body { font-size: 11pt; line-height: 1.35; color: #000; }
p, td { text-align: left; }
.draft-mark { position: fixed; top: 40%; left: 0; right: 0; text-align: center; font-size: 110pt;
  color: rgba(200, 0, 0, 0.18); transform: rotate(-35deg); font-weight: 700; }
"""

# A letter signed with the certificate `lincah demo` made says so at the head of every page (a page margin box, so no
# template's own layout can hide it), in the letter's language.
_DEMO_CSS = """
@page { @top-center { content: "Ditandatangani dengan sertifikat DEMO (lincah demo): bukan dokumen resmi.";
  font-size: 8pt; color: #a00000; } }
"""


class _LocalOnly(URLFetcher):
    """Only the bundled fonts and inline ``data:`` images; anything else is refused (WeasyPrint then skips it)."""

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if url.startswith("file:"):
            path = Path(unquote(url.split("?", 1)[0].removeprefix("file://"))).resolve()
            if path.parent == FONTS.resolve() and path.suffix == ".ttf":
                return super().fetch(path.as_uri(), headers)
        raise ValueError(f"A letter may only use inline images and the bundled fonts, not {url[:80]!r}.")


def qr_data_url(address: str) -> str:
    """The QR code of ``address`` as an SVG ``data:`` URL (medium error correction, quiet zone kept)."""
    buffer = io.BytesIO()
    segno.make(address, error="m").save(buffer, kind="svg", scale=4, border=2, xmldecl=False)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def image_data_url(data: bytes | None, media_type: str | None) -> str:
    if not data or not media_type:
        return ""
    return f"data:{media_type};base64," + base64.b64encode(data).decode()


def render_html(files: LetterFiles, context: dict) -> str:
    """The template filled in (autoescaped): the HTML WeasyPrint lays out."""
    return compile_template(files).render(**context)


def filled_size(files: LetterFiles, context: dict) -> tuple:
    """The template filled, answered as ``("size", bytes of HTML)`` or ``("raised", what, line)``: plain values, so
    whatever Jinja raised travels back whole from the bounded child a deploy's trial fill runs this in
    (``engine.documents.letter_trial``; here because the fork server has this module loaded, so a child starts in
    milliseconds)."""
    try:
        html = render_html(files, context)
    except MemoryError:
        raise  # the child's memory limit: bounded_call answers Overrun("memory")
    except Exception as exc:  # noqa: BLE001 - whatever a template's expression raises is the analyst's to fix
        return "raised", f"{type(exc).__name__}: {exc}"[:300], template_line(exc)
    return "size", len(html.encode())


class RenderTooCostly(Exception):
    """The template ran past the time or memory a letter may take and was stopped; the message says which limit and
    what to change (callers add the template's file name)."""

    def __init__(self, kind: str, seconds: float, memory_bytes: int):
        self.kind, self.seconds, self.memory_bytes = kind, seconds, memory_bytes
        if kind == "time":
            message = (f"the letter template took longer than {seconds:g} s to render and was stopped; look for "
                       "loops over large ranges or text repeated without end")
        else:
            message = (f"the letter template needed more than {memory_bytes // 2**20} MB to render and was stopped; "
                       "look for very long repeated text or huge images")
        super().__init__(message)


def render_pdf(files: LetterFiles, context: dict, *, seconds: float | None = None) -> bytes:
    """The letter as PDF bytes. A draft (``context["draft"]``) carries a "DRAF" watermark on every page.

    Rendered in a child process bounded to ``seconds`` (default ``RENDER_SECONDS``; the installation's
    ``LINCAH_LETTER_RENDER_SECONDS``) and ``RENDER_MEMORY`` bytes: an analyst's template can loop or print without
    end, and neither Jinja's sandbox (it caps ``range``, not two nested loops over it) nor WeasyPrint's layout can
    be interrupted inside the server's own process. ``RenderTooCostly`` when it was stopped; what the template
    raised otherwise."""
    limit = seconds if seconds and seconds > 0 else RENDER_SECONDS
    try:
        return bounded_call.call(render_pdf_here, files, context, seconds=limit, memory_bytes=RENDER_MEMORY)
    except bounded_call.Overrun as overrun:
        raise RenderTooCostly(overrun.kind, overrun.seconds, overrun.memory_bytes) from None


def template_line(exc: BaseException) -> int | None:
    """The template line an error was raised on (Jinja2 compiles a template under the name ``<template>``), or the
    line compiling it stopped at (an unknown filter or test is found only then)."""
    line, trace = getattr(exc, "template_line", None), exc.__traceback__
    if line is None and isinstance(exc, TemplateSyntaxError):
        line = exc.lineno
    while trace is not None:
        if trace.tb_frame.f_code.co_filename == "<template>":
            line = trace.tb_lineno
        trace = trace.tb_next
    return line


def render_pdf_here(files: LetterFiles, context: dict) -> bytes:
    """``render_pdf`` in this process, unbounded: the child process runs this (and the engine's own templates,
    which no analyst writes, could). An error the template raised carries ``template_line``, the line it happened
    on: the traceback stays in the child process, the exception's attributes travel back with it."""
    try:
        html = render_html(files, context)
    except Exception as exc:
        exc.template_line = template_line(exc)
        raise
    if context.get("draft"):
        html = html.replace("<body>", '<body><div class="draft-mark">DRAF</div>', 1) if "<body>" in html else (
            '<div class="draft-mark">DRAF</div>' + html)
    fetcher = _LocalOnly(timeout=5)
    fonts = FontConfiguration()  # the @font-face rules load into this; the layout must use the same one
    demo = _DEMO_CSS if context.get("demo_signature") else ""
    stylesheets = [CSS(string=css, url_fetcher=fetcher, font_config=fonts)
                   for css in (font_css(), _BASE_CSS, files.css, demo) if css]
    document = HTML(string=html, base_url=FONTS.as_uri() + "/", url_fetcher=fetcher)
    return document.write_pdf(stylesheets=stylesheets, font_config=fonts)
