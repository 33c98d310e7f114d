"""Reasons first (issue 18): a returned or rejected applicant reads the officer's note at the top of their page, and
in the notification and e-mail, not "the reason is in the history"; the satisfaction survey comes after it."""

from __future__ import annotations

import pytest

from engine.storage.models import Notification
from tests.web.conftest import apply, open_task_id, page, text_of

pytestmark = pytest.mark.usefixtures("deployed", "people")

RETURN_NOTE = "KTP buram; unggah ulang hasil pindaian yang jelas."
REJECT_NOTE = "Lokasi penelitian bukan kewenangan provinsi."


def _order(html, *ids: str) -> list[int]:
    """Where each element id starts in the page's source (-1 when absent)."""
    return [html.find(f'id="{element_id}"') for element_id in ids]


def test_a_returned_applicant_reads_the_officers_note_first_and_in_the_message(visitor, db):
    andi = visitor("andi")
    application_id = apply(andi)
    visitor("vera").post(f"/tasks/{open_task_id(db, application_id, 'Task_Verify')}",
                         {"_decision": "Kembalikan untuk perbaikan", "note": RETURN_NOTE})
    shown = andi.get(f"/applications/{application_id}")
    (reason,) = page(shown).cssselect("#office-reason")
    assert RETURN_NOTE in reason.text_content() and "Kembalikan untuk perbaikan" in reason.text_content()
    html = shown.get_data(as_text=True)
    assert html.find('id="office-reason"') < html.find("<h2>Tahapan</h2>"), "the reason comes before the stages"
    with db.transaction() as session:
        (returned,) = session.query(Notification).filter_by(kind="returned_for_revision").all()
    assert RETURN_NOTE in returned.body and "riwayat" not in returned.body
    assert RETURN_NOTE in text_of(andi.get("/notifications"))
    # Staff read the note where they always did; the block is the applicant's.
    assert page(visitor("supri").get(f"/applications/{application_id}")).cssselect("#office-reason") == []


def test_a_rejected_applicant_reads_the_reason_before_the_survey(visitor, db):
    andi = visitor("andi")
    application_id = apply(andi)
    visitor("vera").post(f"/tasks/{open_task_id(db, application_id, 'Task_Verify')}",
                         {"_decision": "Tolak", "note": REJECT_NOTE})
    shown = andi.get(f"/applications/{application_id}")
    html = shown.get_data(as_text=True)
    reason_at, survey_at = _order(html, "office-reason", "survey")
    assert 0 <= reason_at < survey_at, "the reason first, the survey after"
    assert REJECT_NOTE in page(shown).get_element_by_id("office-reason").text_content()
    assert "tidak disetujui" in page(shown).get_element_by_id("office-reason-title").text_content()
    with db.transaction() as session:
        (rejected,) = session.query(Notification).filter_by(kind="application_rejected").all()
    indonesian, english = rejected.body.split("\n\n", 1)
    assert REJECT_NOTE in indonesian and REJECT_NOTE in english
    assert indonesian.index(REJECT_NOTE) < indonesian.index("survei"), "the survey comes after the reason"
    assert "history" not in english
