"""Groups are a managed list: admins add, retitle and retire them; accounts get groups only from it; a deploy names
the diagram's groups nobody has."""

from __future__ import annotations

import pytest

from engine.bpmn.compiler import SourceFile
from engine.config import PROJECT_ROOT
from engine.errors import Conflict, Forbidden, InvalidInput
from engine.people import accounts, groups
from engine.people.access import Actor
from engine.services import definitions
from engine.storage.models import Event, StaffGroup
from tests.people import account

ADMIN = Actor.of("admin", ["admin"], jurisdictions=["*"])


def _deploy(db, ctx, key: str):
    path = PROJECT_ROOT / "processes" / f"{key}.bpmn"
    with db.transaction() as session:
        return definitions.deploy(session, ctx, SourceFile(path.name, path.read_bytes()), [],
                                  definitions.form_source(ctx, path), actor="analis")


def test_an_admin_adds_retitles_and_retires_a_group_and_each_change_is_audited(db, ctx):
    with db.transaction() as session:
        groups.add(session, ctx, ADMIN, "Verifier", "Verifikator")
        with pytest.raises(Conflict):
            groups.add(session, ctx, ADMIN, "verifier")
        groups.retitle(session, ctx, ADMIN, "verifier", "Verifikator berkas")
        session.add(account("vera", ["officer"], ["verifier"], ["sulsel"]))
        session.flush()
        assert groups.listing(session) == [groups.GroupRow("verifier", "Verifikator berkas", False, 1)]
        groups.retire(session, ctx, ADMIN, "verifier")
        assert groups.active_names(session) == []
        assert groups.listing(session)[0].retired
        kinds = [e.kind for e in session.query(Event).order_by(Event.id)]
    assert kinds == ["group_added", "group_renamed", "group_retired"]


def test_only_an_admin_manages_groups_and_a_bad_name_is_refused_with_what_to_type(db, ctx):
    with db.transaction() as session:
        with pytest.raises(Forbidden):
            groups.add(session, ctx, Actor.of("manajer", ["manager"], jurisdictions=["*"]), "verifier")
        with pytest.raises(InvalidInput) as refused:
            groups.add(session, ctx, ADMIN, "tim teknis!")
    assert "tim teknis!" in refused.value.localized("en") and "lower-case" in refused.value.localized("en")
    assert "huruf kecil" in refused.value.localized("id")


def test_a_mistyped_group_is_refused_by_name_with_the_closest_listed_group_suggested(db, ctx):
    with db.transaction() as session:
        groups.ensure(session, ctx, ["verifier", "head_of_office"], actor="setup")
        session.add(account("vera", ["officer"], [], ["sulsel"]))
        session.flush()
        with pytest.raises(InvalidInput) as refused:
            accounts.update(session, ctx, ADMIN, "vera", groups=["verifer", "head_of_office"])
        assert session.query(StaffGroup).count() == 2
    message = refused.value.localized("en")
    assert "'verifer'" in message and "did you mean verifier?" in message and "head_of_office" not in message
    assert "apakah maksud Anda verifier?" in refused.value.localized("id")
    assert "groups" in refused.value.details


def test_accounts_get_listed_groups_and_keep_a_retired_one_they_already_have(db, ctx):
    with db.transaction() as session:
        groups.ensure(session, ctx, ["verifier", "old_team"], actor="setup")
        session.add(account("vera", ["officer"], ["old_team"], ["sulsel"]))
        session.flush()
        groups.retire(session, ctx, ADMIN, "old_team")
        user = accounts.update(session, ctx, ADMIN, "vera", groups=["verifier", "old_team"])
        assert user.groups == ["old_team", "verifier"]
        with pytest.raises(InvalidInput):
            accounts.create(session, ctx, ADMIN, username="baru", password="kata-sandi-yang-panjang-1",
                            roles=["officer"], groups=["old_team"])


def test_deploy_warns_at_the_step_whose_group_is_not_listed_or_that_no_account_has(db, ctx):
    with db.transaction() as session:
        groups.ensure(session, ctx, ["verifier"], actor="setup")
        session.add(account("vera", ["officer"], ["verifier"], ["sulsel"]))
    result = _deploy(db, ctx, "research_permit")
    warned = {(w["element_id"], w["code"]) for w in result.warnings if w["code"].startswith("candidate_group")}
    assert warned == {("Task_Sign", "candidate_group_unknown")}
    sign = next(w for w in result.warnings if w["element_id"] == "Task_Sign")
    assert "head_of_office" in sign["message"] and "Admin → Groups" in sign["message"]

    with db.transaction() as session:
        groups.ensure(session, ctx, ["head_of_office"], actor="setup")
    result = _deploy(db, ctx, "research_permit")
    assert {(w["element_id"], w["code"]) for w in result.warnings if w["code"].startswith("candidate_group")} == {
        ("Task_Sign", "candidate_group_unstaffed")}
