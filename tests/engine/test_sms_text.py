"""Every notice sent by SMS is one message: ≤ 160 GSM-7 characters (≤ 70 when a character outside GSM-7 forces
UCS-2), with the notice's Indonesian first line, the registration number and the short link to the file."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from engine.messaging import notifications, sms_text
from engine.messaging.channels import GatewaySettings, HttpGateway
from engine.messaging.mail import Outgoing
from engine.texts import N_

REG = "DPMPTSP/IP/2026/00042"
PUBLIC = "https://izin.sulselprov.go.id"
LINK = f"{PUBLIC}/f/42"
# The staff notices' catalogue entries as engine.casework.escalation, handover and notifications write them.
# A long real step name: cutting must still leave the number and the link whole.
STEP = "Verifikasi kelengkapan dan keabsahan berkas permohonan izin penelitian oleh petugas front office"


def _instance():
    definition = SimpleNamespace(meta={}, name_id="Izin Penelitian", name_en="Research Permit")
    return SimpleNamespace(id=42, registration_no=REG, outcome="Ditolak", applicant="andi", jurisdiction="sulsel",
                           definition=definition, service_key="research_permit")


def _stage(kind):
    message = notifications.stage_message(None, _instance(), kind, email=None, step=STEP, reason="Berkas kurang")
    return message.subject, message.body


def _staff(subject_id, body_id, **values):
    return notifications.in_both_languages(subject_id, body_id, {"reg": REG, "step": STEP, **values})


NOTICES = {
    **{kind: (lambda kind=kind: _stage(kind)) for kind in (
        notifications.RECEIVED, notifications.RETURNED, notifications.ACTION_REQUIRED, notifications.APPROVED,
        notifications.REJECTED, notifications.CLOSED, notifications.CANCELLED_BY_OFFICE)},
    notifications.SLA_BREACHED: lambda: _staff(
        N_("Overdue: %(step)s — %(reg)s"), N_("Task \"%(step)s\" of application %(reg)s is overdue (target "
                                              "%(target)s, due %(due)s). Please complete it now."),
        target="4 jam kerja", due="02-06-2026 13:00 WITA"),
    notifications.SLA_FILE_BREACHED: lambda: _staff(
        N_("Application overdue: %(reg)s"), N_("Application %(reg)s has exceeded the service's completion time "
                                               "(target %(target)s, due %(due)s)."),
        target="1 hari kerja", due="03-06-2026 09:00 WITA"),
    notifications.ESCALATED: lambda: _staff(
        N_("Task escalated to %(group)s: %(step)s — %(reg)s"),
        N_("Task \"%(step)s\" of application %(reg)s is overdue and was handed to group %(group)s."),
        group="kabid"),
    notifications.FIKTIF_POSITIF: lambda: _staff(
        N_("Approved automatically (fiktif positif): %(step)s — %(reg)s"),
        N_("Step \"%(step)s\" of application %(reg)s ran out of time and is deemed approved (fiktif positif, "
           "PP 28/2025)%(choice)s."), choice=": Setujui"),
    notifications.STOPPED: lambda: _staff(
        N_("Application %(reg)s stopped at step %(step)s"),
        N_("Application %(reg)s stopped with an error at step %(step)s: %(message)s\nDeal with the cause, then "
           "resume the application from its page."), message="connection refused"),
    "handed_to_supervising_office": lambda: _staff(
        N_("Your application %(reg)s is now handled by %(office)s"),
        N_("No officer of %(origin)s can take up step %(step)s of your application %(reg)s yet, so %(office)s now "
           "handles it. You need do nothing: the file, its documents and its deadlines stay as they were."),
        office="DPM-PTSP Provinsi Sulawesi Selatan", origin="DPM-PTSP Kabupaten Barru"),
}


def _sms(kind, subject, body, public_url=PUBLIC) -> str:
    gateway = HttpGateway(GatewaySettings(url="http://127.0.0.1:9/", short=True, public_url=public_url))
    return gateway.text(Outgoing(id=1, email="", subject=subject, body=body, attempts=0, kind=kind,
                                 instance_id=42, registration_no=REG, channel="sms", phone="+6281234567890"))


@pytest.mark.parametrize("kind", sorted(NOTICES))
def test_each_notice_kind_fits_one_sms_with_its_indonesian_line_number_and_link(kind):
    subject, body = NOTICES[kind]()
    text = _sms(kind, subject, body)
    assert sms_text.gsm7_length(text) is not None and sms_text.gsm7_length(text) <= 160, text
    lines = text.split("\n")
    assert REG in text and lines[-1] == LINK
    indonesian = subject.split(" / ")[0]
    # The first line is the Indonesian subject, whole or cut with "...", in plain GSM-7 (no typographic dash).
    start = sms_text.plain(indonesian).replace(REG, "").split()[0]
    assert lines[0].startswith(start) and "—" not in text


def test_the_indonesian_texts_are_the_catalogues():
    text = _sms(notifications.REJECTED, *_stage(notifications.REJECTED))
    assert text == f"Permohonan {REG} ditolak\n{LINK}"
    text = _sms(notifications.RETURNED, *_stage(notifications.RETURNED))
    assert text == f"Permohonan {REG} perlu diperbaiki\n{LINK}"


def test_a_long_line_is_cut_and_the_number_moves_to_its_own_line():
    subject, body = NOTICES[notifications.SLA_BREACHED]()
    text = _sms(notifications.SLA_BREACHED, subject, body)
    first, number, link = text.split("\n")
    assert first.endswith("...") and first.startswith("Melewati batas waktu: Verifikasi kelengkapan")
    assert (number, link) == (REG, LINK) and len(text) <= 160


def test_a_character_outside_gsm7_makes_it_ucs2_and_70_characters_at_most():
    text = sms_text.compose("🐟 Kapal KM Bintang Timur milik nelayan Barru diterima", REG, LINK)
    assert sms_text.gsm7_length(text) is None and sms_text.ucs2_length(text) <= 70
    assert text.endswith(f"...\n{REG}\n{LINK}") and text.startswith("🐟 Kapal")


def test_accents_and_typography_are_written_in_gsm7_rather_than_forcing_ucs2():
    text = sms_text.compose("Izin “Kafe Ôlah Rasa” — diterima…", REG, LINK)
    assert text.startswith('Izin "Kafe Olah Rasa" - diterima...') and sms_text.gsm7_length(text) <= 160


def test_the_extension_characters_count_twice():
    assert sms_text.gsm7_length("{}") == 4 and sms_text.gsm7_length("ab") == 2
    line = "x" * 200 + "{"
    text = sms_text.compose(line, REG, LINK)
    assert sms_text.gsm7_length(text) <= 160


def test_without_a_public_url_the_sms_has_no_link_and_whatsapp_keeps_the_whole_text():
    subject, body = _stage(notifications.RECEIVED)
    assert _sms(notifications.RECEIVED, subject, body, public_url="") == f"Permohonan {REG} diterima"
    whatsapp = HttpGateway(GatewaySettings(url="http://127.0.0.1:9/", public_url=PUBLIC))
    text = whatsapp.text(Outgoing(id=1, email="", subject=subject, body=body, attempts=0, kind=notifications.RECEIVED,
                                  instance_id=42, registration_no=REG))
    assert text.startswith(subject) and body in text and f"{PUBLIC}/applications/42" in text
