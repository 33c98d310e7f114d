"""Provincial coordination in a real browser (Debian's Chromium, Playwright): a Barru fishing file, with nobody in
Barru to recommend it, reaches the provincial officer's inbox after the handover time; the officer works it, and the
applicant's page says the province holds the file.

Runs on its own SQLite server like the other browser tests; needs /usr/bin/chromium.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from engine.storage.models import Task
from scheduler import jobs
from tests import samples
from tests.conftest import T0
from tests.drive import open_rows, start
from tests.people import add_people
from tests.web.studio_support import live_server, open_page, shot

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


def test_a_barru_file_reaches_the_provinces_queue(tmp_path, database, browser):
    with live_server(tmp_path, usernames=("andi",)) as server:
        with server.transaction() as session:
            add_people(session, {"prova": (["officer"], ["regency_fisheries"], ["sulsel"], "Prova Provinsi")})
        application = start(server, server.ctx, "fishing_vessel_permit", samples.vessel_application("barru"))
        (task,) = open_rows(server, application)
        assert task.jurisdiction == "barru"
        server.clock.set(T0 + timedelta(hours=4, minutes=1))
        assert jobs.hand_over_unstaffed(server.factory, server.ctx) == 1

        errors: list[str] = []
        officer = open_page(browser, server, "prova", errors)
        officer.goto("/inbox")
        row = officer.locator(f"#row-{task.id}")
        expect(row).to_have_count(1)
        row.locator("a").first.click()
        expect(officer.locator("h1")).to_contain_text("Rekomendasi kabupaten")
        officer.fill("#f-recommendation_number", "523/12/DKP-PROV/2026")
        officer.click("button[name=_decision][value=Rekomendasikan]")
        officer.wait_for_url(lambda url: f"/tasks/{task.id}" not in url)
        with server.transaction() as session:
            done = session.get(Task, task.id)
            assert (done.state, done.completed_by) == ("completed", "prova")
        # The inspection opens in Barru again; the scheduler's next pass hands it over without a new wait.
        assert jobs.hand_over_unstaffed(server.factory, server.ctx) == 1

        applicant = open_page(browser, server, "andi", errors)
        applicant.goto(f"/applications/{application}")
        expect(applicant.locator(".holding-office dd")).to_have_text("Provinsi Sulawesi Selatan")
        shot(applicant, "handover-province.png")
        assert errors == []
