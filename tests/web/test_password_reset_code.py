"""Forgot password by SMS or WhatsApp (issue 18), through a fake gateway on 127.0.0.1: the code arrives in one SMS,
works once, for 10 minutes and for 5 wrong tries, sets a password the policy accepts and signs the account out
everywhere; the request says the same whether or not the number has an account; codes per number and requests per
address are throttled; without a gateway the page offers e-mail only."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from datetime import timedelta
from types import SimpleNamespace

import pytest

from api import create_app
from engine.context import EngineContext
from engine.messaging import sms_text
from engine.messaging.account_texts import code_text
from engine.people import reset_codes
from engine.storage.models import ApiToken, Event, PasswordResetCode, User
from tests.password_reset_fixtures import (
    NEW_PASSWORD,
    PUBLIC_URL,
    arrived,
    gateway_fixture,  # noqa: F401 - the fixture
)
from tests.web.conftest import Visitor, page, text_of

ANDI_PHONE = "+6281234567890"


def _texting(settings, gateway, **more):
    return replace(settings, sms_gateway_url=gateway.url, public_url=PUBLIC_URL,
                   limit_password_reset_per_address="20 per minute", **more)


@pytest.fixture
def texting_app(db, settings, clock, gateway, people):
    with db.transaction() as session:
        andi = session.query(User).filter_by(username="andi").one()
        andi.phone, andi.notify_channel = ANDI_PHONE, "sms"
    ctx = EngineContext(settings=_texting(settings, gateway), clock=clock)
    return create_app({"TESTING": True, "SECRET_KEY": "test-secret"}, context=ctx, session_factory=db.factory)


def _texts(gateway, count: int) -> list[dict]:
    """What the gateway got once ``count`` messages have arrived (the page sends on a thread of its own)."""
    return [request.body for request in arrived(gateway.received, count)]


def _code(text: str) -> str:
    return re.search(r"\b(\d{6})\b", text).group(1)


def test_a_forgotten_password_is_set_again_with_the_code_sent_by_sms(db, texting_app, gateway):
    signed_in = Visitor(texting_app.test_client())
    signed_in.sign_in("andi")
    stranger = Visitor(texting_app.test_client())
    offered = stranger.get("/forgot-password")
    assert page(offered).get_element_by_id("f-name") is not None, "the phone form is offered"
    asked = stranger.post("/forgot-password/phone", {"name": "0812-3456-7890"})
    assert asked.status_code == 302 and asked.headers["Location"].endswith("/reset-password/code")
    (sms,) = _texts(gateway, 1)
    assert sms["to"] == ANDI_PHONE and sms_text.gsm7_length(sms["text"]) <= 160
    code = _code(sms["text"])
    assert sms["text"] == (f"Kode Lincah {code} untuk kata sandi baru andi, berlaku 10 menit. Jangan berikan kepada "
                           "siapa pun.")
    with db.transaction() as session:
        (row,) = session.query(PasswordResetCode).all()
        assert (row.channel, row.phone, row.attempts) == ("sms", ANDI_PHONE, 0)
        assert code not in row.code_hash and row.code_hash == reset_codes._hash(row.salt, code)

    form = stranger.get("/reset-password/code")
    assert page(form).get_element_by_id("f-name").get("value") == "0812-3456-7890", "the name is carried over"
    assert page(form).get_element_by_id("f-code").get("autocomplete") == "one-time-code"
    wrong = stranger.post("/reset-password/code", {"name": "0812-3456-7890", "code": "000000" if code != "000000"
                                                   else "111111", "password": NEW_PASSWORD})
    assert wrong.status_code == 422 and "f-code-error" in wrong.get_data(as_text=True)
    weak = stranger.post("/reset-password/code", {"name": "andi", "code": code, "password": "andi1234"})
    assert weak.status_code == 422 and page(weak).get_element_by_id("f-password-error") is not None
    done = stranger.post("/reset-password/code", {"name": "andi", "code": code, "password": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"].endswith("/signin")
    again = stranger.post("/reset-password/code", {"name": "andi", "code": code, "password": "another-long-phrase-1"})
    assert again.status_code == 422, "a code works once"

    assert signed_in.get("/applications").status_code == 302, "the old session is signed out"
    Visitor(texting_app.test_client()).sign_in("andi", NEW_PASSWORD)
    with db.transaction() as session:
        events = [e for e in session.query(Event).order_by(Event.id) if e.kind.startswith("password_reset")]
        assert [e.kind for e in events] == ["password_reset_requested", "password_reset_code_refused",
                                            "password_reset", "password_reset_code_refused"]
        assert events[0].data["via"] == "sms" and events[2].data["via"] == "sms"
        assert session.query(ApiToken).filter(ApiToken.revoked_at.is_(None)).count() == 1  # the new sign-in


def test_the_answer_is_the_same_whether_or_not_the_number_has_an_account(db, texting_app, gateway):
    visitor = Visitor(texting_app.test_client())
    answers = [visitor.post("/forgot-password/phone", {"name": name}, follow_redirects=True)
               for name in ("andi", "0813 9999 0000", "budi")]  # budi has no number: no code either
    assert {answer.status_code for answer in answers} == {200}
    # Only the name typed (and the field's count of characters left) differs.
    texts = [re.sub(r"\d+ karakter", "", text_of(answer).replace("0813 9999 0000", "NAME").replace(
        "budi", "NAME").replace("andi", "NAME")) for answer in answers]
    assert texts[0] == texts[1] == texts[2]
    assert len(_texts(gateway, 1)) == 1
    time.sleep(0.2)
    assert len(gateway.received) == 1


def test_five_wrong_codes_spend_the_code(db, ctx, clock, people, gateway):
    texting = EngineContext(settings=_texting(ctx.settings, gateway), clock=clock)
    with db.transaction() as session:
        session.query(User).filter_by(username="andi").one().phone = ANDI_PHONE
        (issued,) = reset_codes.request(session, texting, "andi")
    wrong = "000000" if issued.code != "000000" else "111111"
    for _attempt in range(reset_codes.MAX_ATTEMPTS):
        with pytest.raises(reset_codes.InvalidResetCode), db.transaction() as session:
            reset_codes.reset(session, texting, ANDI_PHONE, wrong, NEW_PASSWORD)
    with pytest.raises(reset_codes.InvalidResetCode), db.transaction() as session:
        reset_codes.reset(session, texting, ANDI_PHONE, issued.code, NEW_PASSWORD)
    with db.transaction() as session:
        (row,) = session.query(PasswordResetCode).all()
        assert row.attempts == reset_codes.MAX_ATTEMPTS and row.used_at == clock.now()


def test_a_code_expires_after_ten_minutes_and_a_number_gets_three_an_hour(db, ctx, clock, people, gateway):
    texting = EngineContext(settings=_texting(ctx.settings, gateway), clock=clock)
    with db.transaction() as session:
        session.query(User).filter_by(username="andi").one().phone = ANDI_PHONE
        (issued,) = reset_codes.request(session, texting, "Andi")
    clock.advance(reset_codes.LIFETIME + timedelta(seconds=1))
    with pytest.raises(reset_codes.InvalidResetCode), db.transaction() as session:
        reset_codes.reset(session, texting, "andi", issued.code, NEW_PASSWORD)
    with db.transaction() as session:
        assert [len(reset_codes.request(session, texting, ANDI_PHONE)) for _ in range(3)] == [1, 1, 0]
        throttled = [e.data["throttled"] for e in session.query(Event).filter_by(kind="password_reset_requested")]
        assert throttled == [False, False, False, True]
    clock.advance(reset_codes.NUMBER_WINDOW)
    with db.transaction() as session:
        (fresh,) = reset_codes.request(session, texting, ANDI_PHONE)
        session.query(User).filter_by(username="andi").one().active = False
        assert reset_codes.request(session, texting, ANDI_PHONE) == [], "an inactive account gets no code"


def test_requests_are_throttled_per_address(db, settings, clock, gateway, people):
    ctx = EngineContext(settings=replace(_texting(settings, gateway),
                                         limit_password_reset_per_address="5 per minute"), clock=clock)
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret"}, context=ctx, session_factory=db.factory)
    visitor = Visitor(app.test_client())
    answers = [visitor.post("/forgot-password/phone", {"name": f"08123456789{i}"}).status_code for i in range(6)]
    assert answers == [302] * 5 + [429]


def test_without_a_gateway_the_page_offers_e_mail_only(db, settings, clock, people):
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret"},
                     context=EngineContext(settings=settings, clock=clock), session_factory=db.factory)
    visitor = Visitor(app.test_client())
    offered = visitor.get("/forgot-password")
    assert page(offered).get_element_by_id("f-email") is not None
    assert "SMS" not in text_of(offered) and 'id="f-name"' not in offered.get_data(as_text=True)
    assert visitor.post("/forgot-password/phone", {"name": "andi"}).headers["Location"].endswith("/forgot-password")
    with db.transaction() as session:
        assert reset_codes.request(session, EngineContext(settings=settings, clock=clock), "andi") == []


def test_the_short_link_of_an_sms_opens_the_file(texting_app):
    answer = Visitor(texting_app.test_client()).get("/f/42")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/applications/42")


def test_the_code_sms_fits_one_message_whatever_the_username():
    for username in ("andi", "7371010101010001", "mahasiswa.universitas.hasanuddin." * 3):
        text = code_text(reset_codes.IssuedCode("042517", SimpleNamespace(username=username), ANDI_PHONE, "sms"))
        assert sms_text.fits_one_sms(text) and "042517" in text and "10 menit" in text
        assert (username in text) == (len(username) < 40)


def test_an_account_is_also_found_by_its_nik(db, ctx, clock, people, gateway):
    texting = EngineContext(settings=_texting(ctx.settings, gateway), clock=clock)
    with db.transaction() as session:
        andi = session.query(User).filter_by(username="andi").one()
        andi.phone, andi.nik = ANDI_PHONE, "7371010101010001"
        (issued,) = reset_codes.request(session, texting, "7371 0101 0101 0001")
        assert issued.user.username == "andi"
    with db.transaction() as session:
        reset_codes.reset(session, texting, "7371010101010001", issued.code, NEW_PASSWORD)
