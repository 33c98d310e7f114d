"""Reading an uploaded XML file in the encoding it declares, and handing it on as UTF-8.

The XML parser reads any encoding on its own, but the rest of the path did not: the deployed text was the bytes
read as UTF-8, so a UTF-16 diagram linted clean, was stored as garbage (PostgreSQL then refused its NUL
characters with an unrelated message) and could not be opened again; an ISO-8859-1 diagram lost its accents. Here
the encoding is found the way the XML specification says (byte order mark, else the first bytes, else the
declaration), the bytes are checked to be in it, and a file in any other encoding than UTF-8 becomes UTF-8 with a
declaration that says so — the same text for the linter, the parser and the stored copy. A declaration that does
not match the bytes is refused with what to do, never guessed around.
"""

from __future__ import annotations

import codecs
import re

from engine.bpmn.problems import ProblemList
from engine.texts import N_

_BOMS = (  # UTF-32 first: its little-endian mark begins with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Without a byte order mark, how "<?" begins in each wide encoding (XML 1.0, appendix F).
_WIDE_STARTS = (
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00?", "utf-16-be"),
    (b"<\x00?\x00", "utf-16-le"),
)
# Declared names that fit bytes found to be in a wide encoding ("UTF-16" leaves the byte order to the mark).
_FITS = {
    "utf-16-le": {"utf-16", "utf-16-le"},
    "utf-16-be": {"utf-16", "utf-16-be"},
    "utf-32-le": {"utf-32", "utf-32-le"},
    "utf-32-be": {"utf-32", "utf-32-be"},
    "utf-8": {"utf-8", "ascii"},
}
_DECLARATION = re.compile(r"""\A<\?xml\s[^>]*?\bencoding\s*=\s*(["'])([^"']{1,40})\1""")
_LATIN = {"latin-1", "iso8859-1", "cp1252", "iso8859-15"}
_UTF8 = {"utf-8", "ascii"}


def as_utf8(data: bytes, filename: str, problems: ProblemList) -> bytes | None:
    """``data`` as UTF-8 bytes whose declaration (if any) says UTF-8; ``None`` after an error problem saying why.

    UTF-8 (and ASCII) files come back unchanged, byte order mark included, so a file deployed before reads the same.
    """
    found, mark = _found_encoding(data)
    body = data[mark:]
    head = body[:512].decode(found or "latin-1", errors="replace")
    match = _DECLARATION.match(head)
    declared = match.group(2).strip() if match else None
    if declared is not None:
        try:
            declared_codec = codecs.lookup(declared).name
        except LookupError:
            problems.error("xml_encoding", N_("The file declares the encoding %(declared)s, which is not known. Save "
                                              "it again as UTF-8 (what every BPMN modeler writes), or correct "
                                              "encoding=\"...\" in its first line."), file=filename, line=1,
                           params={"declared": repr(declared)})
            return None
    else:
        declared_codec = None
    encoding = found or declared_codec or "utf-8"
    if found is not None and declared_codec is not None and declared_codec not in _FITS.get(found, {found}):
        _mismatch(problems, filename, N_("The file declares the encoding %(declared)s but is written in %(found)s, "
                                         "so its text cannot be read reliably. Save it again as UTF-8 from your "
                                         "modeler, or correct encoding=\"...\" in its first line to the encoding the "
                                         "file is really in."), {"declared": declared, "found": found.upper()})
        return None
    if found is None and declared_codec is not None and declared_codec.startswith(("utf-16", "utf-32")):
        _mismatch(problems, filename, N_("The file declares the encoding %(declared)s but has one byte per "
                                         "character, so its text cannot be read reliably. Save it again as UTF-8 "
                                         "from your modeler, or correct encoding=\"...\" in its first line to the "
                                         "encoding the file is really in."), {"declared": declared})
        return None
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as exc:
        wide = encoding.startswith(("utf-16", "utf-32"))
        line = None if wide else body[:exc.start].count(b"\n") + 1
        params = {"declared": declared, "encoding": encoding.upper(), "line": line}
        if declared and line:
            text = N_("The file declares the encoding %(declared)s but has bytes that are not %(encoding)s (line "
                      "%(line)s), so its text cannot be read reliably. Save it again as UTF-8 from your modeler, or "
                      "correct encoding=\"...\" in its first line to the encoding the file is really in.")
        elif declared:
            text = N_("The file declares the encoding %(declared)s but has bytes that are not %(encoding)s, so its "
                      "text cannot be read reliably. Save it again as UTF-8 from your modeler, or correct "
                      "encoding=\"...\" in its first line to the encoding the file is really in.")
        elif line:
            text = N_("The file declares no encoding, so it must be UTF-8, but has bytes that are not %(encoding)s "
                      "(line %(line)s), so its text cannot be read reliably. Save it again as UTF-8 from your "
                      "modeler, or correct encoding=\"...\" in its first line to the encoding the file is really "
                      "in.")
        else:
            text = N_("The file declares no encoding, so it must be UTF-8, but has bytes that are not %(encoding)s, "
                      "so its text cannot be read reliably. Save it again as UTF-8 from your modeler, or correct "
                      "encoding=\"...\" in its first line to the encoding the file is really in.")
        _mismatch(problems, filename, text, params, line=line)
        return None
    if declared_codec in _LATIN and not body.isascii() and _reads_as_utf8(body):
        problems.warning("xml_encoding", N_("The file declares %(declared)s but its bytes read as UTF-8: names with "
                                            "accents would show as 'Ã©'. If the modeler wrote UTF-8, change "
                                            "encoding=\"...\" in the first line to UTF-8."), file=filename, line=1,
                         params={"declared": declared})
    if encoding in _UTF8:
        return data
    if match is not None:
        text = text[:match.start(2)] + "UTF-8" + text[match.end(2):]
    return text.encode("utf-8")


def _found_encoding(data: bytes) -> tuple[str | None, int]:
    """The encoding the first bytes show (and the byte order mark's length), or ``None`` for an 8-bit family."""
    for mark, name in _BOMS:
        if data.startswith(mark):
            return name, len(mark)
    for start, name in _WIDE_STARTS:
        if data.startswith(start):
            return name, 0
    return None, 0


def _reads_as_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def utf8_of_text(text: str) -> bytes:
    """Text already decoded (not bytes) as UTF-8, its declaration saying so."""
    match = _DECLARATION.match(text.lstrip("\ufeff"))
    if match is not None:
        text = text.lstrip("\ufeff")
        text = text[:match.start(2)] + "UTF-8" + text[match.end(2):]
    return text.encode("utf-8")


def _mismatch(problems: ProblemList, filename: str, text: str, params: dict, line: int | None = 1) -> None:
    problems.error("xml_encoding", text, file=filename, line=line, params=params)
