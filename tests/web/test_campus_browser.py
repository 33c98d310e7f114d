"""A campus operator in a real browser (Debian's Chromium driven by Playwright) against a real server: Universitas
Hasanuddin's operator finds its student's research permit file on the campus page, confirms the student on the
task page (the *surat pengantar* step of examples/research_permit_campus.bpmn), and once the office has verified and
signed, downloads the issued letter from the same page — the very letter the office stored. The campus page is saved
as docs/screenshots/campus-files.png (when missing, or with LINCAH_SCREENSHOTS=1).

Needs /usr/bin/chromium (``.ci/run`` installs it).
"""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from engine.casework import applications, tasks
from engine.people import institutions, users
from engine.people.access import ADMIN, ALL_JURISDICTIONS, Actor
from engine.storage.db import transaction
from engine.storage.models import IssuedLetter, User
from tests import samples
from tests.conftest import PROJECT_ROOT
from tests.engine.conftest import HEAD, VERIFIER, open_task_rows
from tests.letters import set_up_letterhead
from tests.people import CHEAP_HASH, add_people
from tests.web import live
from tests.web.conftest import PEOPLE
from tests.web.live import SHOTS
from tests.web.test_browser import sign_in

DESK = {"viewport": {"width": 1280, "height": 900}, "locale": "id-ID", "accept_downloads": True}
ADMIN_ACTOR = Actor.of("admin", [ADMIN], jurisdictions=[ALL_JURISDICTIONS])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with live.product(tmp_path_factory.mktemp("campus")) as lincah:
        ctx = lincah.ctx
        app = lincah.app("campus-test")
        with lincah.transaction() as session:
            live.deploy(session, ctx, PROJECT_ROOT / "examples" / "research_permit_campus.bpmn")
            add_people(session, PEOPLE)
            set_up_letterhead(session)
            for code, name in (("unhas", "Universitas Hasanuddin"), ("unm", "Universitas Negeri Makassar")):
                institutions.create(session, ctx, ADMIN_ACTOR, code=code, name=name)
                institutions.add_operator(session, ctx, ADMIN_ACTOR, code=code, username=f"op-{code}",
                                          password="kampus-merdeka-2026", full_name=f"Operator {name}")
            session.query(User).filter(User.username.in_(("op-unhas", "op-unm"))).update(
                {"password_hash": CHEAP_HASH}, synchronize_session=False)
            session.query(User).filter_by(username="andi").update({"institution_code": "unhas"})
        with live.serve(app) as base:
            yield {"base": base, "factory": lincah.factory, "ctx": ctx}


def _step(server, iid: int, element_id: str, actor, data: dict, decision: str | None = None) -> None:
    with transaction(server["factory"]) as session:
        (task,) = [t for t in open_task_rows(session, iid) if t.element_id == element_id]
        if decision is None and task.decision_choices:
            decision = task.decision_choices[0]  # the approving choice
        tasks.complete(session, server["ctx"], task.id, actor, data, decision=decision)


def test_a_campus_operator_confirms_a_student_and_downloads_the_letter(server, browser, tmp_path):
    with transaction(server["factory"]) as session:
        student = users.actor_of(users.by_username(session, "andi"))
        iid = applications.start(session, server["ctx"], service="research_permit",
                                 data=samples.research_application(), actor=student,
                                 institution=student.institution).id

    operator = browser.new_context(base_url=server["base"], **DESK).new_page()
    sign_in(operator, "op-unhas")
    operator.goto("/campus")
    card = operator.locator("li.campus-file")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Andi Pratama")
    if not (SHOTS / "campus-files.png").exists() or os.environ.get("LINCAH_SCREENSHOTS") == "1":
        operator.screenshot(path=str(SHOTS / "campus-files.png"), full_page=True)
    card.locator("a.button.primary").click()  # the step waiting for the campus
    expect(operator.locator("h1")).to_contain_text("Konfirmasi mahasiswa oleh kampus")
    operator.check("input[name=student_confirmed]")
    operator.fill("textarea[name=campus_note]", "Mahasiswa aktif Fakultas Kehutanan, angkatan 2021")
    operator.click("form.form button[type=submit]:not([disabled])")
    expect(operator.locator("h1")).to_have_text("Berkas mahasiswa")  # back on the campus page
    with transaction(server["factory"]) as session:
        assert [t.element_id for t in open_task_rows(session, iid)] == ["Task_Verify"]

    other = browser.new_context(base_url=server["base"], **DESK).new_page()
    sign_in(other, "op-unm")
    other.goto("/campus")
    expect(other.locator("li.campus-file")).to_have_count(0)  # another campus sees nothing of it

    _step(server, iid, "Task_Verify", VERIFIER, samples.VERIFIED, "Setujui")
    _step(server, iid, "Task_Sign", HEAD, samples.SIGNATURE)
    with transaction(server["factory"]) as session:
        stored = session.get(IssuedLetter, iid).pdf
    operator.goto("/campus")
    with operator.expect_download() as downloading:
        operator.click(f"a[href='/applications/{iid}/permit.pdf']")
    held = tmp_path / "izin.pdf"
    downloading.value.save_as(held)
    assert held.read_bytes() == stored  # the letter the office issued, byte for byte


def test_an_administrator_adds_a_campus_and_its_operator_who_then_signs_in(server, browser):
    admin = browser.new_context(base_url=server["base"], **DESK).new_page()
    sign_in(admin, "admin")
    admin.goto("/admin/institutions")
    expect(admin.locator("#institution-unhas .institution-operators")).to_contain_text("op-unhas")
    form = admin.locator("#institution-add")
    form.locator("input[name=code]").fill("uin-alauddin")
    form.locator("input[name=name]").fill("UIN Alauddin Makassar")
    form.locator("input[name=address]").fill("Jl. H. M. Yasin Limpo No. 36, Gowa")
    form.locator("button[type=submit]").click()
    expect(admin.locator("#institution-uin-alauddin input[name=name]")).to_have_value("UIN Alauddin Makassar")
    operator = admin.locator("#operator-add")
    operator.locator("select[name=institution]").select_option("uin-alauddin")
    operator.locator("input[name=username]").fill("op-uin")
    operator.locator("input[name=full_name]").fill("Operator UIN")
    operator.locator("input[name=password]").fill("Sulawesi-kampus-2026!")
    operator.locator("button[type=submit]").click()
    expect(admin.locator("#institution-uin-alauddin .institution-operators")).to_contain_text("op-uin")
    if not (SHOTS / "admin-institutions.png").exists() or os.environ.get("LINCAH_SCREENSHOTS") == "1":
        admin.screenshot(path=str(SHOTS / "admin-institutions.png"), full_page=True)

    campus = browser.new_context(base_url=server["base"], **DESK).new_page()
    sign_in(campus, "op-uin", "Sulawesi-kampus-2026!")
    campus.goto("/campus")
    expect(campus.locator("p.lead")).to_have_text("UIN Alauddin Makassar")
