"""Forgot password by e-mail (issue 18), with a real SMTP server on localhost: the link arrives, works once and
for an hour, sets a password the policy accepts, signs the account out everywhere; the request page says the same
whether or not the address has an account; the requests are throttled; everything is audited."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest

from api import create_app
from engine.context import EngineContext
from engine.people import password_reset, tokens
from engine.storage.models import ApiToken, Event, PasswordResetToken, User
from tests.password_reset_fixtures import (
    NEW_PASSWORD,
    PUBLIC_URL,
    arrived,
    mail_server_fixture,  # noqa: F401 - the fixture
)
from tests.people import PASSWORD
from tests.scheduler.conftest import Mailbox
from tests.web.conftest import Visitor, page, text_of


@pytest.fixture
def mailing_app(db, settings, clock, mail_server, people):
    _mailbox, port = mail_server
    with db.transaction() as session:
        session.query(User).filter_by(username="andi").one().email = "andi@example.ac.id"
    ctx = EngineContext(settings=replace(settings, smtp_host="127.0.0.1", smtp_port=port,
                                         public_url=PUBLIC_URL,
                                         limit_password_reset_per_address="5 per minute"), clock=clock)
    return create_app({"TESTING": True, "SECRET_KEY": "test-secret"}, context=ctx, session_factory=db.factory)


def _mails(mailbox: Mailbox, count: int) -> list:
    """The messages once ``count`` have arrived (the page mails on a thread of its own)."""
    arrived(mailbox.received, count)
    return mailbox.messages()


def _link(message) -> str:
    return re.search(r"https://izin\.sulsel\.test(/reset-password/\S+)", message.get_content()).group(1)


def test_a_forgotten_password_is_set_again_through_the_mailed_link_once(db, mailing_app, mail_server):
    mailbox, _port = mail_server
    signed_in = Visitor(mailing_app.test_client())
    signed_in.sign_in("andi")
    stranger = Visitor(mailing_app.test_client())
    asked = stranger.post("/forgot-password", {"email": "Andi@Example.ac.id"})
    assert asked.status_code == 200 and page(asked).get_element_by_id("reset-sent") is not None
    (message,) = _mails(mailbox, 1)
    assert mailbox.received[0].rcpt_tos == ["andi@example.ac.id"] and "andi" in message["Subject"]
    link = _link(message)
    with db.transaction() as session:
        (row,) = session.query(PasswordResetToken).all()
        assert row.token_hash == tokens.hash_token(link.rsplit("/", 1)[1]), "only the hash is stored"
        assert link.rsplit("/", 1)[1] not in str(row.token_hash)

    form = stranger.get(link)
    assert form.status_code == 200 and "andi" in text_of(form)
    weak = stranger.post(link, {"password": "andi1234"})
    assert weak.status_code == 422 and page(weak).get_element_by_id("f-password-error") is not None
    done = stranger.post(link, {"password": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"].endswith("/signin")
    assert stranger.get(link).status_code == 410, "a link works once"
    assert stranger.post(link, {"password": "another-long-passphrase-here"}).status_code == 410

    assert signed_in.get("/applications").status_code == 302, "the old session is signed out"
    assert Visitor(mailing_app.test_client()).post(
        "/signin", {"username": "andi", "password": PASSWORD}).status_code == 422
    Visitor(mailing_app.test_client()).sign_in("andi", NEW_PASSWORD)
    with db.transaction() as session:
        kinds = [e.kind for e in session.query(Event).order_by(Event.id)]
        assert "password_reset_requested" in kinds and "password_reset" in kinds
        assert session.query(ApiToken).filter(ApiToken.revoked_at.is_(None)).count() == 1  # the new sign-in


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(db, mailing_app, mail_server):
    mailbox, _port = mail_server
    visitor = Visitor(mailing_app.test_client())
    known = visitor.post("/forgot-password", {"email": "andi@example.ac.id"})
    unknown = visitor.post("/forgot-password", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 200
    assert text_of(known) == text_of(unknown)
    assert len(_mails(mailbox, 1)) == 1
    with db.transaction() as session:
        found = [e.data.get("found") for e in session.query(Event).filter_by(kind="password_reset_requested")]
    assert sorted(found) == [False, True]


def test_requests_are_throttled_per_address_and_per_account(db, ctx, mailing_app, mail_server):
    visitor = Visitor(mailing_app.test_client())
    answers = [visitor.post("/forgot-password", {"email": "andi@example.ac.id"}).status_code for _ in range(6)]
    assert answers == [200] * 5 + [429]
    with db.transaction() as session:
        assert session.query(PasswordResetToken).count() == password_reset.MAX_OPEN, "a mailbox is not flooded"


def test_a_link_expires_after_an_hour(db, ctx, clock, people):
    with db.transaction() as session:
        session.query(User).filter_by(username="budi").one().email = "budi@example.com"
        (link,) = password_reset.request(session, ctx, "budi@example.com")
    clock.advance(password_reset.LIFETIME + timedelta(seconds=1))
    with db.transaction() as session, pytest.raises(password_reset.InvalidResetLink):
        password_reset.reset(session, ctx, link.token, NEW_PASSWORD)
    with db.transaction() as session, pytest.raises(password_reset.InvalidResetLink):
        password_reset.check(session, ctx, "lcp_made-up")
    with db.transaction() as session:
        session.query(User).filter_by(username="budi").one().active = False
        assert password_reset.request(session, ctx, "budi@example.com") == [], "an inactive account gets no link"
