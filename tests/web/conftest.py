"""Web page fixtures: the real app on the real database (SQLite and PostgreSQL), a browser-like test client that
signs in through the sign-in form and sends the CSRF token as a page would, people of every role, documents.

The people and documents are tests.people's, with the roles only the web tests need; all accounts exist from the
start, as a browser signs in through the form.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from lxml import html as lxml_html

from api import create_app
from engine.bpmn.compiler import SourceFile
from engine.services import definitions
from engine.storage.models import Task
from tests import people as shared
from tests.conftest import PROJECT_ROOT
from tests.people import PASSWORD, PDF, RESEARCH_FILES, VESSEL_FILES, add_people
from tests.web.live import chromium

# username: (roles, groups, jurisdictions, full name)
PEOPLE = {
    **shared.PEOPLE,
    "verbone": (["officer"], ["verifier"], ["bone"], "Verifikator Bone"),
}


@pytest.fixture
def app(db, ctx):
    return create_app({"TESTING": True, "SECRET_KEY": "test-secret"}, context=ctx, session_factory=db.factory)


@pytest.fixture(scope="module")
def browser():
    """The browser tests' Chromium (tests/web/live.py), one per test module: launching it takes seconds."""
    with chromium() as launched:
        yield launched


@pytest.fixture
def people(db):
    with db.transaction() as session:
        add_people(session, PEOPLE)
    return PEOPLE


@pytest.fixture
def deployed(db, ctx):
    """Both real services deployed and published, with their forms from forms/."""
    for key in ("research_permit", "fishing_vessel_permit"):
        path = PROJECT_ROOT / "processes" / f"{key}.bpmn"
        with db.transaction() as session:
            definitions.deploy(session, ctx, SourceFile(path.name, path.read_bytes()), [],
                               definitions.form_source(ctx, path), actor="analis")


def page(response):
    """The response parsed as HTML, for asserting on elements rather than substrings."""
    return lxml_html.fromstring(response.get_data(as_text=True))


def text_of(response) -> str:
    return " ".join(page(response).text_content().split())


@dataclass
class Visitor:
    """One person's browser: cookies, the CSRF token of their session, forms sent as a page sends them."""

    client: object

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)

    def csrf(self) -> str:
        """The token the pages of this session carry (every page puts one into its forms)."""
        for _attempt in range(2):
            with self.client.session_transaction() as cookie:
                token = cookie.get("csrf")
            if token:
                return token
            self.client.get("/")  # every page puts the session's token into its forms
        raise AssertionError("the pages set no CSRF token")

    def post(self, path: str, data=None, *, csrf: bool = True, **kwargs):
        fields = dict(data or {})
        if csrf:
            fields.setdefault("_csrf", self.csrf())
        return self.client.post(path, data=fields, content_type="multipart/form-data", **kwargs)

    def sign_in(self, username: str, password: str = PASSWORD):
        response = self.post("/signin", {"username": username, "password": password})
        assert response.status_code == 302, text_of(response)
        return response

    def english(self):
        self.client.get("/lang/en")
        return self


@pytest.fixture
def visitor(app):
    def make(username: str | None = None) -> Visitor:
        person = Visitor(app.test_client())
        if username:
            person.sign_in(username)
        return person

    return make


def document(name: str = "dokumen.pdf", content: bytes = PDF):
    return (io.BytesIO(content), name)


def research_form(**overrides) -> dict:
    """The research permit start form as a phone would post it (files attached)."""
    fields = {
        "applicant_category": "student", "applicant_name": "Andi Pratama", "nik": "7371010101010001",
        "email": "andi@example.ac.id", "phone": "081234567890", "institution": "Universitas Hasanuddin",
        "student_id": "H071201001", "research_title": "Kajian mangrove pesisir Sinjai",
        "research_purpose": "Penyusunan skripsi sarjana", "research_method": "Survei lapangan dan wawancara",
        "location_regency": "sinjai", "location_detail": "Kecamatan Sinjai Timur", "start_date": "2026-07-01",
        "end_date": "2026-08-31", "declaration": "true",
    }
    for name in RESEARCH_FILES:
        fields[name] = document(f"{name}.pdf")
    fields.update(overrides)
    return {k: v for k, v in fields.items() if v is not None}


def vessel_form(regency: str = "sinjai", **overrides) -> dict:
    fields = {
        "owner_type": "individual", "owner_name": "Daeng Rahman", "nik": "7307010101010002", "nib": "1234567890123",
        "owner_address": "Jl. Pelabuhan 1", "phone": "081298765432", "vessel_name": "KM Bintang Laut",
        "gross_tonnage": "12", "home_regency": regency, "port_base": "PPI Lappa", "fishing_gear": "handline",
        "crew_count": "6", "declaration": "true",
    }
    for name in VESSEL_FILES:
        fields[name] = document(f"{name}.pdf")
    fields.update(overrides)
    return {k: v for k, v in fields.items() if v is not None}


def apply(person: Visitor, service: str = "research_permit", form: dict | None = None) -> int:
    """Apply through the page; the id of the new application."""
    form = form if form is not None else (research_form() if service == "research_permit" else vessel_form())
    response = person.post(f"/services/{service}/apply", form)
    assert response.status_code == 302, text_of(response)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def open_task_id(db, application_id: int, element_id: str) -> str:
    with db.transaction() as session:
        return session.query(Task.id).filter(Task.instance_id == application_id, Task.element_id == element_id,
                                             Task.state.in_(("ready", "claimed"))).scalar()
