"""Hardened XML loading: BPMN uploads are untrusted.

lxml's defaults resolve entities, which turns a diagram into an XXE attack (three spiff-arena fixtures are exactly
that). Here no DTD is loaded, no entity is expanded, nothing is fetched from the network, the size is capped, and a
document that declares a DOCTYPE at all is refused, so nothing depends on parser flags alone.

The number of elements is capped too, counted before anything is parsed: within the 5 MB limit a generated file
can hold over 100,000 elements, and checking one took 29 s of a web worker. The largest real diagrams have a few
thousand (7,212 in the corpus of 770 files, DI shapes and waypoints included). Every file is read in the encoding
it declares and handed on as UTF-8 (``.encoding``), so the checks below see the file's real text.
"""

from __future__ import annotations

import re

from lxml import etree

from engine.bpmn.encoding import as_utf8, utf8_of_text
from engine.bpmn.problems import ProblemList
from engine.texts import N_

_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
# About three times the largest real diagram; linting this many takes a few seconds.
MAX_ELEMENTS = 20_000


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
    )


def element_count(data: bytes) -> int:
    """Start tags in ``data``, counted without parsing (a ``<`` inside a comment or CDATA counts too: at most an
    overestimate)."""
    return data.count(b"<") - data.count(b"</") - data.count(b"<!") - data.count(b"<?")


def load_xml(data: bytes | str, filename: str, problems: ProblemList, max_bytes: int,
             max_elements: int = MAX_ELEMENTS):
    """Parse ``data``; return the element tree, or None after adding an error problem that says why."""
    if isinstance(data, str):
        data = utf8_of_text(data)
    if len(data) > max_bytes:
        problems.error(
            "too_large",
            N_("The file is %(size)s bytes; the limit is %(limit)s bytes. Split the diagram or remove embedded "
               "images."),
            file=filename,
            params={"size": f"{len(data):,}", "limit": f"{max_bytes:,}"},
        )
        return None
    if not data.strip():
        problems.error("empty_file", N_("The file is empty."), file=filename)
        return None
    data = as_utf8(data, filename, problems)
    if data is None:
        return None
    elements = element_count(data)
    if elements > max_elements:
        problems.error(
            "too_many_elements",
            N_("The file has about %(count)s XML elements; the limit is %(limit)s (the largest real permit diagrams "
               "have a few thousand), and checking more would hold the server too long. Split the process: draw "
               "parts of it in their own files and call them with call activities, or remove generated or copied "
               "content."),
            file=filename,
            params={"count": f"{elements:,}", "limit": f"{max_elements:,}"},
        )
        return None
    match = _DOCTYPE.search(data)
    if match:
        line = data[: match.start()].count(b"\n") + 1
        problems.error(
            "xml_doctype",
            N_("The file declares a DOCTYPE or entities; BPMN never needs them and they are refused for security "
               "(XML external entity attack). Save the diagram again from your modeler."),
            file=filename,
            line=line,
        )
        return None
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        problems.error(
            "xml_syntax",
            N_("The file is not well-formed XML: %(reason)s."),
            file=filename,
            line=exc.lineno,
            params={"reason": exc.msg},
        )
        return None
    return root.getroottree()
