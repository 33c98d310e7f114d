"""The verification page's signature check in a real browser (Debian's Chromium driven by Playwright) against a real
server that signs letters with a certificate of a test CA and trusts that CA: the letter the applicant holds is
identical, signed by the office, unchanged since signing and trusted; one changed byte is not the issued letter and
its signature is broken. The page is saved as docs/screenshots/permit-verification-signature.png (when missing, or
with LINCAH_SCREENSHOTS=1).

Needs /usr/bin/chromium (``.ci/run`` installs it).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from cryptography.hazmat.primitives import serialization
from playwright.sync_api import expect

from engine.people import offices
from tests.conftest import T0
from tests.letters import set_up_letterhead
from tests.people import add_people
from tests.signing_fixtures import SigningCA
from tests.web import live
from tests.web.conftest import PEOPLE
from tests.web.live import SHOTS
from tests.web.test_letters_browser import DESK, _issued, _letter, _refresh


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("signed-letters")
    ca = SigningCA.create()
    (folder / "kantor.p12").write_bytes(ca.pkcs12("DPMPTSP Sulawesi Selatan", b"sandi-kantor"))
    (folder / "akar.pem").write_bytes(ca.cert.public_bytes(serialization.Encoding.PEM))
    with live.product(folder, signing_pkcs12=str(folder / "kantor.p12"), signing_passphrase_secret="KANTOR",
                      connector_secret_values={"KANTOR": "sandi-kantor"},
                      signing_trust_roots=str(folder / "akar.pem")) as lincah, \
            live.serve(lincah.app("signature-test")) as base:
        with lincah.transaction() as session:
            live.deploy_services(session, lincah.ctx, ("research_permit",))
            add_people(session, PEOPLE)
            set_up_letterhead(session)
            offices.save(session, "sulsel", actor="admin", at=T0, public_url=base)
        yield {"base": base, "factory": lincah.factory, "ctx": lincah.ctx}


def test_the_page_says_who_signed_and_that_the_signature_holds_or_is_broken(server, browser, tmp_path):
    # signing runs pyHanko's own event loop, which cannot start in this thread (Playwright's loop runs here)
    with ThreadPoolExecutor(max_workers=1) as worker:
        issued = worker.submit(_issued, server["factory"], server["ctx"], "research_permit").result()
    letter = _letter(server, issued)
    held = tmp_path / "izin.pdf"
    held.write_bytes(letter.pdf)
    anyone = browser.new_context(**DESK).new_page()
    anyone.goto(f"{server['base']}/verify/{letter.verify_token}")
    anyone.set_input_files("input[name=letter]", str(held))
    anyone.click("form.verify-upload button")
    expect(anyone.locator("[data-check]")).to_have_attribute("data-check", "identical")
    signature = anyone.locator("ul.signature")
    expect(signature).to_have_attribute("data-intact", "yes")
    expect(signature).to_have_attribute("data-trusted", "yes")
    expect(signature.locator("[data-fact=signer]")).to_contain_text(
        "Ditandatangani secara elektronik oleh DPMPTSP Sulawesi Selatan (Lincah Test CA)")
    expect(signature.locator("[data-fact=intact]")).to_contain_text("Dokumen tidak diubah setelah ditandatangani")
    expect(signature.locator("[data-fact=trusted]")).to_contain_text("tepercaya bagi kantor ini")
    if _refresh(SHOTS / "permit-verification-signature.png"):
        anyone.screenshot(path=str(SHOTS / "permit-verification-signature.png"), full_page=True)

    at = letter.pdf.index(b"/Producer") + 1
    forged = tmp_path / "izin-diubah.pdf"
    forged.write_bytes(letter.pdf[:at] + b"p" + letter.pdf[at + 1:])
    anyone.set_input_files("input[name=letter]", str(forged))
    anyone.click("form.verify-upload button")
    expect(anyone.locator("[data-check]")).to_have_attribute("data-check", "different")
    expect(anyone.locator("ul.signature")).to_have_attribute("data-intact", "no")
    expect(anyone.locator("ul.signature [data-fact=intact]")).to_contain_text("Tanda tangan RUSAK")
