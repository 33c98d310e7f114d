"""The SLA burst's cheap paths write and say exactly what the plain ones do: many rows in one statement
(``sql.insert_rows``: SQLite's plain tuples, PostgreSQL's COPY into a staging table) and notices rendered once per text
(``notifications.Bilingual``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import select

from engine.messaging.notifications import Bilingual, in_both_languages
from engine.storage.models import Event, Notification
from engine.storage.sql import insert_rows
from engine.texts import ENGLISH, INDONESIAN, N_

AT = datetime(2026, 8, 17, 9, 30, 15, 250000, tzinfo=UTC)
WITA = timezone(timedelta(hours=8))
OVERDUE = (N_("Overdue: %(step)s — %(reg)s"),
           N_("Task \"%(step)s\" of application %(reg)s is overdue (target %(target)s, due %(due)s). Please complete "
              "it now."))


def _notice(n: int, **values) -> dict:
    return {"kind": "sla_breached", "recipient": f"officer.{n % 3}", "subject": f"Terlambat {n}", "body": "…",
            "created_at": AT, "instance_id": None, "task_id": None, "data": {"registration_no": f"REG/{n}"},
            "dedupe_key": f"sla_breached:{n}", "email": None, "email_status": None, "attempts": 0,
            "next_attempt_at": None, "channel": None, "phone": None, **values}


def test_many_rows_are_written_as_one_by_one_rows_would_be_and_duplicates_are_skipped(db):
    # 60 rows: past the size where one multi-row INSERT is used; instants in another zone and repeated values.
    events = [{"kind": "sla_breached", "actor": "system", "at": (AT + timedelta(seconds=n % 7)).astimezone(WITA),
               "instance_id": None, "definition_id": None, "task_id": None, "element_id": f"Task_{n % 4}",
               "data": {"n": n, "due_at": "2026-08-17T09:00:00+00:00", "groups": ["verifier"]}} for n in range(60)]
    with db.transaction() as session:
        insert_rows(session, Event.__table__, events)
        insert_rows(session, Notification.__table__, [_notice(n) for n in range(30)], skip_duplicates_of="dedupe_key")
    with db.transaction() as session:
        # The first 30 are there already (also from another transaction): skipped, not failing the statement.
        insert_rows(session, Notification.__table__, [_notice(n, subject=f"Again {n}") for n in range(60)],
                    skip_duplicates_of="dedupe_key")
    with db.transaction() as session:
        stored = session.scalars(select(Event).order_by(Event.id)).all()
        notices = session.scalars(select(Notification).order_by(Notification.id)).all()
    assert [(e.at, e.element_id, e.data) for e in stored] == [
        (AT + timedelta(seconds=n % 7), f"Task_{n % 4}", events[n]["data"]) for n in range(60)]
    assert all(e.at.tzinfo is not None for e in stored)
    assert [n.subject for n in notices] == [f"Terlambat {n}" for n in range(30)] + [f"Again {n}" for n in range(30, 60)]
    assert [(n.recipient, n.created_at, n.data, n.attempts) for n in notices] == [
        (f"officer.{n % 3}", AT, {"registration_no": f"REG/{n}"}, 0) for n in range(60)]


def test_a_notice_rendered_once_per_text_reads_as_one_rendered_whole():
    texts = Bilingual()
    for step, reg, due in (("Verifikasi berkas", "DPMPTSP/1", "10-06-2026 11:00 WITA"),
                           ("Verifikasi berkas", "DPMPTSP/2", "10-06-2026 12:00 WITA"),
                           ("Cek 100% lengkap", "REG/50%/3", "11-06-2026 09:00 WIB"),
                           ("Cek 100% lengkap", "REG/%(due)s", "%s")):
        per_language = {INDONESIAN: {"target": "4 jam kerja"}, ENGLISH: {"target": "4 working hours",
                                                                         "step": f"{step} (en)"}}
        expected = in_both_languages(*OVERDUE, {"step": step, "reg": reg, "due": due}, per_language)
        assert texts.say(*OVERDUE, {"step": step}, {"reg": reg, "due": due}, per_language) == expected
    subject, body = expected
    assert subject.endswith(" — REG/%(due)s")  # a value that looks like a hole stays as it is
    assert "REG/%(due)s" in body and "Cek 100% lengkap (en)" in body and "4 jam kerja" in body
    assert len(texts._made) == 2  # two distinct texts rendered, four notices said
