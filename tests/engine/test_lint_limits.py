"""Lint is bounded and reads every file in the encoding it declares: a diagram too large to check is refused before
it is parsed, and a file that lints clean deploys — UTF-16, ISO-8859-1 and UTF-8 alike — with its text intact."""

from __future__ import annotations

import pytest

from engine.bpmn import xml
from engine.bpmn.compiler import SourceFile
from engine.forms.schemas import FormSource
from engine.services import definitions
from tests.conftest import PROJECT_ROOT
from tests.engine.conftest import diagram

RESEARCH = PROJECT_ROOT / "processes" / "research_permit.bpmn"
CAFE = diagram("""
    <bpmn:startEvent id="s" name="Permohonan masuk"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="review"/>
    <bpmn:userTask id="review" name="Periksa berkas kafé" camunda:candidateGroups="verifier"/>
    <bpmn:sequenceFlow id="f1" sourceRef="review" targetRef="e"/><bpmn:endEvent id="e" name="Selesai"/>""",
                   process_id="cafe_permit")


def _lint(ctx, data: bytes, path=None):
    forms = definitions.form_source(ctx, path) if path else FormSource({}, [])
    return definitions.lint(ctx, SourceFile("diagram.bpmn", data), [], forms)


def _deploy(db, ctx, data: bytes, path=None):
    forms = definitions.form_source(ctx, path) if path else FormSource({}, [])
    with db.transaction() as session:
        return definitions.deploy(session, ctx, SourceFile("diagram.bpmn", data), [], forms, actor="analis")


def _errors(compiled) -> list[tuple[str, str]]:
    return [(p.code, p.message) for p in compiled.problems.errors]


def _huge(elements: int) -> bytes:
    tasks = "\n".join(f'<bpmn:task id="t{i}"/>' for i in range(elements))
    return diagram(f'<bpmn:startEvent id="s"/>\n{tasks}').encode()


def test_a_diagram_of_110000_elements_is_refused_before_it_is_parsed_naming_the_limit(ctx, monkeypatch):
    def no_parse(*_args, **_kwargs):
        raise AssertionError("a diagram over the limit must not be parsed")

    monkeypatch.setattr(xml.etree, "fromstring", no_parse)
    compiled = _lint(ctx, _huge(110_000))
    [(code, message)] = _errors(compiled)
    assert code == "too_many_elements"
    assert "about 110,00" in message and f"the limit is {xml.MAX_ELEMENTS:,}" in message
    assert "call activities" in message  # what to do
    assert "110,00" in compiled.problems.errors[0].message_id  # and in Indonesian


def test_a_large_real_sized_diagram_is_still_checked(ctx):
    compiled = _lint(ctx, _huge(3_000))
    assert "too_many_elements" not in [p.code for p in compiled.problems]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_utf16_diagram_lints_clean_and_deploys_with_its_text_intact(db, ctx, encoding):
    declared = "UTF-16" if encoding == "utf-16" else encoding.upper().replace("-LE", "LE").replace("-BE", "BE")
    text = RESEARCH.read_text(encoding="utf-8").replace('encoding="UTF-8"', f'encoding="{declared}"', 1)
    data = text.encode(encoding)  # "utf-16" writes a byte order mark; the -le/-be forms do not
    compiled = _lint(ctx, data, RESEARCH)
    assert compiled.ok, _errors(compiled)
    result = _deploy(db, ctx, data, RESEARCH)
    assert result.created
    stored = result.definition.bpmn
    assert "Izin Penelitian – DPM-PTSP" in stored and "\x00" not in stored
    assert stored.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    # The stored text is the diagram itself: deployed again as UTF-8, it is the same version.
    again = _deploy(db, ctx, stored.encode("utf-8"), RESEARCH)
    assert not again.created and again.definition.version == result.definition.version


def test_an_iso_8859_1_diagram_keeps_its_accents(db, ctx):
    data = CAFE.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').encode("latin-1")
    assert _lint(ctx, data).ok
    stored = _deploy(db, ctx, data).definition
    assert "Periksa berkas kafé" in stored.bpmn
    assert stored.meta["tasks"]["review"]["name"] == "Periksa berkas kafé"


def test_a_utf8_file_with_a_byte_order_mark_is_stored_as_it_came(db, ctx):
    data = b"\xef\xbb\xbf" + CAFE.encode("utf-8")
    assert _deploy(db, ctx, data).definition.bpmn == data.decode("utf-8")


@pytest.mark.parametrize(("data", "said"), [
    (CAFE.encode("latin-1"), "declares the encoding UTF-8 but has bytes that are not UTF-8 (line 6)"),
    (CAFE.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-8"),
     "declares the encoding UTF-16 but has one byte per character"),
    (CAFE.encode("utf-16"), "declares the encoding UTF-8 but is written in UTF-16-LE"),
    (CAFE.replace('encoding="UTF-8"', 'encoding="klingon-8"').encode("utf-8"),
     "declares the encoding 'klingon-8', which is not known"),
    (CAFE.replace('<?xml version="1.0" encoding="UTF-8"?>', "").encode("latin-1"),
     "declares no encoding, so it must be UTF-8, but has bytes that are not UTF-8 (line 6)"),
])
def test_a_declared_encoding_that_does_not_match_the_bytes_is_refused_saying_what_to_do(db, ctx, data, said):
    compiled = _lint(ctx, data)
    [(code, message)] = _errors(compiled)
    assert code == "xml_encoding" and said in message, message
    assert "Save it again as UTF-8" in message
    with pytest.raises(definitions.InvalidDefinition):
        _deploy(db, ctx, data)


def test_utf8_bytes_declared_as_latin_1_are_warned_about(ctx):
    data = CAFE.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').encode("utf-8")
    compiled = _lint(ctx, data)
    assert compiled.ok
    assert any(p.code == "xml_encoding" and "read as UTF-8" in p.message for p in compiled.problems.warnings)


def test_a_doctype_in_a_utf16_file_is_refused_as_in_utf8(ctx):
    text = '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n' + \
        CAFE.split("\n", 1)[1]
    [(code, _message)] = _errors(_lint(ctx, text.encode("utf-16")))
    assert code == "xml_doctype"
