"""Through the API: the issued letter's record (number, status, hash, verification page) and its revocation by a
supervisor of the office — the same rules as the pages."""

from __future__ import annotations

import hashlib
import io

import orjson
import pytest

from tests.api.conftest import apply, complete, open_task
from tests.letters import PUBLIC_URL, set_up_letterhead, text_of_pdf
from tests.samples import SIGN, SIGNATURE, VERIFIED

pytestmark = pytest.mark.usefixtures("deployed")


@pytest.fixture(autouse=True)
def _letterhead(db, people):
    people.headers("kadis")  # the signer's account, for their staff profile
    with db.transaction() as session:
        set_up_letterhead(session)


def _issued(client, people) -> int:
    andi, vera, kadis = (people.headers(who) for who in ("andi", "vera", "kadis"))
    application = apply(client, andi)
    assert complete(client, vera, open_task(client, vera, application["id"], "Task_Verify")["id"], VERIFIED,
                    "Setujui").status_code == 200
    assert complete(client, kadis, open_task(client, kadis, application["id"], "Task_Sign")["id"],
                    SIGNATURE, SIGN).status_code == 200
    return application["id"]


def test_the_letter_record_names_its_hash_status_and_verification_page(client, people):
    andi = people.headers("andi")
    running = apply(client, andi)["id"]
    assert client.get(f"/api/v1/applications/{running}/permit", headers=andi).status_code == 404
    issued = _issued(client, people)
    record = client.get(f"/api/v1/applications/{issued}/permit", headers=andi).get_json()
    pdf = client.get(f"/api/v1/applications/{issued}/permit.pdf", headers=andi).data
    assert record["sha256"] == hashlib.sha256(pdf).hexdigest() and record["status"] == "valid"
    assert record["verify_url"].startswith(f"{PUBLIC_URL}/verify/") and record["valid_until"] == "2026-08-31"
    assert client.get(f"/api/v1/applications/{issued}/permit", headers=people.headers("budi")).status_code == 404


def test_a_supervisor_revokes_with_a_reason_and_others_cannot(client, people):
    issued = _issued(client, people)
    path = f"/api/v1/applications/{issued}/permit/revoke"
    assert client.post(path, headers=people.headers("vera"), json={"reason": "x"}).status_code == 403
    supri = people.headers("supri")
    empty = client.post(path, headers=supri, json={"reason": ""})
    assert empty.status_code == 422 and "reason" in empty.get_json()["error"]["details"]
    revoked = client.post(path, headers=supri, json={"reason": "Kapal dijual kepada pihak lain"})
    assert revoked.status_code == 200
    body = revoked.get_json()
    assert body["status"] == "revoked" and body["revoked_by"] == "supri"
    assert body["revoke_reason"] == "Kapal dijual kepada pihak lain"
    assert client.post(path, headers=supri, json={"reason": "lagi"}).status_code == 409


def test_an_analyst_previews_a_template_with_sample_data_and_lint_answers_located_problems(client, people):
    issued = _issued(client, people)  # a real file exists: the preview must still never show it
    analyst = people.headers("analis")
    path = "/api/v1/definitions/research_permit/letter-preview"
    template = b"<h1>{{ permit.title }}</h1>\n<p>Judul: {{ data.research_title }}</p>\n<p>{{ signer.name }}</p>"
    sample = orjson.dumps({"research_title": "Kajian terumbu karang Takabonerate"})
    shown = client.post(path, headers=analyst, content_type="multipart/form-data",
                        data={"letter": (io.BytesIO(template), "letter.html"),
                              "data": (io.BytesIO(sample), "data.json")})
    assert shown.status_code == 200 and shown.mimetype == "application/pdf"
    text = text_of_pdf(shown.data)
    assert "Judul: Kajian terumbu karang Takabonerate" in text and "DRAF" in text
    with_typo = client.post(path, headers=analyst, content_type="multipart/form-data",
                            data={"letter": (io.BytesIO(template.replace(b"research_title", b"reseach_title")),
                                             "letter.html")})
    assert with_typo.status_code == 422
    (problem,) = with_typo.get_json()["error"]["details"]
    assert problem["code"] == "letter_unknown_field" and problem["line"] == 2
    # The version's own letter with data invented from its forms: no applicant's name or title in it.
    deployed = client.post(path, headers=analyst, content_type="multipart/form-data", data={})
    assert deployed.status_code == 200
    invented = text_of_pdf(deployed.data)
    assert "DRAF" in invented and "Kajian mangrove pesisir Sinjai" not in invented and "Andi" not in invented
    refused = client.post(f"{path}?application={issued}", headers=analyst, content_type="multipart/form-data",
                          data={})
    assert refused.status_code == 422 and "application" in refused.get_json()["error"]["details"]
    bad = client.post(path, headers=analyst, content_type="multipart/form-data",
                      data={"data": (io.BytesIO(b"[1, 2]"), "data.json")})
    assert bad.status_code == 422 and "data" in bad.get_json()["error"]["details"]
    assert client.post(path, headers=people.headers("andi"), content_type="multipart/form-data",
                       data={}).status_code == 403
