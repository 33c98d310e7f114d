"""spiff-arena's script helpers: ``get_process_initiator_user()`` and ``get_localtime()`` run in the sandbox and give
only the file's own facts; a helper that would reach other users or the server (``get_current_user()``,
``get_group_members()``…) is refused at deploy with the element and the helper named — in plain diagrams too."""

from __future__ import annotations

import pytest

from engine.bpmn.compiler import SourceFile
from engine.casework import applications
from engine.forms.schemas import FormSource
from engine.people.access import Actor
from engine.sandbox import spiff_helpers
from engine.services import definitions
from engine.storage.models import Instance
from tests.engine.conftest import APPLICANT, OTHER_APPLICANT, diagram
from tests.engine.test_spiff_models import data_of, spiff_diagram

SCRIPTS = """
<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="siapkan"/>
<bpmn:scriptTask id="siapkan" name="Siapkan"><bpmn:script>pemohon = get_process_initiator_user()
waktu_jakarta = get_localtime("2026-06-02T09:00:00+08:00", "Asia/Jakarta")</bpmn:script></bpmn:scriptTask>
<bpmn:sequenceFlow id="f1" sourceRef="siapkan" targetRef="cek"/>
<bpmn:manualTask id="cek" name="Cek"><bpmn:extensionElements>
  <spiffworkflow:preScript>oleh = get_process_initiator_user()["username"]</spiffworkflow:preScript>
</bpmn:extensionElements></bpmn:manualTask>
<bpmn:sequenceFlow id="f2" sourceRef="cek" targetRef="e"/><bpmn:endEvent id="e"/>"""


def test_the_safe_helpers_give_the_files_own_applicant_and_local_times(db, ctx):
    with db.transaction() as session:
        definitions.deploy(session, ctx, SourceFile("p.bpmn", spiff_diagram(SCRIPTS).encode()), [], FormSource(),
                           actor="analyst")
    started = {}
    for actor in (APPLICANT, OTHER_APPLICANT):
        with db.transaction() as session:
            started[actor.username] = applications.start(session, ctx, service="p", data={}, actor=actor).id
    for username, instance_id in started.items():
        with db.transaction() as session:
            assert session.get(Instance, instance_id).status != "error"
        data = data_of(db, ctx, instance_id, "cek")
        # Each file sees its own applicant, never another's: the account's name, or the username when it has none.
        names = {"andi": "Andi Pratama", "budi": "budi"}
        assert data["pemohon"] == {"username": username, "display_name": names[username]}
        assert data["oleh"] == username
        assert data["waktu_jakarta"] == "2026-06-02T08:00:00+07:00"


def test_a_wrong_local_time_says_what_to_write():
    get_localtime = spiff_helpers.helpers({})["get_localtime"]
    with pytest.raises(ValueError, match="Asia/Makassar"):
        get_localtime("2026-06-02T09:00:00", "Mars/Olympus")
    with pytest.raises(ValueError, match="no applicant"):
        spiff_helpers.helpers({})["get_process_initiator_user"]()


@pytest.mark.parametrize("wrap", [spiff_diagram, diagram], ids=["spiff", "plain"])
def test_a_helper_that_would_reach_other_users_is_refused_at_deploy_naming_it(ctx, wrap):
    xml = wrap("""
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="anggota"/>
    <bpmn:scriptTask id="anggota" name="Anggota"><bpmn:script>members = get_group_members("verifier")
saya = get_current_user()</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f1" sourceRef="anggota" targetRef="e"/><bpmn:endEvent id="e"/>""")
    compiled = definitions.lint(ctx, SourceFile("p.bpmn", xml.encode()), [], FormSource())
    refused = [p for p in compiled.problems.errors if p.code == "spiff_helper_unsupported"]
    assert [(p.element_id, p.params["helper"]) for p in refused] == [("anggota", "get_group_members"),
                                                                     ("anggota", "get_current_user")]
    assert "get_process_initiator_user()" in refused[0].message
    assert "pengguna lain" in refused[0].message_id  # the reason, in Indonesian too


def test_the_initiator_is_the_applicant_account_when_staff_apply_for_them(db, ctx):
    """A clerk's walk-in: the initiator is the applicant's account (its name), not the clerk who typed it in."""
    with db.transaction() as session:
        definitions.deploy(session, ctx, SourceFile("p.bpmn", spiff_diagram(SCRIPTS).encode()), [], FormSource(),
                           actor="analyst")
    clerk = Actor.of("kasir", ["officer"], full_name="Kasir Loket")
    with db.transaction() as session:
        instance_id = applications.start(session, ctx, service="p", data={}, actor=clerk, applicant="andi",
                                         applicant_name="Andi Pratama").id
    assert data_of(db, ctx, instance_id, "cek")["pemohon"] == {"username": "andi", "display_name": "Andi Pratama"}


def test_a_file_started_before_the_name_was_stored_gives_the_name_on_its_form():
    """Older files' facts hold only the username: the name the applicant wrote on the form, else the username."""
    old = {"application": {"registration_no": "IUP/1", "applicant": "andi"}, "full_name": " Andi P. "}
    assert spiff_helpers.helpers(old)["get_process_initiator_user"]() == {"username": "andi",
                                                                          "display_name": "Andi P."}
    bare = {"application": {"registration_no": "IUP/1", "applicant": "andi"}}
    assert spiff_helpers.helpers(bare)["get_process_initiator_user"]()["display_name"] == "andi"
    # A stored account name wins over whatever a form field says.
    stored = {"application": {"applicant": "andi", "applicant_name": "Andi Pratama"}, "full_name": "Someone Else"}
    assert spiff_helpers.helpers(stored)["get_process_initiator_user"]()["display_name"] == "Andi Pratama"
