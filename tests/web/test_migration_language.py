"""The migration page says why an application cannot move in the page's language: the dry run's reasons, the run's
refusals and a plan naming elements the versions lack read in Indonesian on an Indonesian page and in English on an
English one, with the same specifics (the step, the version, the registration number)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.bpmn.compiler import SourceFile
from engine.services import definitions
from engine.storage.models import Instance
from tests.conftest import PROJECT_ROOT
from tests.web.conftest import apply, page
from tests.web.studio_support import studio_people  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("deployed", "studio_people")

BPMN = PROJECT_ROOT / "processes" / "research_permit.bpmn"
MIGRATE = "/analyst/services/research_permit/migrate"
NOWHERE = {"from": "1", "to": "2", "map.Task_Verify": ""}  # the step the applications are at goes nowhere


@pytest.fixture
def running_on_v1(db, ctx, visitor) -> list[str]:
    """Two research-permit applications at verification on version 1; version 2 (the step renamed) published."""
    applicant = visitor("andi")
    ids = [apply(applicant), apply(applicant)]
    changed = BPMN.read_text().replace('name="Verifikasi berkas"', 'name="Verifikasi dokumen"', 1)
    with db.transaction() as session:
        definitions.deploy(session, ctx, SourceFile(BPMN.name, changed.encode()), [],
                           definitions.form_source(ctx, BPMN), actor="ana")
        return list(session.scalars(select(Instance.registration_no).where(Instance.id.in_(ids))
                                    .order_by(Instance.id)))


def _blocked(response) -> list[str]:
    return [" ".join(li.text_content().split()) for li in page(response).cssselect("ul.migrate-blocked li")]


def _stayed(response) -> list[str]:
    return [" ".join(li.text_content().split()) for li in page(response).cssselect("ul.migrate-stayed li")]


def _flashes(response) -> str:
    return " ".join(" ".join(p.text_content().split()) for p in page(response).cssselect("p.flash-error"))


def test_the_dry_run_says_why_an_application_stays_in_the_page_language(visitor, running_on_v1):
    first, second = running_on_v1
    indonesian = visitor("ana").post(MIGRATE, {**NOWHERE, "action": "dry-run"})
    assert indonesian.status_code == 200
    assert _blocked(indonesian) == [
        f"{number}: langkahnya saat ini, 'Task_Verify', tidak ada di versi 2 dan rencana tidak memindahkannya ke "
        "mana pun" for number in (first, second)]
    english = visitor("ana").english().post(MIGRATE, {**NOWHERE, "action": "dry-run"})
    assert _blocked(english) == [
        f"{number}: its current step 'Task_Verify' is not in version 2 and the plan maps it nowhere"
        for number in (first, second)]


def test_the_run_reports_the_applications_that_stayed_in_the_page_language(visitor, db, running_on_v1):
    first, second = running_on_v1
    indonesian = visitor("ana").post(MIGRATE, {**NOWHERE, "action": "run", "note": "uji"})
    assert indonesian.status_code == 200
    assert _stayed(indonesian) == [
        f"Permohonan {number} tidak dapat dipindahkan ke versi 2: langkahnya saat ini, 'Task_Verify', tidak ada di "
        "versi 2 dan rencana tidak memindahkannya ke mana pun." for number in (first, second)]
    english = visitor("ana").english().post(MIGRATE, {**NOWHERE, "action": "run", "note": "test"})
    assert _stayed(english) == [
        f"Application {number} cannot move to version 2: its current step 'Task_Verify' is not in version 2 and "
        "the plan maps it nowhere." for number in (first, second)]
    with db.transaction() as session:  # refused: both still on version 1
        versions = {i.definition.version for i in session.scalars(select(Instance).where(
            Instance.registration_no.in_(running_on_v1)))}
    assert versions == {1}


def test_a_plan_naming_an_element_the_new_version_lacks_is_refused_in_the_page_language(visitor, running_on_v1):
    crafted = {"from": "1", "to": "2", "map.Task_Verify": "Task_Nowhere", "action": "dry-run"}
    indonesian = visitor("ana").post(MIGRATE, crafted)
    assert indonesian.status_code == 200 and not page(indonesian).cssselect("section.migrate-dry-run")
    assert _flashes(indonesian) == ("Rencana pemindahan menyebut elemen yang tidak dimiliki versi-versi itu. versi 2 "
                                    "tidak memiliki elemen 'Task_Nowhere' sebagai tujuan 'Task_Verify'")
    english = visitor("ana").english().post(MIGRATE, crafted)
    assert _flashes(english) == ("The migration plan names elements the versions do not have. version 2 has no "
                                 "element 'Task_Nowhere' to map 'Task_Verify' to")
