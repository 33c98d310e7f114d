"""The permit letter in a real browser (Debian's Chromium driven by Playwright) against a real server: the applicant
downloads the letter stored when the permit was issued; anyone opening the address its QR code holds sees what the
office issued, checks the PDF they hold (the very file: identical; one byte changed: not), and sees a revocation
with its reason once a supervisor revoked it. Both letters (page 1) and the verification page are saved as
screenshots in docs/screenshots/ (when missing, or with LINCAH_SCREENSHOTS=1).

Needs /usr/bin/chromium (``.ci/run`` installs it).
"""

from __future__ import annotations

import io
import os

import pypdf
import pytest
from playwright.sync_api import expect

from engine.casework import applications, tasks
from engine.people import offices
from engine.storage.db import transaction
from engine.storage.models import IssuedLetter
from tests import samples
from tests.conftest import T0
from tests.engine.conftest import APPLICANT, HEAD, REVIEWER, SINJAI_FISHERIES, VERIFIER, open_task_rows
from tests.letters import page_image, qr_addresses, set_up_letterhead
from tests.people import add_people
from tests.web import live
from tests.web.conftest import PEOPLE
from tests.web.live import SHOTS
from tests.web.test_browser import sign_in

DESK = {"viewport": {"width": 1280, "height": 900}, "locale": "id-ID", "accept_downloads": True}


def _step(session, ctx, iid, element_id, actor, data=None, decision=None):
    (task,) = [t for t in open_task_rows(session, iid) if t.element_id == element_id]
    if element_id == "Task_Sign" and decision is None and task.decision_choices:
        decision = task.decision_choices[0]  # the signing step's approving choice, where it offers choices
    tasks.complete(session, ctx, task.id, actor, data or {}, decision=decision)


def _issued(factory, ctx, service: str) -> int:
    with transaction(factory) as session:
        if service == "research_permit":
            iid = applications.start(session, ctx, service=service, data=samples.research_application(),
                                     actor=APPLICANT).id
            _step(session, ctx, iid, "Task_Verify", VERIFIER, samples.VERIFIED, "Setujui")
        else:
            iid = applications.start(session, ctx, service=service, actor=APPLICANT,
                                     data=samples.vessel_application("sinjai", gross_tonnage=12.5)).id
            _step(session, ctx, iid, "Task_Recommend", SINJAI_FISHERIES, {"recommendation_number": "523/88/DKP-SNJ"},
                  "Rekomendasikan")
            _step(session, ctx, iid, "Task_Inspect", SINJAI_FISHERIES, {**samples.INSPECTION, "measured_gt": 12.4},
                  "Layak")
            _step(session, ctx, iid, "Task_Review", REVIEWER,
                  {"approved_fishing_area": "WPP 713 (Selat Makassar, Teluk Bone)", "approved_gear": "handline"},
                  "Setujui")
        _step(session, ctx, iid, "Task_Sign", HEAD, samples.SIGNATURE)
        return iid


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with live.product(tmp_path_factory.mktemp("letters")) as lincah, live.serve(lincah.app("letters-test")) as base:
        with lincah.transaction() as session:
            live.deploy_services(session, lincah.ctx)
            add_people(session, PEOPLE)
            set_up_letterhead(session)
            offices.save(session, "sulsel", actor="admin", at=T0, public_url=base)  # the QR code opens this server
        yield {"base": base, "factory": lincah.factory, "ctx": lincah.ctx}


def _refresh(path) -> bool:
    """Whether to (re)write a screenshot: a letter's QR code and footer carry a random token and the server's port,
    so every run draws different pixels; the committed pictures change only when asked (LINCAH_SCREENSHOTS=1)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return not path.exists() or os.environ.get("LINCAH_SCREENSHOTS") == "1"


def _letter(server, iid) -> IssuedLetter:
    with transaction(server["factory"]) as session:
        letter = session.get(IssuedLetter, iid)
        letter.pdf  # noqa: B018 - load the deferred bytes while the session is open
        return letter


def test_download_verify_altered_and_revoked_in_a_browser(server, browser, tmp_path):
    iid = _issued(server["factory"], server["ctx"], "research_permit")
    stored = _letter(server, iid)

    applicant = browser.new_context(base_url=server["base"], **DESK).new_page()
    sign_in(applicant, "andi")
    applicant.goto(f"/applications/{iid}")
    with applicant.expect_download() as downloading:
        applicant.click(f"a[href='/applications/{iid}/permit.pdf']")
    held = tmp_path / "izin.pdf"
    downloading.value.save_as(held)
    assert held.read_bytes() == stored.pdf  # the stored letter, byte for byte

    (address,) = qr_addresses(held.read_bytes())
    assert address.startswith(f"{server['base']}/verify/")
    anyone = browser.new_context(**DESK).new_page()  # no account, no cookies
    anyone.goto(address)
    expect(anyone.locator("[data-status]")).to_have_attribute("data-status", "valid")
    expect(anyone.locator("dl.substance")).to_contain_text("Kajian mangrove pesisir Sinjai")
    anyone.set_input_files("input[name=letter]", str(held))
    anyone.click("form.verify-upload button")
    expect(anyone.locator("[data-check]")).to_have_attribute("data-check", "identical")
    if _refresh(SHOTS / "permit-verification.png"):
        anyone.screenshot(path=str(SHOTS / "permit-verification.png"), full_page=True)

    altered = bytearray(held.read_bytes())
    altered[len(altered) // 2] ^= 0x01
    forged = tmp_path / "izin-diubah.pdf"
    forged.write_bytes(bytes(altered))
    anyone.set_input_files("input[name=letter]", str(forged))
    anyone.click("form.verify-upload button")
    expect(anyone.locator("[data-check]")).to_have_attribute("data-check", "different")

    supervisor = browser.new_context(base_url=server["base"], **DESK).new_page()
    sign_in(supervisor, "supri")
    supervisor.goto(address)
    supervisor.fill("form.revoke textarea[name=reason]", "Izin dicabut atas permintaan pemegang izin")
    supervisor.click("form.revoke button")
    expect(supervisor.locator("[data-status]")).to_have_attribute("data-status", "revoked")

    anyone.goto(address)
    expect(anyone.locator("[data-status]")).to_have_attribute("data-status", "revoked")
    expect(anyone.locator(".revoke-reason")).to_contain_text("Izin dicabut atas permintaan pemegang izin")


def test_screenshots_of_both_letters(server):
    """Page 1 of each service's letter, as issued, for the README."""
    for service, name in (("research_permit", "letter-research-permit"),
                          ("fishing_vessel_permit", "letter-fishing-vessel-permit")):
        letter = _letter(server, _issued(server["factory"], server["ctx"], service))
        assert qr_addresses(letter.pdf) == [f"{server['base']}/verify/{letter.verify_token}"]
        assert len(pypdf.PdfReader(io.BytesIO(letter.pdf)).pages) == 1  # kop to tembusan and footer on one page
        image = page_image(letter.pdf, scale=1.5)
        assert image.height / image.width == pytest.approx(297 / 210, rel=0.01)  # A4 portrait
        if _refresh(SHOTS / f"{name}.png"):
            image.save(SHOTS / f"{name}.png")
