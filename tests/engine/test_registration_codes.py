"""Registration numbers from the service's short code (process property ``code``): two services sharing a code
share its sequence, and a number a file already holds is skipped instead of failing the application."""

from __future__ import annotations

from engine.bpmn.compiler import SourceFile
from engine.services import definitions
from engine.storage.models import Instance, RegistrationCounter
from tests import samples
from tests.conftest import PROJECT_ROOT
from tests.drive import start


def _deploy_copy(db, ctx, key: str) -> None:
    """The research permit again under another key, keeping its code IP (a regency's copy of the service)."""
    path = PROJECT_ROOT / "processes" / "research_permit.bpmn"
    text = path.read_text(encoding="utf-8").replace('"research_permit"', f'"{key}"')
    with db.transaction() as session:
        definitions.deploy(session, ctx, SourceFile(path.name, text.encode()), [],
                           definitions.form_source(ctx, path), actor="analyst")


def _number(db, instance_id: int) -> str:
    with db.transaction() as session:
        return session.get(Instance, instance_id).registration_no


def test_two_services_with_one_code_number_their_files_in_one_sequence(db, ctx, deploy_service):
    deploy_service("research_permit")
    _deploy_copy(db, ctx, "research_permit_bone")
    first = start(db, ctx, "research_permit", samples.research_application())
    second = start(db, ctx, "research_permit_bone", samples.research_application())
    assert [_number(db, first), _number(db, second)] == ["DPMPTSP-SULSEL/IP/2026/00001",
                                                         "DPMPTSP-SULSEL/IP/2026/00002"]


def test_a_number_already_on_a_file_is_skipped(db, ctx, deploy_service):
    deploy_service("research_permit")
    first = start(db, ctx, "research_permit", samples.research_application())
    with db.transaction() as session:  # as if the counter had been kept elsewhere before the service had its code
        session.query(RegistrationCounter).filter(RegistrationCounter.service_key == "IP").delete()
    second = start(db, ctx, "research_permit", samples.research_application())
    assert _number(db, first) == "DPMPTSP-SULSEL/IP/2026/00001"
    assert _number(db, second) == "DPMPTSP-SULSEL/IP/2026/00002"
