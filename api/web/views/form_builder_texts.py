"""What the form builder (``api/web/static/analyst/form-builder.js``) says, in the page's language: the script looks
its texts up in what the page sends (``data-texts``), translated from the one catalogue."""

from __future__ import annotations

from flask_babel import gettext as _


def N_(text: str) -> str:  # noqa: N802 - Babel's marker for a text translated later (it extracts N_("…"))
    return text


TEXTS = (
    N_("Field name"), N_("Label"), N_("Kind"), N_("Required"), N_("Choices"), N_("Remove"),
    N_("advanced (edit the JSON)"), N_("One per line; value: label"),
    N_("A field name is lower-case letters, digits and _, starting with a letter: "), N_("Two fields are named "),
    N_("The JSON below does not parse: fix it there first."),
    N_("kind:text"), N_("kind:longtext"), N_("kind:number"), N_("kind:yesno"), N_("kind:date"), N_("kind:email"),
    N_("kind:choice"), N_("kind:file"), N_("kind:group"),
    N_("Field name in the group "), N_("Add a field to this group"),
    N_("Conditions"), N_("Applicants always see the field; the form is refused without it while the condition holds."),
    N_("Add a condition"), N_("A condition looks at a field with a value: add one first."),
    N_("Field that becomes required"), N_("Field the condition looks at"), N_("Value"), N_("Yes"), N_("No"),
    N_("Require"), N_("when"), N_("equals"),
    N_("A condition names a field the form does not have (change or remove the condition): "),
    N_("A condition cannot require the field it looks at: "), N_("A condition's value is not a number: "),
    N_("Kept from the JSON (edit there)"), N_("field "),
)

# English labels of the kinds (their ids are keys, not sentences).
ENGLISH = {"kind:text": "Short text", "kind:longtext": "Long text", "kind:number": "Number", "kind:yesno": "Yes/no",
           "kind:date": "Date", "kind:email": "E-mail", "kind:choice": "Choice", "kind:file": "Document upload",
           "kind:group": "Group of fields"}


def texts() -> dict[str, str]:
    translated = {text: _(text) for text in TEXTS}
    return {text: (ENGLISH[text] if value == text and text in ENGLISH else value) for text, value in translated.items()}
