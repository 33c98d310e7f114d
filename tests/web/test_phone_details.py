"""The phone details of the forms: the right keyboard and autofill per field, long texts that count down instead of
being cut at ``maxlength`` (the server refuses a longer text on the field itself), and registration numbers built
from the service's short code that wrap only between their parts."""

from __future__ import annotations

import pytest

from api.web import field_hints
from engine.storage.models import Instance
from tests.web.conftest import apply, page, research_form, text_of

pytestmark = pytest.mark.usefixtures("deployed", "people")


def _field(tree, name: str):
    (element,) = tree.cssselect(f"[name={name}]")
    return element


def test_the_apply_form_asks_phones_for_the_right_keyboard_and_autofill(visitor):
    tree = page(visitor("andi").get("/services/research_permit/apply"))
    keyboards = {name: (_field(tree, name).get("inputmode"), _field(tree, name).get("autocomplete"))
                 for name in ("phone", "nik", "email", "applicant_name", "institution")}
    assert keyboards == {"phone": ("tel", "tel"), "nik": ("numeric", "off"), "email": ("email", "email"),
                         "applicant_name": (None, "name"), "institution": (None, "organization")}
    vessel = page(visitor("andi").get("/services/fishing_vessel_permit/apply"))
    assert _field(vessel, "nib").get("inputmode") == "numeric"
    assert _field(vessel, "phone").get("inputmode") == "tel"


@pytest.mark.parametrize(("name", "schema", "expected"), [
    ("nomor_hp", {}, {"inputmode": "tel", "autocomplete": "tel"}),
    ("whatsapp", {}, {"inputmode": "tel", "autocomplete": "tel"}),
    ("contact", {"format": "phone"}, {"inputmode": "tel", "autocomplete": "tel"}),
    ("kode_pos", {}, {"inputmode": "numeric", "autocomplete": "postal-code"}),
    ("crew.2.nik", {}, {"inputmode": "numeric", "autocomplete": "off"}),
    ("vessel_name", {}, {}),
    ("hotel", {}, {}),
])
def test_field_names_people_use_choose_the_keyboard(name, schema, expected):
    assert field_hints.keyboard(name, schema, "text") == expected


def test_a_long_text_counts_down_and_is_never_cut_by_the_browser(visitor):
    tree = page(visitor("andi").get("/services/research_permit/apply"))
    method = _field(tree, "research_method")
    assert method.tag == "textarea" and method.get("maxlength") is None, "maxlength would cut pasted text silently"
    assert method.get("data-maxlength") == "2000"
    counter = tree.cssselect("#f-research_method-count")[0]
    assert counter.text_content().strip() == "Sisa 2.000 karakter"
    assert "f-research_method-count" in method.get("aria-describedby")
    assert counter.get("data-left") == "Sisa {n} karakter" and counter.get("data-over") == "Kelebihan {n} karakter"
    title = _field(tree, "research_title")
    assert title.get("data-maxlength") == "300" and title.get("maxlength") is None, "a long one-line text counts too"
    assert _field(tree, "phone").get("maxlength") == "16", "a short field keeps its plain limit"


def test_a_text_longer_than_its_limit_is_refused_on_its_field_and_kept_whole(visitor):
    too_long = ("Wawancara nelayan. " * 106).strip()  # 2,013 characters
    response = visitor("andi").post("/services/research_permit/apply", research_form(research_method=too_long))
    assert response.status_code == 422
    tree = page(response)
    assert "2000" in tree.cssselect("#f-research_method-error")[0].text_content().replace(".", "")
    assert _field(tree, "research_method").text_content() == too_long, "nothing typed is lost or cut"
    assert tree.cssselect("#f-research_method-count")[0].text_content().strip() == "Kelebihan 13 karakter"


def test_the_registration_number_uses_the_services_code_and_breaks_only_after_a_slash(visitor, db):
    application_id = apply(visitor("andi"))
    with db.transaction() as session:
        number = session.get(Instance, application_id).registration_no
    assert number.split("/")[1] == "IP", "the short code of the process property 'code', not research_permit"
    mine = visitor("andi").get(f"/applications/{application_id}")
    (shown,) = page(mine).cssselect("dd .regno")
    assert shown.text_content() == number
    assert mine.get_data(as_text=True).count("/<wbr>") >= 3
    assert "Izin Penelitian" in text_of(mine)
