"""Notices go out by the applicant's channel: e-mail, or SMS / WhatsApp through the office's HTTP gateway (here a fake
gateway on 127.0.0.1). Sent, retried after a gateway error, or failed for good with the gateway's reason for staff."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from engine.context import EngineContext
from engine.errors import InvalidInput
from engine.messaging import deliveries, notifications
from engine.messaging.channels import Channels, GatewaySettings, HttpGateway
from engine.messaging.mail import RetryPolicy
from engine.messaging.notifications import Message
from engine.messaging.preferences import route_to_applicant
from engine.people.access import Actor
from engine.people.contact import normalise_phone, set_preference
from engine.storage.models import Event, Notification
from scheduler import jobs
from tests.fake_gateway import fake_gateway
from tests.people import account

ADMIN = Actor.of("admin", ["admin"], jurisdictions=["*"])
POLICY = RetryPolicy(base=timedelta(minutes=1), attempts=5)


def _queue(db, ctx, channel="sms", phone="+6281234567890", **extra) -> int:
    with db.transaction() as session:
        notifications.enqueue(session, ctx, [Message(
            kind="application_received", recipient="andi", subject="Permohonan diterima / Application received",
            body="Nomor registrasi DPMPTSP/IP/2026/00001", channel=channel, phone=phone, **extra)])
        return session.query(Notification.id).scalar()


def _row(db, row_id: int) -> Notification:
    with db.transaction() as session:
        return session.get(Notification, row_id)


def _channels(gateway, **settings) -> Channels:
    return Channels({"sms": HttpGateway(GatewaySettings(url=gateway.url, **settings)),
                     "whatsapp": HttpGateway(GatewaySettings(url=gateway.url, **settings))})


def test_an_sms_goes_to_the_gateway_with_the_number_the_text_and_the_key(db, ctx):
    row_id = _queue(db, ctx)
    with fake_gateway() as gateway:
        report = jobs.send_notifications(db.factory, ctx, _channels(gateway, auth_header="X-Api-Key",
                                                                    auth_value="kunci-rahasia"), policy=POLICY)
    assert (report.sent, report.failed, report.retrying) == (1, 0, 0)
    (request,) = gateway.received
    assert request.headers["X-Api-Key"] == "kunci-rahasia" and request.path == "/api/send"
    assert request.body == {"to": "+6281234567890", "text": "Permohonan diterima / Application received\n"
                                                            "Nomor registrasi DPMPTSP/IP/2026/00001"}
    row = _row(db, row_id)
    assert (row.channel, row.email_status, row.attempts, row.last_error) == ("sms", "sent", 1, None)
    assert row.sent_at == ctx.now()


def test_the_body_template_is_the_gateways_own_json_with_quotes_in_the_text_kept_valid(db, ctx):
    _queue(db, ctx, channel="whatsapp")
    template = '{"recipient": {"wa_id": "{phone}"}, "message": "{text}", "channel": "wa"}'
    with db.transaction() as session:
        session.query(Notification).update({"body": 'Alasan: "berkas kurang"'})
    with fake_gateway() as gateway:
        jobs.send_notifications(db.factory, ctx, _channels(gateway, body=template), policy=POLICY)
    assert gateway.received[0].body == {
        "recipient": {"wa_id": "+6281234567890"}, "channel": "wa",
        "message": 'Permohonan diterima / Application received\nAlasan: "berkas kurang"'}


def test_a_gateway_error_is_retried_after_the_backoff_and_then_sent(db, ctx, clock):
    row_id = _queue(db, ctx)
    with fake_gateway([(500, '{"error": "server sibuk"}')]) as gateway:
        channels = _channels(gateway)
        first = jobs.send_notifications(db.factory, ctx, channels, policy=POLICY)
        assert first.retrying == 1
        row = _row(db, row_id)
        assert (row.email_status, row.attempts) == ("pending", 1)
        assert row.last_error == 'HTTP 500: {"error": "server sibuk"}'
        assert row.next_attempt_at == ctx.now() + timedelta(minutes=1)
        # Not due yet: the gateway is not called again before the backoff.
        assert jobs.send_notifications(db.factory, ctx, channels, policy=POLICY).sent == 0
        assert len(gateway.received) == 1
        clock.advance(timedelta(minutes=1))
        assert jobs.send_notifications(db.factory, ctx, channels, policy=POLICY).sent == 1
    row = _row(db, row_id)
    assert (row.email_status, row.attempts, row.last_error) == ("sent", 2, None)
    assert len(gateway.received) == 2


def test_an_unreachable_or_slow_gateway_is_retried_not_failed(db, ctx):
    row_id = _queue(db, ctx)
    with fake_gateway([("slow", 2.0)]) as gateway:
        report = jobs.send_notifications(db.factory, ctx, _channels(gateway, timeout=0.3), policy=POLICY)
    assert report.retrying == 1
    assert _row(db, row_id).last_error.startswith("cannot reach the gateway")
    unreachable = Channels({"sms": HttpGateway(GatewaySettings(url="http://127.0.0.1:9/send", timeout=1))})
    assert jobs.send_notifications(db.factory, ctx, unreachable, policy=POLICY).sent == 0


def test_a_refused_number_fails_for_good_with_the_gateways_reason_shown_to_staff(db, ctx):
    row_id = _queue(db, ctx, instance_id=None)
    with fake_gateway([(400, '{"error": "nomor tidak terdaftar di WhatsApp"}')]) as gateway:
        report = jobs.send_notifications(db.factory, ctx, _channels(gateway), policy=POLICY)
        again = jobs.send_notifications(db.factory, ctx, _channels(gateway), policy=POLICY)
    assert (report.failed, again.sent, len(gateway.received)) == (1, 0, 1)
    row = _row(db, row_id)
    assert row.email_status == "failed" and "nomor tidak terdaftar di WhatsApp" in row.last_error
    with db.transaction() as session:
        (shown,) = deliveries.problems(session, ADMIN)
        assert (shown.status, shown.channel, shown.address) == ("failed", "sms", "+62812****7890")
        assert "HTTP 400" in shown.reason and "tidak terdaftar" in shown.reason
        with pytest.raises(Exception, match="administrator"):
            deliveries.problems(session, Actor.of("vera", ["officer"], ["verifier"], ["sulsel"]))


def test_a_channel_the_office_has_not_configured_fails_with_that_said(db, ctx):
    row_id = _queue(db, ctx, channel="whatsapp")
    with fake_gateway() as gateway:
        report = jobs.send_notifications(db.factory, ctx, Channels({"sms": HttpGateway(
            GatewaySettings(url=gateway.url))}), policy=POLICY)
    assert report.failed == 1 and "whatsapp channel is not configured" in _row(db, row_id).last_error


def test_a_named_gateway_secret_that_is_not_set_stops_the_start_with_what_to_set(ctx):
    settings = replace(ctx.settings, sms_gateway_url="https://sms.example.id/send", sms_gateway_secret="SMS_KEY")
    with pytest.raises(ValueError, match="LINCAH_SECRET_SMS_KEY"):
        Channels.from_settings(settings, {})
    channels = Channels.from_settings(settings, {"SMS_KEY": "abc"})
    assert set(channels.adapters) == {"sms"} and channels.adapters["sms"].settings.auth_value == "abc"


@pytest.mark.parametrize("typed", ["0812-3456-7890", "+62 812 3456 7890", "6281234567890", "(0812) 34567890"])
def test_phone_numbers_are_kept_in_e164(typed):
    assert normalise_phone(typed) == "+6281234567890"


@pytest.mark.parametrize("typed", ["12345", "0812", "nomor saya", "+62 21"])
def test_a_number_that_cannot_receive_messages_is_refused_on_its_field_with_what_to_type(typed):
    with pytest.raises(InvalidInput) as refused:
        normalise_phone(typed)
    assert "0812 3456 7890" in refused.value.localized("en") and "phone" in refused.value.details
    assert "bukan nomor telepon" in refused.value.localized("id")


def _routed(session, ctx, data=None) -> Message:
    message = Message(kind="application_received", recipient="andi", subject="s", body="b", email="andi@example.id")
    route_to_applicant(session, ctx, "andi", data, [message])
    return message


def test_the_applicants_preference_chooses_the_channel_when_the_office_has_it(db, ctx):
    gatewayed = EngineContext(settings=replace(ctx.settings, whatsapp_gateway_url="https://wa.example.id/send"),
                              clock=ctx.clock)
    with db.transaction() as session:
        session.add(account("andi", ["applicant"]))
        session.flush()
        assert (_routed(session, gatewayed).channel, _routed(session, gatewayed).phone) == (None, None)
        set_preference(session, ctx, "andi", channel="whatsapp", phone="0812 3456 7890")
        message = _routed(session, gatewayed)
        assert (message.channel, message.phone) == ("whatsapp", "+6281234567890")
        assert _routed(session, ctx).channel is None  # no WhatsApp gateway here: e-mail (or the app) it is
        set_preference(session, ctx, "andi", channel="email", phone="")
        assert _routed(session, gatewayed).channel is None
        assert [e.kind for e in session.query(Event)] == ["notification_channel_set"] * 2


def test_without_a_number_on_the_account_the_number_typed_into_the_form_is_used(db, ctx):
    gatewayed = EngineContext(settings=replace(ctx.settings, sms_gateway_url="https://sms.example.id/send"),
                              clock=ctx.clock)
    with db.transaction() as session:
        user = account("andi", ["applicant"])
        user.notify_channel = "sms"
        session.add(user)
        session.flush()
        assert _routed(session, gatewayed, {"phone": "081298765432"}).phone == "+6281298765432"
        assert _routed(session, gatewayed, {"phone": "bukan nomor"}).channel is None


def test_sms_and_whatsapp_need_a_number(db, ctx):
    with db.transaction() as session:
        session.add(account("andi", ["applicant"]))
        session.flush()
        with pytest.raises(InvalidInput) as refused:
            set_preference(session, ctx, "andi", channel="sms", phone="")
    assert "phone" in refused.value.details
