"""Administration of API clients: the programs (external-task workers, systems sending messages) that call
``/engine-rest``. Listed with their scopes; added and rotated with the secret shown once, on the answer page only
(never in a flash message or a redirect, which the session cookie would carry); revoked. The rules and the audit
are ``engine.integration.clients``'."""

from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_babel import gettext as _

from engine.errors import Conflict, InvalidInput
from engine.integration import clients, refusals
from engine.people.access import ADMIN

from ..blueprint import bp
from ..pages import FormPage, ctx, db, engine_step, render
from ..security import current_actor, signed_in


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").replace(";", ",").replace("\n", ",").split(",") if part.strip()]


def client_form() -> FormPage:
    schema = {"type": "object", "required": ["name"], "properties": {
        "name": {"type": "string", "title": _("Client name"), "minLength": 1, "maxLength": 100},
        "topics": {"type": "string", "title": _("Topics it may fetch"), "maxLength": 2000},
        "messages": {"type": "string", "title": _("Messages it may send"), "maxLength": 2000},
        "jurisdictions": {"type": "string", "title": _("Offices whose work it may see"), "maxLength": 2000},
    }}
    ui = {"name": {"ui:help": _("Letters, digits, '.', '_' or '-': the name the program signs in with.")},
          "topics": {"ui:help": _("External-task topics (camunda:topic), separated with commas.")},
          "messages": {"ui:help": _("Message names, separated with commas.")},
          "jurisdictions": {"ui:help": _("Office codes such as sinjai or bone, separated with commas; empty: every "
                                         "office.")}}
    return FormPage(schema, ui)


def _secret_page(row, secret: str, *, created: bool):
    g.staff_page = True
    body, status = render("web/admin/client_secret.html", client=row, secret=secret, created=created)
    return body, status, {"Cache-Control": "no-store"}


@bp.route("/admin/clients")
@signed_in(ADMIN)
def admin_clients():
    g.staff_page = True
    # The messages refused before they reached any application: nobody else sees them (a file's own refusals are
    # on its page and told to its office), and a bank callback that matched nothing is money to trace.
    return render("web/admin/clients.html", clients=clients.all_clients(db()),
                  unmatched=refusals.recent_unmatched(db()))


@bp.route("/admin/clients/new", methods=["GET", "POST"])
@signed_in(ADMIN)
def admin_client_new():
    page = client_form()
    g.staff_page = True
    if request.method == "GET":
        return render("web/admin/client_form.html", form=page.build())
    page.read(request, store=None)
    if page.check():
        try:
            with engine_step():
                row, secret = clients.add(db(), ctx(), page.data["name"].strip(),
                                          topics=_split(page.data.get("topics")),
                                          messages=_split(page.data.get("messages")),
                                          jurisdictions=_split(page.data.get("jurisdictions")),
                                          actor=current_actor().username)
        except Conflict:
            page.errors["name"] = _("There is already an API client with this name: rotate its secret or choose "
                                    "another name.")
        except InvalidInput as exc:
            page.refused(exc)
        else:
            return _secret_page(row, secret, created=True)
    return render("web/admin/client_form.html", 422, form=page.build())


@bp.route("/admin/clients/<name>/rotate", methods=["POST"])
@signed_in(ADMIN)
def admin_client_rotate(name: str):
    """A new secret, shown on the answer page this once; the old one stops working at once."""
    row, secret = clients.rotate(db(), ctx(), name, actor=current_actor().username)
    return _secret_page(row, secret, created=False)


@bp.route("/admin/clients/<name>/revoke", methods=["POST"])
@signed_in(ADMIN)
def admin_client_revoke(name: str):
    row = clients.revoke(db(), ctx(), name, actor=current_actor().username)
    flash(_("API client %(name)s is revoked: its secret no longer works. Rotating its secret makes it active again.",
            name=row.name), "success")
    return redirect(url_for("web.admin_clients"))
