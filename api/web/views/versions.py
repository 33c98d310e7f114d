"""The analyst's pages for changing a service while files run: publishing with the changes and the running
applications in view (and a reason, recorded), and moving running applications to another version — the plan, the
dry run, the moves in batches (``engine/casework/migration.py``)."""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound as HttpNotFound

from engine.casework import migration, migration_batch
from engine.errors import LincahError
from engine.people.access import ANALYST
from engine.services import definitions, version_diff
from engine.texts import localized

from .. import i18n
from ..blueprint import bp
from ..pages import ctx, db, engine_step, render
from ..security import current_actor, signed_in

BATCH = 500


def _published(key: str):
    return next((d for d in reversed(definitions.versions(db(), key)) if d.status == "published"), None)


@bp.route("/analyst/services/<key>/<int(max=2147483647):version>/publishing")
@signed_in(ANALYST)
def analyst_publishing(key: str, version: int):
    """What publishing ``version`` changes, and how many applications are at each step of the version now taking
    them: the analyst confirms with a reason."""
    definition = definitions.get_version(db(), key, version)
    current = _published(key)
    diff = running = None
    if current is not None and current.version != version:
        diff = version_diff.diff_versions(db(), key, current.version, version)
        running = migration_batch.open_steps(db(), key, current.version)
    return render("web/analyst/publishing.html", key=key, name=i18n.service_name(definition), definition=definition,
                  current=current, diff=diff, running=running)


@bp.route("/analyst/services/<key>/migrate", methods=["GET", "POST"])
@signed_in(ANALYST)
def analyst_migrate(key: str):
    versions = definitions.versions(db(), key)
    if not versions:
        raise HttpNotFound()
    try:
        source = int(request.values.get("from") or 0)
        target = int(request.values.get("to") or 0)
    except ValueError:
        source = target = 0
    numbers = [d.version for d in versions]
    if source not in numbers or target not in numbers or source == target:
        current = _published(key)
        target = current.version if current else numbers[-1]
        source = next((n for n in reversed(numbers) if n != target and migration_batch.waiting_on(db(), key, n)),
                      next((n for n in reversed(numbers) if n != target), target))
    if source == target:
        flash(_("This service has one version only: there is nothing to move applications to."), "info")
        return redirect(url_for("web.analyst_service", key=key))
    plan = migration.default_plan(db(), ctx(), key, source, target)
    for old in plan.mapping:
        chosen = request.form.get(f"map.{old}")
        if chosen is not None:
            plan.mapping[old] = chosen or None
    dry = report = None
    action = request.form.get("action")
    try:
        if action == "dry-run":
            dry = migration_batch.dry_run(db(), ctx(), plan)
        elif action == "run":
            db().commit()  # the moves open transactions of their own (50 applications each)
            factory = current_app.extensions["lincah"]["session_factory"]
            report = migration_batch.run(factory, ctx(), plan, actor=current_actor().username,
                                         note=request.form.get("note", "")[:500], limit=BATCH)
    except LincahError as exc:
        # Said in the page's language, with what it names (a plan's wrong elements are in its details).
        details = exc.localized_details(i18n.lang())
        named = "; ".join(str(why) for why in details.values()) if isinstance(details, dict) else ""
        flash(f"{exc.localized(i18n.lang())} {named}".strip(), "error")
    target_definition = definitions.get_version(db(), key, target)
    target_elements = migration.elements(target_definition, ctx())
    return render("web/analyst/migrate.html", key=key, name=i18n.service_name(versions[-1]), numbers=numbers,
                  source=source, target=target, plan=plan, target_elements=target_elements,
                  target_definition=target_definition,
                  running=migration_batch.open_steps(db(), key, source),
                  waiting=len(migration_batch.waiting_on(db(), key, source)), dry=dry, report=report,
                  said=lambda message: localized(message, i18n.lang()))


@bp.route("/analyst/services/<key>/<int(max=2147483647):version>/publish-confirmed", methods=["POST"])
@signed_in(ANALYST)
def analyst_publish_confirmed(key: str, version: int):
    reason = (request.form.get("reason") or "").strip()
    if not reason:
        flash(_("Say why this version is published: it is recorded with who published it."), "error")
        return redirect(url_for("web.analyst_publishing", key=key, version=version))
    with engine_step():
        definitions.publish_version(db(), ctx(), key, version, actor=current_actor().username, reason=reason[:500])
    flash(_("Published %(key)s version %(version)s: new applications use it from now on.", key=key, version=version),
          "success")
    return redirect(url_for("web.analyst_service", key=key))
