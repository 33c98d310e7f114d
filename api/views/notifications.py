"""In-app notifications: each signed-in person lists and marks read their own, never anyone else's."""

from __future__ import annotations

from engine.messaging import notifications
from engine.storage.models import Notification

from ..auth import current_actor, login_required
from ..json_body import Blueprint
from ..schemas.notifications import MarkReadRequest, MarkReadResult, NotificationArgs, NotificationPage
from ..unit_of_work import engine_context, session

blp = Blueprint("notifications", __name__, url_prefix="/api/v1/notifications",
                description="Your notifications: stages of your applications, overdue and escalated tasks.")


def _item(row: Notification) -> dict:
    return {"id": row.id, "kind": row.kind, "subject": row.subject, "body": row.body, "created_at": row.created_at,
            "read": row.read_at is not None, "read_at": row.read_at, "instance_id": row.instance_id,
            "task_id": row.task_id, "data": row.data or {}}


@blp.route("")
@login_required()
@blp.arguments(NotificationArgs, location="query")
@blp.response(200, NotificationPage)
def list_notifications(args):
    """Your notifications, newest first, with how many are unread; page back with 'before'."""
    page = notifications.list_for(session(), current_actor(), unread_only=args["unread"], limit=args["limit"],
                                  before=args.get("before"))
    return {"items": [_item(row) for row in page.items], "unread": page.unread, "next_before": page.next_before}


@blp.route("/read", methods=["POST"])
@login_required()
@blp.arguments(MarkReadRequest, required=False)
@blp.response(200, MarkReadResult)
def mark_read(body):
    """Mark notifications read: the ids given, or all of yours. Ids that are not yours are ignored."""
    db = session()
    actor = current_actor()
    marked = notifications.mark_read(db, engine_context(), actor, ids=(body or {}).get("ids"))
    return {"marked": marked, "unread": notifications.unread_count(db, actor)}
