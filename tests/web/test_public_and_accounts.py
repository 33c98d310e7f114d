"""Public pages, languages, signing in and out, registering, and CSRF — through the real app and database."""

from __future__ import annotations

import pytest

from engine.storage.models import ApiToken, User
from tests.web.conftest import page, text_of
from tests.web.studio_support import studio_people  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("deployed")


def test_catalogue_lists_the_published_services_in_bahasa_indonesia_by_default(visitor):
    response = visitor().get("/")
    assert response.status_code == 200
    tree = page(response)
    assert tree.get("lang") == "id"
    assert [a.text_content() for a in tree.cssselect(".card h2 a")] == ["Surat Izin Penangkapan Ikan (SIPI)",
                                                                         "Izin Penelitian"]
    text = text_of(response)
    assert "Layanan perizinan" in text and "Gratis" in text and "1 hari kerja" in text and "5 hari kerja" in text


def test_the_language_switch_changes_every_text_and_the_service_names_and_returns_to_the_page(visitor):
    person = visitor()
    response = person.get("/lang/en?next=/services/research_permit")
    assert response.status_code == 302 and response.headers["Location"] == "/services/research_permit"
    response = person.get("/services/research_permit")
    tree = page(response)
    assert tree.get("lang") == "en"
    assert tree.cssselect("h1")[0].text_content() == "Research Permit"
    text = text_of(response)
    assert "Requirements" in text and "Research permit application letter" in text and "Free" in text
    assert tree.cssselect("a[hreflang=id]")[0].get("href").startswith("/lang/id?next=/services/research_permit")
    person.get("/lang/id")
    assert page(person.get("/services/research_permit")).cssselect("h1")[0].text_content() == "Izin Penelitian"


def test_the_language_switch_never_sends_people_to_another_site(visitor):
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        response = visitor().get("/lang/en", query_string={"next": target})
        assert response.headers["Location"] == "/"
    assert visitor().get("/lang/fr").status_code == 404


def test_service_page_publishes_the_six_components_and_the_diagram(visitor):
    response = visitor().get("/services/fishing_vessel_permit")
    tree = page(response)
    headings = [h.text_content() for h in tree.cssselect("section.standard h3")]
    assert headings == ["1. Persyaratan", "2. Prosedur", "3. Jangka waktu penyelesaian", "4. Biaya/tarif",
                        "5. Produk pelayanan", "6. Pengaduan"]
    canvas = tree.cssselect("[data-bpmn-url]")[0]
    assert canvas.get("data-bpmn-url") == "/services/fishing_vessel_permit/1/diagram.bpmn"
    assert "Rekomendasi kabupaten" in text_of(response), "the steps are listed for readers without the diagram"
    xml = visitor().get(canvas.get("data-bpmn-url"))
    assert xml.status_code == 200 and xml.mimetype == "application/xml" and b"Task_Recommend" in xml.data


def test_a_draft_diagram_is_for_staff_only(visitor, db, ctx, people):
    from engine.bpmn.compiler import SourceFile
    from engine.services import definitions
    from tests.conftest import PROJECT_ROOT

    path = PROJECT_ROOT / "processes" / "research_permit.bpmn"
    changed = path.read_text().replace('name="Verifikasi berkas"', 'name="Verifikasi berkas v2"')
    with db.transaction() as session:
        draft = definitions.deploy(session, ctx, SourceFile(path.name, changed.encode()), [],
                                   definitions.form_source(ctx, path), actor="analis", publish=False).definition
    url = f"/services/research_permit/{draft.version}/diagram.bpmn"
    assert visitor().get(url).status_code == 404
    assert visitor("andi").get(url).status_code == 404
    assert visitor("vera").get(url).status_code == 200


def test_signing_in_with_a_wrong_password_says_so_and_counts_the_failure(visitor, people, db):
    person = visitor()
    response = person.post("/signin", {"username": "andi", "password": "salah-sekali"})
    assert response.status_code == 422
    assert "Nama pengguna atau kata sandi salah." in text_of(response)
    assert page(response).cssselect("input[name=username]")[0].get("value") == "andi", "typed name kept"
    assert page(response).cssselect("input[name=password]")[0].get("value") is None, "password never echoed"
    for _ in range(5):
        response = person.post("/signin", {"username": "andi", "password": "salah-sekali"})
    assert "Terlalu banyak percobaan masuk yang gagal" in text_of(response)


def test_sign_in_goes_to_the_persons_work_and_sign_out_revokes_the_session(visitor, people, db):
    person = visitor()
    response = person.post("/signin", {"username": "vera", "password": "rahasia-sekali", "next": ""})
    assert response.headers["Location"] == "/inbox"
    assert person.get("/inbox").status_code == 200
    response = person.post("/signout")
    assert response.status_code == 302
    assert person.get("/inbox").headers["Location"].startswith("/signin?next=/inbox")
    with db.transaction() as session:
        (token,) = session.query(ApiToken).filter(ApiToken.label == "web").all()
        assert token.revoked_at is not None


def test_sign_in_returns_to_the_page_that_asked_for_it_but_never_to_another_site(visitor, people):
    person = visitor()
    response = person.get("/services/research_permit/apply")
    assert response.headers["Location"] == "/signin?next=/services/research_permit/apply"
    response = person.post("/signin", {"username": "andi", "password": "rahasia-sekali",
                                       "next": "/services/research_permit/apply"})
    assert response.headers["Location"] == "/services/research_permit/apply"
    other = visitor()
    response = other.post("/signin", {"username": "andi", "password": "rahasia-sekali", "next": "//evil.example"})
    assert response.headers["Location"] == "/applications"


def test_a_deactivated_account_is_signed_out_of_the_pages_at_once(visitor, people, db):
    person = visitor("andi")
    assert person.get("/applications").status_code == 200
    with db.transaction() as session:
        session.query(User).filter_by(username="andi").update({"active": False})
    assert person.get("/applications").status_code == 302


def test_register_creates_an_applicant_and_signs_them_in(visitor, db):
    person = visitor()
    response = person.post("/register", {"full_name": "Siti Rahma", "email": "siti@example.ac.id",
                                         "username": "siti", "password": "kata-sandi-kuat",
                                         "next": "/services/research_permit/apply"})
    assert response.headers["Location"] == "/services/research_permit/apply"
    assert person.get("/services/research_permit/apply").status_code == 200
    with db.transaction() as session:
        user = session.query(User).filter_by(username="siti").one()
        assert user.roles == ["applicant"] and user.full_name == "Siti Rahma"


def test_register_shows_errors_next_to_fields_and_keeps_what_was_typed(visitor, people):
    response = visitor().post("/register", {"full_name": "Siti Rahma", "username": "Siti Rahma!",
                                            "password": "pendek", "email": "bukan-email"})
    assert response.status_code == 422
    tree = page(response)
    assert tree.cssselect("input[name=full_name]")[0].get("value") == "Siti Rahma"
    assert "Isi minimal 8 karakter." in tree.cssselect("#f-password-error")[0].text_content()
    assert "Isi alamat email" in tree.cssselect("#f-email-error")[0].text_content()
    assert "huruf kecil" in tree.cssselect("#f-username-error")[0].text_content(), "all mistakes at once"
    summary = tree.get_element_by_id("error-summary").text_content()
    assert "Nama pengguna" in summary and "Kata sandi" in summary
    taken = visitor().post("/register", {"full_name": "Andi Lain", "username": "andi", "password": "kata-sandi-kuat"})
    assert "Nama pengguna ini sudah dipakai" in page(taken).cssselect("#f-username-error")[0].text_content()


def test_every_form_post_needs_the_sessions_csrf_token(visitor, people, db):
    person = visitor("andi")
    for token in (None, "forged-token"):
        fields = {"full_name": "X Y Z", "username": "xyz", "password": "kata-sandi-kuat"}
        if token:
            fields["_csrf"] = token
        response = person.post("/register", fields, csrf=False)
        assert response.status_code == 400
        assert "Formulir sudah kedaluwarsa" in text_of(response)
    assert person.post("/signout", csrf=False).status_code == 400
    assert person.get("/applications").status_code == 200, "a refused sign-out changes nothing"
    with db.transaction() as session:
        assert session.query(User).filter_by(username="xyz").count() == 0


def test_unknown_pages_and_errors_are_pages_in_the_persons_language(visitor, people):
    response = visitor("andi").get("/applications/999999")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "Tidak ditemukan" in text_of(response)
    response = visitor("andi").english().get("/applications/999999")
    assert "Not found" in text_of(response)
    response = visitor("andi").get("/inbox")
    assert response.status_code == 403 and "Tidak diizinkan" in text_of(response)


@pytest.mark.parametrize(("username", "home"), [
    ("ana", "/analyst/services"), ("mira", "/manager"), ("vera", "/inbox"), ("supri", "/inbox"),
    ("admin", "/admin/users"), ("andi", "/applications")])
@pytest.mark.usefixtures("studio_people")
def test_signing_in_lands_each_role_on_its_own_work_not_the_catalogue(visitor, username, home):
    person = visitor()
    response = person.post("/signin", {"username": username, "password": "rahasia-sekali"})
    assert response.headers["Location"] == home
    assert person.get(home).status_code == 200
    assert person.get("/signin").headers["Location"] == home, "an open sign-in page sends them home too"


@pytest.mark.usefixtures("studio_people")
def test_an_analyst_asked_for_a_page_still_returns_to_it_and_never_to_another_site(visitor):
    response = visitor().post("/signin", {"username": "ana", "password": "rahasia-sekali",
                                          "next": "/analyst/modeler"})
    assert response.headers["Location"] == "/analyst/modeler"
    response = visitor().post("/signin", {"username": "mira", "password": "rahasia-sekali",
                                          "next": "https://evil.example/manager"})
    assert response.headers["Location"] == "/manager"


def test_the_steps_name_who_works_them_by_candidate_group_not_the_lane_they_are_drawn_in(visitor, db, ctx, people):
    from engine.bpmn.compiler import SourceFile
    from engine.services import definitions
    from tests.conftest import PROJECT_ROOT

    path = PROJECT_ROOT / "processes" / "research_permit.bpmn"
    moved = path.read_text().replace("<bpmn:flowNodeRef>Task_Verify</bpmn:flowNodeRef>", "").replace(
        "<bpmn:flowNodeRef>Task_IssueNumber</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>Task_IssueNumber</bpmn:flowNodeRef><bpmn:flowNodeRef>Task_Verify</bpmn:flowNodeRef>")
    with db.transaction() as session:
        definitions.deploy(session, ctx, SourceFile(path.name, moved.encode()), [], definitions.form_source(ctx, path),
                           actor="analis")
    steps = {li.cssselect("strong")[0].text_content(): li.cssselect(".muted")[0].text_content()
             for li in page(visitor().get("/services/research_permit")).cssselect("ol.steps li")}
    assert steps["Verifikasi berkas"] == "— Verifikator · 4 jam kerja", "the verifier group, not the lane 'Sistem'"
    assert steps["Tanda tangan izin"].startswith("— Kepala Dinas")
    assert steps["Perbaiki permohonan"].startswith("— Pemohon"), "a step without a group: its lane"
    english = page(visitor().english().get("/services/research_permit")).cssselect("ol.steps li .muted")
    assert any(s.text_content().startswith("— Verifier") for s in english)


def test_an_address_without_a_domain_is_no_e_mail_address_on_the_page_nor_in_the_engine(visitor, people, db, ctx):
    """jsonschema's own check asks only for an '@': every notification to rina@bukan would bounce."""
    from engine.errors import InvalidInput
    from engine.people import users

    response = visitor().post("/register", {"full_name": "Rina Baru", "username": "rina",
                                            "password": "kata-sandi-kuat", "email": "rina@bukan"})
    assert response.status_code == 422
    assert "Isi alamat email" in page(response).cssselect("#f-email-error")[0].text_content()
    with db.transaction() as session, pytest.raises(InvalidInput) as refused:
        users.create(session, username="rina", password="kata-sandi-kuat", roles=["applicant"], email="rina@bukan")
    assert set(refused.value.details) == {"email"}
    ok = visitor().post("/register", {"full_name": "Rina Baru", "username": "rina", "password": "kata-sandi-kuat",
                                      "email": "rina@contoh.id"})
    assert ok.status_code == 302
