"""``UTCDateTime`` (``engine.storage.models``): aware datetimes stored as naive UTC, in the very text (SQLite) or value
(PostgreSQL) SQLAlchemy's own ``DateTime`` stores, so rows written before and after its faster bind processor compare
and sort alike; naive datetimes refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import DateTime, bindparam, literal, select

from engine.storage.models import Event, UTCDateTime

WITA = ZoneInfo("Asia/Makassar")
MOMENTS = [
    datetime(2026, 8, 17, 9, 30, 15, 250000, tzinfo=UTC),
    datetime(2026, 8, 17, 9, 30, 15, tzinfo=UTC),  # no microseconds: still written with six digits
    datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=WITA),  # another zone: stored as the UTC moment
    datetime(2026, 3, 1, 0, 0, tzinfo=timezone(timedelta(hours=-3, minutes=-30))),
    datetime(812, 1, 2, 3, 4, 5, 6, tzinfo=UTC),  # a year of three digits: padded as SQLAlchemy pads it
]


def _stored_by_sqlalchemy(dialect, moment: datetime):
    """What SQLAlchemy's plain ``DateTime`` sends for the naive UTC moment."""
    naive = moment.astimezone(UTC).replace(tzinfo=None)
    process = DateTime().dialect_impl(dialect).bind_processor(dialect)
    return process(naive) if process else naive


@pytest.mark.parametrize("moment", MOMENTS, ids=str)
def test_sends_what_sqlalchemy_datetime_sends_for_the_utc_moment(db, moment):
    dialect = db.engine.dialect
    process = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert process(moment) == _stored_by_sqlalchemy(dialect, moment)
    assert process(None) is None


def test_a_naive_datetime_is_refused(db):
    dialect = db.engine.dialect
    process = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    with pytest.raises(ValueError, match="naive datetime"):
        process(datetime(2026, 8, 17, 9, 30))


def test_rows_round_trip_and_compare_in_sql_with_text_sqlalchemy_wrote(db):
    """Stored through the ORM, read back aware in UTC; compared in SQL against a bound value and against the
    plain ``DateTime``'s own text, the order is the moments' order."""
    with db.transaction() as session:
        for number, moment in enumerate(MOMENTS):
            session.add(Event(kind=f"moment{number}", actor="vera", at=moment, data={}))
    with db.transaction() as session:
        read = dict(session.execute(select(Event.kind, Event.at).where(Event.kind.like("moment%"))).all())
        assert read == {f"moment{number}": moment.astimezone(UTC) for number, moment in enumerate(MOMENTS)}
        assert all(value.tzinfo is UTC for value in read.values())
        middle = MOMENTS[0]
        later = set(session.scalars(select(Event.kind).where(Event.kind.like("moment%"),
                                                               Event.at > bindparam("m", middle, UTCDateTime))))
        assert later == {f"moment{n}" for n, moment in enumerate(MOMENTS) if moment > middle}
        plain = literal(middle.replace(tzinfo=None), DateTime)  # SQLAlchemy's own text (SQLite) or value
        same = set(session.scalars(select(Event.kind).where(Event.kind.like("moment%"), Event.at == plain)))
        assert same == {"moment0"}
