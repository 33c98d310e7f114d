"""Signing through the API: the signer's NIK and passphrase travel in the completion's data; a refused signature
is a 422 ``signing_failed`` that keeps the step open and the reserved number (the request still commits them), and
the retry signs under that number."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from engine.casework import signing_step
from engine.context import EngineContext
from engine.storage.models import Event, IssuedLetter
from tests.api.conftest import apply, complete, open_task
from tests.samples import VERIFIED
from tests.signing_fixtures import FakeBsre, SigningCA

pytestmark = pytest.mark.usefixtures("deployed")

NIK = "7371010101800001"
PASSPHRASE = "sandi-bsre-kadis-01"


@pytest.fixture(scope="module")
def ca() -> SigningCA:
    return SigningCA.create()


@pytest.fixture(scope="module")
def bsre(ca):
    fake = FakeBsre(ca)
    fake.enrol(NIK, PASSPHRASE, "Kadis")
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def ctx(settings, clock, bsre):
    return EngineContext(settings=dataclasses.replace(settings, bsre_url=bsre.url), clock=clock)


def test_a_refused_signature_is_a_422_that_keeps_the_step_and_the_number(client, people, db, ca):
    andi, vera, kadis = (people.headers(who) for who in ("andi", "vera", "kadis"))
    application = apply(client, andi)
    assert complete(client, vera, open_task(client, vera, application["id"], "Task_Verify")["id"], VERIFIED,
                    "Setujui").status_code == 200
    task = open_task(client, kadis, application["id"], "Task_Sign")
    refused = complete(client, kadis, task["id"], {"signer_nik": NIK, "signer_passphrase": "keliru"}, "Tandatangani")
    body = refused.get_json()
    assert refused.status_code == 422 and body["error"]["code"] == "signing_failed"
    assert "Passphrase anda salah" in body["error"]["message"] and "keliru" not in refused.get_data(as_text=True)
    assert open_task(client, kadis, application["id"], "Task_Sign")["id"] == task["id"]
    with db.transaction() as session:
        [reserved] = session.scalars(select(Event).where(Event.instance_id == application["id"],
                                                         Event.kind == signing_step.RESERVED)).all()
        number = reserved.data["permit_number"]

    signed = complete(client, kadis, task["id"], {"signer_nik": NIK, "signer_passphrase": PASSPHRASE}, "Tandatangani")
    assert signed.status_code == 200
    with db.transaction() as session:
        letter = session.get(IssuedLetter, application["id"])
        pdf, permit_number = letter.pdf, letter.permit_number
    assert permit_number == number and ca.validate(pdf).bottom_line
    download = client.get(f"/api/v1/applications/{application['id']}/permit.pdf", headers=andi)
    assert download.status_code == 200 and download.get_data() == pdf, "the applicant gets the very PDF signed"
