"""In the browser, as each person would (issue 18), with a fake SMS/WhatsApp gateway on 127.0.0.1:

- an applicant on a phone who forgot their password asks for a code by their mobile number, reads it from the SMS
  (what the fake gateway received), types it with a new password — first a wrong code, then a weak password —
  and signs in with the new one; the code does not work twice;
- an officer chooses WhatsApp for their notices on their account page.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from engine.storage.db import transaction
from engine.storage.models import User
from tests.fake_gateway import fake_gateway
from tests.people import add_people
from tests.web import live
from tests.web.conftest import PEOPLE
from tests.web.live import SHOTS
from tests.web.test_browser import PHONE, Tour, sign_in

NEW_PASSWORD = "layar-terkembang-di-selat-makassar"


@pytest.fixture(scope="module")
def gateway():
    with fake_gateway() as running:
        yield running


@pytest.fixture(scope="module")
def server(tmp_path_factory, gateway):
    with live.product(tmp_path_factory.mktemp("forgot-password-sms"), sms_gateway_url=gateway.url,
                      whatsapp_gateway_url=gateway.url) as lincah:
        with lincah.transaction() as session:
            add_people(session, {name: PEOPLE[name] for name in ("andi", "vera")})
            session.query(User).filter_by(username="andi").one().phone = "+6281234567890"
        with live.serve(lincah.app("browser-test")) as base:
            yield {"base": base, "factory": lincah.factory}


def _open(browser, server):
    return live.window(browser, server["base"], **PHONE)


def _sms(gateway, count: int) -> dict:
    for _attempt in range(200):
        if len(gateway.received) >= count:
            break
        time.sleep(0.05)
    return gateway.received[count - 1].body


def test_forgot_password_by_sms_from_the_code_to_signing_in(server, browser, gateway):
    context, phone, errors = _open(browser, server)
    phone.goto("/signin")
    phone.click("#forgot-password")
    expect(phone.locator("main")).to_contain_text("Lewat SMS atau WhatsApp")
    phone.fill("#f-name", "0812 3456 7890")
    phone.screenshot(path=str(SHOTS / "forgot-password-choice-phone.png"), full_page=True)
    Tour(server["base"]).accessible(phone, "forgot password by e-mail or SMS")
    phone.click("form[action$='/forgot-password/phone'] button.primary")
    expect(phone).to_have_url(re.compile(r"/reset-password/code$"))
    expect(phone.locator(".flash")).to_contain_text("kode enam angka")
    expect(phone.locator("#f-name")).to_have_value("0812 3456 7890")
    expect(phone.locator("#f-code")).to_have_attribute("inputmode", "numeric")
    sms = _sms(gateway, 1)
    assert sms["to"] == "+6281234567890" and len(sms["text"]) <= 160
    code = re.search(r"\b(\d{6})\b", sms["text"]).group(1)

    phone.fill("#f-code", "000000" if code != "000000" else "111111")
    phone.fill("#f-password", NEW_PASSWORD)
    phone.click("form[data-form] button.primary")
    expect(phone.locator("#f-code-error")).to_contain_text("salah")
    phone.fill("#f-code", code)
    phone.fill("#f-password", "andi1234")
    phone.click("form[data-form] button.primary")
    expect(phone.locator("#f-password-error")).to_be_visible()
    phone.screenshot(path=str(SHOTS / "forgot-password-sms-phone.png"))
    Tour(server["base"]).accessible(phone, "new password with the code")
    phone.fill("#f-code", code)
    phone.fill("#f-password", NEW_PASSWORD)
    phone.click("form[data-form] button.primary")
    expect(phone.locator(".flash")).to_contain_text("kata sandi")
    sign_in(phone, "andi", NEW_PASSWORD)
    context.close()

    context, again, _errors = _open(browser, server)
    again.goto("/reset-password/code")
    again.fill("#f-name", "andi")
    again.fill("#f-code", code)
    again.fill("#f-password", "another-long-passphrase-here")
    again.click("form[data-form] button.primary")
    expect(again.locator("#f-code-error")).to_be_visible()
    context.close()
    assert not errors


def test_an_officer_chooses_whatsapp_for_their_notices(server, browser):
    context, phone, errors = _open(browser, server)
    sign_in(phone, "vera")
    phone.goto("/notifications")  # from the menu's Notifikasi, as an officer finds it
    phone.click("a[href='/account/notifications']")
    expect(phone.locator("main")).to_contain_text("melewati batas waktu")
    phone.check("input[name=channel][value=whatsapp]")
    phone.fill("#phone", "0813-3333-4444")
    phone.click("form.form button.primary")
    expect(phone.locator(".flash")).to_be_visible()
    expect(phone.locator("input[name=channel][value=whatsapp]")).to_be_checked()
    expect(phone.locator("#phone")).to_have_value("+6281333334444")
    context.close()
    with transaction(server["factory"]) as session:
        vera = session.query(User).filter_by(username="vera").one()
        assert (vera.notify_channel, vera.phone) == ("whatsapp", "+6281333334444")
    assert not errors
