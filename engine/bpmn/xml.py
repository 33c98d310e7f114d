"""Hardened XML loading: BPMN uploads are untrusted.

lxml's defaults resolve entities, which turns a diagram into an XXE attack (three spiff-arena fixtures are exactly
that). Here no DTD is loaded, no entity is expanded, nothing is fetched from the network, the size is capped, and a
document that declares a DOCTYPE at all is refused, so nothing depends on parser flags alone.
"""

from __future__ import annotations

import re

from lxml import etree

from .problems import ProblemList

_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
    )


def load_xml(data: bytes | str, filename: str, problems: ProblemList, max_bytes: int):
    """Parse ``data``; return the element tree, or None after adding an error problem that says why."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > max_bytes:
        problems.error(
            "too_large",
            f"The file is {len(data):,} bytes; the limit is {max_bytes:,} bytes. Split the diagram or remove "
            "embedded images.",
            file=filename,
            message_id=f"Berkas berukuran {len(data):,} byte; batasnya {max_bytes:,} byte.",
        )
        return None
    if not data.strip():
        problems.error("empty_file", "The file is empty.", file=filename, message_id="Berkas kosong.")
        return None
    match = _DOCTYPE.search(data)
    if match:
        line = data[: match.start()].count(b"\n") + 1
        problems.error(
            "xml_doctype",
            "The file declares a DOCTYPE or entities; BPMN never needs them and they are refused for security "
            "(XML external entity attack). Save the diagram again from your modeler.",
            file=filename,
            line=line,
            message_id="Berkas memuat DOCTYPE/ENTITY yang ditolak demi keamanan. Simpan ulang diagram dari modeler.",
        )
        return None
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        problems.error(
            "xml_syntax",
            f"The file is not well-formed XML: {exc.msg}.",
            file=filename,
            line=exc.lineno,
            message_id=f"Berkas bukan XML yang valid: {exc.msg}.",
        )
        return None
    return root.getroottree()
