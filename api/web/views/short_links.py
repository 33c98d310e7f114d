"""``/f/<id>``: the short link an SMS carries to a file (``engine.messaging.sms_text``), 11 characters fewer than the
page's own address, which leaves more of the notice's line in 160 characters. It only redirects: the application's
page asks who is signed in and whether they may see the file, as for any other way there."""

from __future__ import annotations

from flask import redirect, url_for

from ..blueprint import bp


@bp.route("/f/<int(max=2147483647):application_id>")
def short_link(application_id: int):
    return redirect(url_for("web.application", application_id=application_id))
