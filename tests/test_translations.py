"""The one catalogue (engine/translations) covers every text people read — the engine's messages, the web pages'
Python and templates — keeps their placeholders, and its compiled .mo (committed, so nothing compiles at run time)
says exactly what the .po says."""

from __future__ import annotations

import re

from babel.messages.extract import DEFAULT_KEYWORDS, extract, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from api.web.views.analyst import MODELER_TEXTS
from api.web.views.dmn_modeler import EDITOR_TEXTS
from engine import texts
from tests.conftest import PROJECT_ROOT

CATALOG = texts.CATALOGUE / "id" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def _extracted() -> set:
    """Every message id the extraction of babel.cfg finds (what ``pybabel extract`` would write)."""
    with (texts.CATALOGUE / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options = parse_mapping_cfg(config)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(PROJECT_ROOT), method_map, options, keywords=keywords,
            directory_filter=lambda path: "node_modules" not in path and "/." not in path):
        found.add(message if isinstance(message, str) else tuple(message[:2]))
    return found


def _po():
    with (CATALOG / "messages.po").open("rb") as source:
        return read_po(source, locale="id")


def test_every_text_of_the_pages_has_an_indonesian_translation():
    catalog = _po()
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy
                  and all(m.string if isinstance(m.string, tuple) else [m.string])}
    missing = sorted(str(m) for m in _extracted() - translated)
    assert not missing, f"add these to engine/translations/id/LC_MESSAGES/messages.po: {missing}"


def test_translations_keep_every_placeholder():
    for message in _po():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for text in strings:
            assert set(PLACEHOLDER.findall(text)) == wanted, message.id


def test_the_committed_mo_is_compiled_from_the_po():
    def plain(value):
        return tuple(value) if isinstance(value, list | tuple) else value

    with (CATALOG / "messages.mo").open("rb") as compiled:
        mo = {(m.context, plain(m.id)): plain(m.string) for m in read_mo(compiled) if m.id}
    po = {(m.context, plain(m.id)): plain(m.string) for m in _po() if m.id and not m.fuzzy}
    assert mo == po, "run: pybabel compile -d engine/translations (see engine/translations/README.md)"


def test_every_text_the_modeler_script_looks_up_comes_from_the_catalogue():
    """The modeler (web/src) asks ``t("English")`` for its texts; the page sends their translations from the
    catalogue (``MODELER_TEXTS``), so a text the script uses but the page does not send would stay English."""
    used, missing = set(), set()
    for script in (PROJECT_ROOT / "web" / "src").glob("*.js"):
        # The table editor's page sends its own texts (dmn_modeler.EDITOR_TEXTS); every other script is the modeler's.
        sent = EDITOR_TEXTS if script.name == "dmn-modeler.js" else MODELER_TEXTS
        with script.open("rb") as source:
            found = extract("javascript", source, keywords={"t": None})
            texts = {message for _line, message, _comments, _context in found if isinstance(message, str)}
        used |= texts
        missing |= {f"{script.name}: {text}" for text in texts - set(sent)}
    assert used, "the modeler's texts were not found"
    assert not sorted(missing), "add them to MODELER_TEXTS (analyst.py) or EDITOR_TEXTS (dmn_modeler.py)"
