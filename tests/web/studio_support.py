"""Helpers of the analyst's and manager's page tests (web UI part 2): their accounts, and a known SLA history."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from engine.storage.db import transaction
from tests.people import PASSWORD, account, add_people
from tests.web import live
from tests.web.live import SHOTS

# username: (roles, groups, jurisdictions, full name)
STUDIO_PEOPLE = {
    "ana": (["analyst"], [], ["*"], "Ana Analis"),
    "mira": (["manager"], [], ["*"], "Mira Manajer"),
}


OFFICE_STAFF = {
    "verifikator.sulsel": (["officer"], ["verifier"], ["sulsel"], "Verifikator Provinsi"),
    "kepala.sulsel": (["officer"], ["head_of_office"], ["sulsel"], "Kepala Dinas"),
}


@pytest.fixture
def studio_people(db, people):
    with db.transaction() as session:
        add_people(session, STUDIO_PEOPLE)
    return STUDIO_PEOPLE


def seed_history(db, ctx, clock) -> dict[str, int]:
    """A known week of files (WITA, office hours 08:00–16:00; verify PT4H, sign PT2H, research file P1D).

    Tue 2 June 09:00  A1–A4 apply for a research permit, B1 for a fishing vessel permit in Sinjai
             10:00  A1 verified (1 h, met)   11:00 A1 signed (1 h, met)
             14:00  A2 verified (5 h, missed) 15:00 A2 signed (1 h, met)
    Wed 3 June 10:00  A3 verified (9 h, missed) 11:00 A3 signed (1 h, met) — the file took 10 h of a 8 h target
    Thu 4 June 11:30  the SLA clock runs: A4's verification and B1's recommendation are breached
    So verification is the slow step: 1 of 3 within SLA; signing 3 of 3.
    """
    from tests import samples
    from tests.drive import sla_pass, start, step, wita
    from tests.engine.conftest import HEAD, VERIFIER

    clock.set(wita(2026, 6, 2, 9, 0))
    a1, a2, a3, a4 = (start(db, ctx, "research_permit", samples.research_application()) for _ in range(4))
    b1 = start(db, ctx, "fishing_vessel_permit", samples.vessel_application("sinjai"))
    checked, signed = samples.VERIFIED, samples.SIGNATURE
    for (day, hour), instance_id, element_id, data, decision in (
            ((2, 10), a1, "Task_Verify", checked, "Setujui"), ((2, 11), a1, "Task_Sign", signed, samples.SIGN),
            ((2, 14), a2, "Task_Verify", checked, "Setujui"), ((2, 15), a2, "Task_Sign", signed, samples.SIGN),
            ((3, 10), a3, "Task_Verify", checked, "Setujui"), ((3, 11), a3, "Task_Sign", signed, samples.SIGN)):
        clock.set(wita(2026, 6, day, hour, 0))
        step(db, ctx, instance_id, element_id, HEAD if element_id == "Task_Sign" else VERIFIER, data, decision)
    clock.set(wita(2026, 6, 4, 11, 30))
    sla_pass(db, ctx)
    return {"a1": a1, "a2": a2, "a3": a3, "a4": a4, "b1": b1}


# --- the browser tests' server: the product on its own SQLite database, with a frozen clock -------------------------

# The browser is the module's (the ``browser`` fixture of tests/web/conftest.py); each test starts its own live
# server (tests/web/live.py) with the analyst's and manager's accounts and a clock it moves.
DESK = {"viewport": {"width": 1440, "height": 960}, "locale": "id-ID"}


@dataclass
class LiveServer:
    base: str
    factory: object
    ctx: object
    clock: object

    def transaction(self):
        return transaction(self.factory)


@contextmanager
def live_server(tmp_path, usernames=("ana", "mira", "andi")):
    """Start the app on a free port with both real services deployed and the given accounts."""
    people = {**STUDIO_PEOPLE, "andi": (["applicant"], [], [], "Andi Pratama")}
    with live.product(tmp_path) as lincah:  # its clock stands still at T0; the tests move it
        with lincah.transaction() as session:
            # The research permit's office staff, as any installation has them: a group nobody holds is a deploy
            # warning (engine/people/groups.py), which the analyst's pages would otherwise show on every deploy.
            add_people(session, OFFICE_STAFF)
            live.deploy_services(session, lincah.ctx)
            for username in usernames:
                session.add(account(username, *people[username]))
        with live.serve(lincah.app("studio-browser-test")) as base:
            yield LiveServer(base, lincah.factory, lincah.ctx, lincah.clock)


def open_page(browser, server: LiveServer, username: str, errors: list[str]):
    """A desktop browser window signed in as ``username`` (through the sign-in form)."""
    context = browser.new_context(base_url=server.base, **DESK)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
    page.goto("/signin")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.form button[type=submit]:not([disabled])")
    page.wait_for_url(lambda url: "/signin" not in url)
    return page


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)
