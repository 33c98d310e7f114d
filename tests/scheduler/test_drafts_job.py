"""The uploads job also ends form drafts (issue 18): the owner is told once, by the outbox (e-mailed when they have
an address), ``draft_notice_days`` before their draft goes; then it goes."""

from __future__ import annotations

from datetime import timedelta

from engine.casework import drafts
from engine.people.access import Actor
from engine.storage.models import FormDraft, Notification, User
from scheduler import jobs
from tests.people import add_people

SITI = Actor.of("siti", ["applicant"])


def test_the_owner_hears_before_the_draft_goes_and_then_it_goes(db, ctx, clock):
    with db.transaction() as session:
        add_people(session, {"siti": (["applicant"], [], [], "Siti Rahma")})
        session.query(User).filter_by(username="siti").one().email = "siti@example.com"
        drafts.save(session, ctx, SITI, "start:research_permit", [("research_title", "Padang lamun Takalar")])
    assert jobs.expire_drafts(db.factory, ctx) == {"warned": 0, "expired": 0}
    clock.advance(timedelta(days=ctx.settings.draft_lifetime_days - ctx.settings.draft_notice_days))
    assert jobs.expire_drafts(db.factory, ctx) == {"warned": 1, "expired": 0}
    assert jobs.expire_drafts(db.factory, ctx) == {"warned": 0, "expired": 0}
    with db.transaction() as session:
        (notice,) = session.query(Notification).filter_by(kind=drafts.DRAFT_EXPIRING).all()
        assert (notice.recipient, notice.email, notice.email_status) == ("siti", "siti@example.com", "pending")
        assert "dihapus" in notice.body and "deleted" in notice.body
    with db.transaction() as session:  # a new save starts the draft's life again, and a notice may come again
        drafts.save(session, ctx, SITI, "start:research_permit", [("research_title", "Padang lamun Galesong")])
        assert session.query(FormDraft).one().expiry_notified_at is None
    clock.advance(timedelta(days=ctx.settings.draft_lifetime_days))
    assert jobs.expire_drafts(db.factory, ctx) == {"warned": 0, "expired": 1}
    with db.transaction() as session:
        assert session.query(FormDraft).count() == 0
