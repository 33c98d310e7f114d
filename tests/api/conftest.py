"""API test fixtures: the real app on the real database (SQLite and PostgreSQL), people of every role, documents.

The people and documents are tests.people's, with the roles only the API tests need; accounts are created on first
use.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from prometheus_client.parser import text_string_to_metric_families

from api import create_app
from api.hot_path import HotPaths
from engine.bpmn.compiler import SourceFile
from engine.people import tokens
from engine.services import definitions
from engine.storage.models import User
from tests import people as shared
from tests import samples
from tests.conftest import PROJECT_ROOT
from tests.people import PDF, RESEARCH_FILES, VESSEL_FILES, account, list_groups

# username: (roles, groups, jurisdictions, full name)
PEOPLE = {
    **shared.PEOPLE,
    "analis": (["analyst"], [], [], "Analis Layanan"),
    "manajer": (["manager"], [], ["*"], "Kabid Pelayanan"),
    "loket.bone": (["officer"], ["front_office"], ["bone"], "Front Office Bone"),
    "rudi": (["officer"], ["fisheries_reviewer"], ["sulsel"], "Rudi Penelaah"),
}


@pytest.fixture
def app(db, ctx):
    return create_app({"TESTING": True}, context=ctx, session_factory=db.factory)


@pytest.fixture
def flask_only(app):
    """``flask_only(False)`` switches the hot paths off (``api.hot_path``): every request goes straight to Flask;
    ``flask_only(True)`` switches them on again."""
    paths = app.wsgi_app
    assert isinstance(paths, HotPaths)

    def switch(on: bool) -> None:
        app.wsgi_app = paths if on else paths.app
    return switch


def answered(client, method: str, route: str, status: int) -> float:
    """``lincah_http_requests_total`` for one route, method and status, as ``GET /metrics`` reports it now."""
    metrics = client.get("/metrics").get_data(as_text=True)
    wanted = {"method": method, "route": route, "status": str(status)}
    return sum(sample.value for family in text_string_to_metric_families(metrics) for sample in family.samples
               if sample.name == "lincah_http_requests_total" and sample.labels == wanted)


@pytest.fixture
def client(app):
    return app.test_client()


def add_user(db, username: str, roles, groups=(), jurisdictions=(), full_name: str = "", active: bool = True) -> None:
    with db.transaction() as session:
        session.add(account(username, roles, groups, jurisdictions, full_name, active))


@dataclass
class People:
    db: object
    ctx: object

    def headers(self, username: str) -> dict:
        """Authorization headers of ``username`` (one of PEOPLE), creating the account on first use."""
        with self.db.transaction() as session:
            user = session.query(User).filter_by(username=username).one_or_none()
            if user is None:
                list_groups(session)
                user = account(username, *PEOPLE[username])
                session.add(user)
                session.flush()
            token = tokens.issue(session, self.ctx, user).token
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def people(db, ctx) -> People:
    return People(db, ctx)


@pytest.fixture
def deployed(db, ctx):
    """Both real services deployed and published, with their forms from forms/."""
    for key in ("research_permit", "fishing_vessel_permit"):
        path = PROJECT_ROOT / "processes" / f"{key}.bpmn"
        with db.transaction() as session:
            definitions.deploy(session, ctx, SourceFile(path.name, path.read_bytes()), [],
                               definitions.form_source(ctx, path), actor="analis")


def upload(client, headers, content: bytes = PDF, name: str = "dokumen.pdf") -> dict:
    response = client.post("/api/v1/attachments", headers=headers,
                           data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def research_data(client, headers, **overrides) -> dict:
    """A valid research-permit start form whose file fields reference real uploads of the caller."""
    files = {name: upload(client, headers, name=f"{name}.pdf") for name in RESEARCH_FILES}
    return samples.research_application(**{**files, **overrides})


def vessel_data(client, headers, regency: str = "sinjai", **overrides) -> dict:
    files = {name: upload(client, headers, name=f"{name}.pdf") for name in VESSEL_FILES}
    return samples.vessel_application(regency, **{**files, **overrides})


def apply(client, headers, service: str = "research_permit", data: dict | None = None, **body) -> dict:
    if data is None:
        data = research_data(client, headers) if service == "research_permit" else vessel_data(client, headers)
    response = client.post("/api/v1/applications", headers=headers, json={"service": service, "data": data, **body})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def open_task(client, headers, application_id: int, element_id: str) -> dict:
    detail = client.get(f"/api/v1/applications/{application_id}", headers=headers).get_json()
    (task,) = [t for t in detail["tasks"] if t["element_id"] == element_id]
    return task


def complete(client, headers, task_id: str, data: dict | None = None, decision: str | None = None):
    body = {"data": data or {}}
    if decision is not None:
        body["decision"] = decision
    return client.post(f"/api/v1/tasks/{task_id}/complete", headers=headers, json=body)
