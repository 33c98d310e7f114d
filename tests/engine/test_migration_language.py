"""What the dry run and a refused move say is written once, in English, and said in the reader's language with the
same specifics: each reason of a verdict, the refusal that lists them, a plan naming elements a version lacks."""

from __future__ import annotations

import pickle

import pytest

from engine.casework import migration, migration_batch
from engine.errors import Conflict, InvalidData
from engine.storage.models import Instance
from tests.drive import start
from tests.engine.test_migration import APPLY, APPLY_WITH_PHONE, _plan, _review


def test_a_new_required_field_and_a_removed_step_are_said_in_indonesian_and_english(db, ctx, deploy):
    deploy(_review(), forms={"apply": APPLY})
    iid = start(db, ctx, "pengujian", {"title": "Padang lamun"})
    deploy(_review(review_id="check"), forms={"apply": APPLY_WITH_PHONE})
    with db.transaction() as session:
        (verdict,) = migration_batch.dry_run(session, ctx, _plan(db, ctx)).verdicts
    assert [reason.render("en") for reason in verdict.reasons] == [
        "its current step 'review' is not in version 2 and the plan maps it nowhere",
        "it passed step 'review.BoundaryEventSplit', which version 2 does not have; map it to a step of the new "
        "version",
        "the application form was filled in, but version 2's form requires phone, which it lacks"]
    assert [reason.render("id") for reason in verdict.reasons] == [
        "langkahnya saat ini, 'review', tidak ada di versi 2 dan rencana tidak memindahkannya ke mana pun",
        "permohonan sudah melewati langkah 'review.BoundaryEventSplit', yang tidak ada di versi 2; pindahkan langkah "
        "itu ke salah satu langkah versi baru dalam rencana",
        "formulir permohonan sudah diisi, tetapi formulir versi 2 mewajibkan phone, yang tidak ada dalam datanya"]
    plan = _plan(db, ctx)
    with db.transaction() as session:
        instance = session.get(Instance, iid)
        with pytest.raises(Conflict) as refused:
            migration.move(session, ctx, plan, instance, actor="analis")
    number = instance.registration_no
    assert refused.value.message == (  # the API and the CLI read the English, as before
        f"Application {number} cannot move to version 2: its current step 'review' is not in version 2 and the plan "
        "maps it nowhere; it passed step 'review.BoundaryEventSplit', which version 2 does not have; map it to a "
        "step of the new version; the application form was filled in, but version 2's form requires phone, which "
        "it lacks.")
    assert refused.value.localized("id") == (
        f"Permohonan {number} tidak dapat dipindahkan ke versi 2: langkahnya saat ini, 'review', tidak ada di versi 2 "
        "dan rencana tidak memindahkannya ke mana pun; permohonan sudah melewati langkah "
        "'review.BoundaryEventSplit', yang tidak ada di versi 2; pindahkan langkah itu ke salah satu langkah versi "
        "baru dalam rencana; formulir permohonan sudah diisi, tetapi formulir versi 2 "
        "mewajibkan phone, yang tidak ada dalam datanya.")
    # A refusal travels (a worker, a cache) as its id and parameters: still said in either language afterwards.
    copied = pickle.loads(pickle.dumps(refused.value.message))
    assert (str(copied), copied.render("id")) == (refused.value.message, refused.value.localized("id"))


def test_an_application_no_longer_running_is_said_by_its_status(db, ctx, deploy):
    deploy(_review(), forms={"apply": APPLY})
    iid = start(db, ctx, "pengujian", {"title": "Padang lamun"})
    deploy(_review(sla="P3D"), forms={"apply": APPLY})
    plan = _plan(db, ctx)
    with db.transaction() as session:
        instance = session.get(Instance, iid)
        instance.status = "cancelled"
        (reason,) = migration.judge(session, ctx, plan, instance).reasons
        session.rollback()
    assert (reason, reason.render("id")) == ("it was cancelled, not running",
                                             "permohonan dibatalkan, tidak sedang berjalan")


def test_a_plan_naming_elements_the_versions_lack_names_them_in_either_language(db, ctx, deploy):
    deploy(_review(), forms={"apply": APPLY})
    deploy(_review(sla="P3D"), forms={"apply": APPLY})
    plan = _plan(db, ctx, review="Task_Nowhere", ghost="review")
    with db.transaction() as session, pytest.raises(InvalidData) as refused:
        migration.check_plan(session, ctx, plan)
    assert refused.value.localized("id") == "Rencana pemindahan menyebut elemen yang tidak dimiliki versi-versi itu."
    assert refused.value.localized_details("en") == {
        "mapping.review": "version 2 has no element 'Task_Nowhere' to map 'review' to",
        "mapping.ghost": "version 1 has no element 'ghost'"}
    assert refused.value.localized_details("id") == {
        "mapping.review": "versi 2 tidak memiliki elemen 'Task_Nowhere' sebagai tujuan 'review'",
        "mapping.ghost": "versi 1 tidak memiliki elemen 'ghost'"}
    with db.transaction() as session, pytest.raises(InvalidData) as same:
        migration.check_plan(session, ctx, migration.Plan("pengujian", 2, 2))
    assert same.value.localized("id") == "Pilih dua versi yang berbeda sebagai asal dan tujuan pemindahan permohonan."
    assert same.value.localized_details("id") == {"to": "sama dengan versi asal (2)"}
