"""In a real browser (Debian's Chromium, Playwright): the manager reads how June's files ended — issued, rejected
and withdrawn apart, the applicant's waiting time apart from the office's — then filters the survey comments to the
poorly rated ones; the administrator adds a group and is refused a mistyped one on an account, with the group meant."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from engine.casework import applications
from engine.reporting import satisfaction
from engine.storage.models import Instance
from tests import samples
from tests.drive import start, step, wita
from tests.engine.conftest import APPLICANT, HEAD, VERIFIER
from tests.people import account, list_groups
from tests.web.studio_support import live_server, open_page, shot

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


def _june(server) -> None:
    """A1 issued; A2 returned, revised two days later, rejected; A3 withdrawn; A1 and A2 answer the survey."""
    ctx, clock = server.ctx, server.clock
    clock.set(wita(2026, 6, 2, 9, 0))
    a1, a2, a3 = (start(server, ctx, "research_permit", samples.research_application()) for _ in range(3))
    for (day, hour), instance_id, element_id, actor, data, decision in (
            ((2, 10), a1, "Task_Verify", VERIFIER, samples.VERIFIED, "Setujui"),
            ((2, 11), a1, "Task_Sign", HEAD, samples.SIGNATURE, samples.SIGN),
            ((2, 12), a2, "Task_Verify", VERIFIER, {"note": "Lengkapi dokumen"}, "Kembalikan untuk perbaikan"),
            ((4, 10), a2, "Task_Revise", APPLICANT, samples.REVISION, None),
            ((4, 11), a2, "Task_Verify", VERIFIER, {"note": "Tidak memenuhi syarat"}, "Tolak")):
        clock.set(wita(2026, 6, day, hour, 0))
        step(server, ctx, instance_id, element_id, actor, data, decision)
    with server.transaction() as session:
        applications.cancel(session, ctx, a3, APPLICANT, "Salah jenis izin")
        for instance_id, value, comment in ((a1, 4, "Petugas ramah, izin terbit cepat"),
                                            (a2, 1, "Syarat tidak dijelaskan sejak awal")):
            satisfaction.submit(session, ctx, session.get(Instance, instance_id), APPLICANT,
                                dict.fromkeys(satisfaction.CODES, value), comment)


def test_the_manager_sees_the_outcome_split_and_filters_the_survey_comments(tmp_path, database, browser):
    errors: list[str] = []
    with live_server(tmp_path, usernames=("mira", "andi")) as server:
        _june(server)
        page = open_page(browser, server, "mira", errors)
        page.get_by_role("link", name="Dasbor SLA").click()
        row = page.locator('table[data-table=outcomes] tr[data-service="research_permit"]')
        expect(row.locator(".issued-within")).to_have_text("1/1")
        expect(row.locator(".rejected-within")).to_have_text("1/1")
        expect(row).to_have_attribute("data-withdrawn", "1")
        expect(row.locator(".held-time")).to_contain_text("14,00 jam")
        expect(row.locator(".office-time")).to_have_text("3,00 jam")
        row.scroll_into_view_if_needed()
        shot(page, "manager-outcomes.png")

        page.get_by_role("link", name="Kepuasan (IKM)").click()
        expect(page.locator(".survey-comment")).to_have_count(2)
        page.select_option("#rating", "1")
        page.get_by_role("button", name="Tampilkan").click()
        expect(page.locator(".survey-comment")).to_have_count(1)
        expect(page.locator(".survey-comment .comment-text")).to_have_text("Syarat tidak dijelaskan sejak awal")
        expect(page.locator(".survey-comment .comment-rating")).to_contain_text("rata-rata 1,00")
        expect(page.locator("tr[data-service=research_permit] .ikm")).to_have_text("62,50")
        shot(page, "manager-survey-comments.png")
    assert errors == []


def test_the_administrator_manages_groups_and_a_mistyped_group_is_refused_with_the_one_meant(tmp_path, database,
                                                                                             browser):
    errors: list[str] = []
    with live_server(tmp_path, usernames=()) as server:
        with server.transaction() as session:
            list_groups(session)
            session.add(account("admin", ["admin"], [], ["*"], "Admin Sistem"))
            session.add(account("vera", ["officer"], ["verifier"], ["sulsel"], "Vera Verifikator"))
        page = open_page(browser, server, "admin", errors)
        page.goto("/admin/groups")
        page.fill("#group-add input[name=name]", "tim_teknis")
        page.fill("#group-add input[name=title]", "Tim teknis lapangan")
        page.get_by_role("button", name="Tambah grup").click()
        expect(page.locator(".flash-success")).to_contain_text("tim_teknis")
        expect(page.locator("#group-tim_teknis .group-state")).to_have_text("Aktif")
        # vera and the live server's own provincial verifier
        expect(page.locator("#group-verifier .group-members")).to_have_text("2")
        shot(page, "admin-groups.png")

        page.goto("/admin/users/vera")
        page.fill("input[name=other_groups]", "verifer")
        page.locator("form.form button[type=submit]").first.click()
        expect(page.locator("body")).to_contain_text("'verifer' (apakah maksud Anda verifier?)")
        shot(page, "admin-group-refused.png")

        page.goto("/admin/groups")
        page.locator("#group-tim_teknis").get_by_role("button", name="Hentikan").click()
        expect(page.locator("#group-tim_teknis .group-state")).to_have_text("Dihentikan")
    assert errors == []
