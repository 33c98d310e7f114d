"""Documents: stored by content hash with limits on size and type; downloaded only by those who may see them."""

from __future__ import annotations

import hashlib
import io
from dataclasses import replace

import pytest

from api import create_app
from engine.documents import file_store
from engine.storage.models import Attachment, AttachmentContent
from tests.api.conftest import apply, complete, open_task, research_data, upload, vessel_data
from tests.people import PDF, PNG
from tests.samples import INSPECTION


def _post(client, headers, content: bytes, name: str = "x.pdf"):
    return client.post("/api/v1/attachments", headers=headers, data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def test_upload_stores_the_bytes_under_their_checksum(client, people, ctx, db):
    body = upload(client, people.headers("andi"), PDF, "../../etc/surat permohonan.pdf")
    assert body["content_type"] == "application/pdf" and body["size"] == len(PDF)
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest() and body["name"] == "surat permohonan.pdf"
    with db.transaction() as session:
        assert file_store.open_bytes(session, ctx, body["sha256"]).read() == PDF
    again = upload(client, people.headers("budi"), PDF, "lagi.pdf")
    assert again["id"] != body["id"] and again["sha256"] == body["sha256"]  # one stored copy, two records
    with db.transaction() as session:
        assert session.query(Attachment).count() == 2
        if file_store.in_database(session, ctx):
            assert session.query(AttachmentContent).count() == 1
            assert not (ctx.settings.instance_path / "attachments").exists()  # nothing on this host's disk
        else:
            stored = ctx.settings.instance_path / "attachments" / body["sha256"][:2]
            assert [p.name for p in stored.iterdir()] == [body["sha256"]]


def test_with_documents_in_the_database_another_host_serves_an_upload(db, ctx, people, tmp_path):
    """Two app hosts: each its own instance folder, one database. A document uploaded on one downloads from the
    other when documents are kept in the database (PostgreSQL's default)."""

    def host(folder: str):
        settings = replace(ctx.settings, instance_path=tmp_path / folder, attachment_store="database")
        return create_app({"TESTING": True}, context=replace(ctx, settings=settings),
                          session_factory=db.factory).test_client()

    first, second = host("host-a"), host("host-b")
    body = upload(first, people.headers("andi"), PDF, "surat.pdf")
    download = second.get(f"/api/v1/attachments/{body['id']}", headers=people.headers("andi"))
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert not (tmp_path / "host-a" / "attachments").exists()


def test_the_type_is_decided_by_the_content_not_the_name(client, people):
    andi = people.headers("andi")
    assert upload(client, andi, PNG, "foto.pdf")["content_type"] == "image/png"
    for content, name in ((b"MZ\x90\x00 not a document", "virus.pdf"), (b"<html><script>", "page.png"), (b"", "e.pdf")):
        response = _post(client, andi, content, name)
        assert response.status_code == 415, name
        assert response.get_json()["error"]["code"] == "unsupported_media_type"


def test_oversize_upload_is_413_and_leaves_nothing_behind(client, people, ctx, db):
    big = PDF + b"0" * (10 * 1024 * 1024)
    response = _post(client, people.headers("andi"), big)
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "too_large"
    with db.transaction() as session:
        assert session.query(Attachment).count() == 0
    root = ctx.settings.instance_path / "attachments"
    assert not any(p.is_file() for p in root.rglob("*"))


def test_a_body_over_the_request_limit_is_413_in_the_error_shape(db, ctx, people):
    app = create_app({"TESTING": True, "MAX_CONTENT_LENGTH": 4096}, context=ctx, session_factory=db.factory)
    response = app.test_client().post("/api/v1/attachments", headers=people.headers("andi"),
                                      data={"file": (io.BytesIO(PDF + b"0" * 8192), "x.pdf")},
                                      content_type="multipart/form-data")
    assert response.status_code == 413 and set(response.get_json()["error"]) == {"code", "message", "details"}


def test_upload_needs_multipart_and_a_file_and_a_sign_in(client, people):
    andi = people.headers("andi")
    as_json = client.post("/api/v1/attachments", headers=andi, json={"file": "JVBERi0="})
    assert as_json.status_code == 415
    no_file = client.post("/api/v1/attachments", headers=andi, data={}, content_type="multipart/form-data")
    assert no_file.status_code == 422 and "file" in no_file.get_json()["error"]["details"]
    assert _post(client, {}, PDF).status_code == 401


def test_before_it_is_attached_only_the_uploader_can_download(client, people):
    andi = people.headers("andi")
    body = upload(client, andi, PDF, "surat.pdf")
    mine = client.get(f"/api/v1/attachments/{body['id']}", headers=andi)
    assert mine.status_code == 200 and mine.data == PDF and mine.mimetype == "application/pdf"
    assert 'filename=surat.pdf' in mine.headers["Content-Disposition"]
    assert mine.headers["X-Content-Type-Options"] == "nosniff"
    for other in ("budi", "vera", "admin"):
        assert client.get(f"/api/v1/attachments/{body['id']}", headers=people.headers(other)).status_code == 404


@pytest.mark.usefixtures("deployed")
def test_once_attached_those_who_see_the_application_can_download_and_others_cannot(client, people):
    owner = people.headers("andi")
    data = vessel_data(client, owner, "sinjai")
    created = apply(client, owner, "fishing_vessel_permit", data)
    file_id = data["ktp"]["id"]

    def status(who):
        return client.get(f"/api/v1/attachments/{file_id}", headers=people.headers(who)).status_code

    assert {who: status(who) for who in ("andi", "sinta", "supri", "admin", "bona", "budi", "rudi")} == {
        "andi": 200, "sinta": 200, "supri": 200, "admin": 200, "bona": 404, "budi": 404, "rudi": 404}
    # The file travels with the application: once the provincial review step opens, its reviewer may read it.
    sinta = people.headers("sinta")
    complete(client, sinta, open_task(client, sinta, created["id"], "Task_Recommend")["id"], {}, "Rekomendasikan")
    complete(client, sinta, open_task(client, sinta, created["id"], "Task_Inspect")["id"], INSPECTION, "Layak")
    assert status("rudi") == 200 and status("bona") == 404
    assert client.get("/api/v1/attachments/does-not-exist", headers=owner).status_code == 404


@pytest.mark.usefixtures("deployed")
def test_the_form_data_keeps_the_stored_reference(client, people):
    owner = people.headers("andi")
    data = research_data(client, owner)
    data["proposal"] = {**data["proposal"], "name": "lie.exe", "size": 1}
    created = apply(client, owner, data=data)
    detail = client.get(f"/api/v1/applications/{created['id']}", headers=owner).get_json()
    assert detail["data"]["proposal"]["name"] == "proposal.pdf" and detail["data"]["proposal"]["size"] == len(PDF)
