"""Staff notices go by the channel each officer or supervisor chose, like applicants' (here through a fake SMS and
WhatsApp gateway on 127.0.0.1): the officer who chose SMS gets one short SMS, the supervisor who chose WhatsApp the
whole notice, the officer who kept e-mail an e-mail."""

from __future__ import annotations

from dataclasses import replace

import pytest

from engine.context import EngineContext
from engine.messaging import sms_text
from engine.messaging.channels import Channels
from engine.people.contact import set_preference
from engine.storage.models import Instance, Notification
from scheduler import jobs
from tests import samples
from tests.drive import create_staff, start, wita
from tests.fake_gateway import fake_gateway

PUBLIC = "https://izin.sulselprov.go.id"


@pytest.fixture
def gateway():
    with fake_gateway() as running:
        yield running


@pytest.fixture
def settings(settings, gateway):
    return replace(settings, sms_gateway_url=gateway.url, whatsapp_gateway_url=gateway.url, public_url=PUBLIC)


def test_an_overdue_step_reaches_each_staff_member_by_the_channel_they_chose(db, ctx, clock, deploy_service, gateway,
                                                                            smtp_server):
    mailbox, port = smtp_server
    deploy_service("research_permit")
    create_staff(db, ctx)
    with db.transaction() as session:
        set_preference(session, ctx, "vera", channel="sms", phone="0812 1111 2222")
        set_preference(session, ctx, "supri", channel="whatsapp", phone="+62 813 3333 4444")
    application = start(db, ctx, "research_permit", samples.research_application())
    clock.set(wita(2026, 6, 3, 9, 0, 1))  # verification (PT4H) was due yesterday 13:00, the file (P1D) just now
    assert jobs.advance_sla(db.factory, ctx).breached == 1
    with db.transaction() as session:
        rows = {(n.recipient, n.kind): (n.channel, n.phone) for n in session.query(Notification)
                if n.kind in ("sla_breached", "sla_file_breached")}
    assert rows[("vera", "sla_breached")] == ("sms", "+6281211112222")
    assert rows[("supri", "sla_breached")] == rows[("supri", "sla_file_breached")] == ("whatsapp", "+6281333334444")
    assert rows[("vivi", "sla_breached")] == ("email", None)

    mail_settings = replace(ctx.settings, smtp_host="127.0.0.1", smtp_port=port)
    channels = Channels.from_settings(mail_settings, {})
    report = jobs.send_notifications(db.factory, EngineContext(settings=mail_settings, clock=clock), channels)
    assert report.failed == 0 and report.retrying == 0
    sent = {request.body["to"]: [] for request in gateway.received}
    for request in gateway.received:
        sent[request.body["to"]].append(request.body["text"])
    with db.transaction() as session:
        number = session.get(Instance, application).registration_no
    (sms,) = sent["+6281211112222"]
    assert sms_text.gsm7_length(sms) <= 160 and sms.startswith("Melewati batas waktu: ")
    assert sms.endswith(f"{number}\n{PUBLIC}/f/{application}")
    whatsapp = sent["+6281333334444"]
    assert len(whatsapp) == 2 and any("Please complete it now." in text for text in whatsapp)
    assert all("overdue" in text.lower() and len(text) > 160 for text in whatsapp)  # both languages, not cut
    mailed = {message["To"] for message in mailbox.messages()}
    assert "vivi@dpmptsp.test" in mailed and "vera@dpmptsp.test" not in mailed and "supri@dpmptsp.test" not in mailed
