"""An applicant chooses WhatsApp; the notice of their application goes to the office's gateway (a fake one on
127.0.0.1); when the gateway refuses the number, the officer sees it failed, and why, on the application page, and
the administrator finds it in the outbox."""

from __future__ import annotations

from dataclasses import replace

import pytest

from engine.messaging.channels import Channels, GatewaySettings, HttpGateway
from engine.messaging.mail import RetryPolicy
from engine.storage.models import Notification, User
from scheduler import jobs
from tests.fake_gateway import fake_gateway
from tests.web.conftest import apply, page, text_of

pytestmark = pytest.mark.usefixtures("deployed", "people")


@pytest.fixture
def gateway():
    with fake_gateway([(400, '{"error": "nomor tidak terdaftar di WhatsApp"}')]) as running:
        yield running


@pytest.fixture
def settings(settings, gateway):
    return replace(settings, whatsapp_gateway_url=gateway.url)


def test_the_applicant_chooses_whatsapp_and_a_bad_number_is_refused_in_place(visitor, db):
    andi = visitor("andi")
    form = page(andi.get("/account/notifications"))
    assert [r.get("value") for r in form.cssselect("input[name=channel]")] == ["email", "whatsapp"]
    phone = form.cssselect("input[name=phone]")[0]
    assert (phone.get("inputmode"), phone.get("autocomplete"), phone.get("type")) == ("tel", "tel", "tel")

    refused = andi.post("/account/notifications", {"channel": "whatsapp", "phone": "12345"})
    assert refused.status_code == 422
    assert "'12345' bukan nomor telepon" in page(refused).cssselect("#phone-error")[0].text_content()
    assert andi.post("/account/notifications", {"channel": "sms", "phone": "0812 3456 7890"}).status_code == 422

    saved = andi.post("/account/notifications", {"channel": "whatsapp", "phone": "0812-3456-7890"})
    assert saved.status_code == 302
    with db.transaction() as session:
        user = session.query(User).filter_by(username="andi").one()
        assert (user.notify_channel, user.phone) == ("whatsapp", "+6281234567890")


def test_staff_see_how_each_notice_went_out_and_the_gateways_reason_for_a_failure(visitor, db, ctx, gateway):
    andi = visitor("andi")
    andi.post("/account/notifications", {"channel": "whatsapp", "phone": "081234567890"})
    application_id = apply(andi)
    with db.transaction() as session:
        row = session.query(Notification).filter_by(instance_id=application_id, recipient="andi").one()
        assert (row.channel, row.phone, row.email_status) == ("whatsapp", "+6281234567890", "pending")

    vera = visitor("vera")
    queued = page(vera.get(f"/applications/{application_id}")).cssselect(f"#delivery-{row.id}")[0]
    assert queued.get("data-status") == "queued" and "WhatsApp" in queued.text_content()

    channels = Channels({"whatsapp": HttpGateway(GatewaySettings(url=gateway.url))})
    assert jobs.send_notifications(db.factory, ctx, channels, policy=RetryPolicy()).failed == 1
    assert gateway.received[0].body["to"] == "+6281234567890"

    shown = page(vera.get(f"/applications/{application_id}")).cssselect(f"#delivery-{row.id}")[0]
    assert shown.get("data-status") == "failed"
    assert shown.cssselect(".delivery-status")[0].text_content().strip() == "Gagal"
    assert "nomor tidak terdaftar di WhatsApp" in shown.cssselect(".delivery-reason")[0].text_content()
    assert not page(andi.get(f"/applications/{application_id}")).cssselect(".deliveries")  # staff only

    admin = visitor("admin")
    outbox = admin.get("/admin/outbox?show=failed")
    line = page(outbox).cssselect(f"#delivery-{row.id}")[0]
    assert "nomor tidak terdaftar" in line.text_content() and "+62812****7890" in line.text_content()
    assert visitor("vera").get("/admin/outbox").status_code == 403
    assert "Kotak keluar" in text_of(outbox)
