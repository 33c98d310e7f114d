"""The texts dmn-js shows in the analyst's table editor — the table's headings, the hit policy, the context menu of
rules and columns, the cell editors — by their English (the template dmn-js asks its ``translate`` service for),
translated by the one catalogue under the context ``dmn-js``: the editor page sends them (``texts()``) and its
script answers dmn-js's ``translate`` from them (web/src/translate.js, as for bpmn-js).

FEEL, DMN, DRD and the hit policies' names (Unique, First, Collect…) stay as the DMN standard and Camunda's
documentation write them, which is what analysts look up. Texts not listed here stay in English.
"""

from __future__ import annotations

from flask_babel import pgettext as _p

CONTEXT = "dmn-js"


def pgettext(context: str, text: str) -> str:
    """Babel's marker for a text of ``context`` translated later (``pybabel extract`` finds ``pgettext(…)``)."""
    return text


DMN_JS_TEXTS = (
    # the table's head
    pgettext("dmn-js", "When"),
    pgettext("dmn-js", "And"),
    pgettext("dmn-js", "Then"),
    pgettext("dmn-js", "Annotations"),
    pgettext("dmn-js", "Hit policy:"),
    pgettext("dmn-js", "Hit policy"),
    pgettext("dmn-js", "View DRD"),
    pgettext("dmn-js", "Decision name"),
    pgettext("dmn-js", "Add rule"),
    # the context menu of rules and columns
    pgettext("dmn-js", "Add rule above"),
    pgettext("dmn-js", "Add rule below"),
    pgettext("dmn-js", "Remove rule"),
    pgettext("dmn-js", "Copy rule"),
    pgettext("dmn-js", "Cut rule"),
    pgettext("dmn-js", "Paste rule above"),
    pgettext("dmn-js", "Paste rule below"),
    pgettext("dmn-js", "Add input column left"),
    pgettext("dmn-js", "Add input column right"),
    pgettext("dmn-js", "Remove input column"),
    pgettext("dmn-js", "Add output column left"),
    pgettext("dmn-js", "Add output column right"),
    pgettext("dmn-js", "Remove output column"),
    pgettext("dmn-js", "Add input"),
    pgettext("dmn-js", "Add output"),
    pgettext("dmn-js", "Add cell description"),
    pgettext("dmn-js", "Remove cell description"),
    # column and cell editors
    pgettext("dmn-js", "Input label"),
    pgettext("dmn-js", "Input expression"),
    pgettext("dmn-js", "Input type"),
    pgettext("dmn-js", "Input values"),
    pgettext("dmn-js", "Output label"),
    pgettext("dmn-js", "Output name"),
    pgettext("dmn-js", "Output type"),
    pgettext("dmn-js", "Output values"),
    pgettext("dmn-js", "Expression"),
    pgettext("dmn-js", "Expression language"),
    pgettext("dmn-js", "Type"),
    pgettext("dmn-js", "Value"),
    pgettext("dmn-js", "Values"),
    pgettext("dmn-js", "Predefined values"),
    pgettext("dmn-js", "Add values"),
    pgettext("dmn-js", "Yes"),
    pgettext("dmn-js", "No"),
    pgettext("dmn-js", "Strings must be in double quotes"),
    pgettext("dmn-js", "Enter expression"),
    pgettext("dmn-js", "Edit string"),
    pgettext("dmn-js", "Edit number"),
    pgettext("dmn-js", "Edit boolean"),
    pgettext("dmn-js", "Edit date"),
    pgettext("dmn-js", "Set date"),
    pgettext("dmn-js", "Use today"),
)


def texts() -> dict[str, str]:
    """dmn-js's texts in the page's language, by their English; a text the language says the same way is left out
    (dmn-js shows its English)."""
    translated = {text: _p(CONTEXT, text) for text in DMN_JS_TEXTS}
    return {text: said for text, said in translated.items() if said != text}
