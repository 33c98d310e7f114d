"""Administration of what letters print: offices (name, address, place, emblem, public URL, letter numbers per
service) and staff profiles (position, rank, NIP). The rules and checks are ``engine.people.offices`` and
``engine.people.profiles``; these pages only read the form and show the field each problem names."""

from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _

from engine.errors import InvalidInput, NotFound
from engine.people import accounts, offices, profiles
from engine.people.access import ADMIN
from engine.services import definitions, office_coverage

from ..blueprint import bp
from ..pages import ctx, db, engine_step, render
from ..security import current_actor, signed_in


def _numbers(text: str) -> dict[str, str]:
    found = {}
    for line in (text or "").splitlines():
        service, sep, pattern = line.partition("=")
        if sep and service.strip():
            found[service.strip()] = pattern.strip()
    return found


@bp.route("/admin/offices")
@signed_in(ADMIN)
def admin_offices():
    g.staff_page = True
    session = db()
    gaps = office_coverage.published_gaps(session, definitions.published_services(session),
                                          ctx().settings.default_jurisdiction)
    return render("web/admin/offices.html", offices=offices.all_offices(session), gaps=gaps,
                  handover_hours=ctx().settings.unstaffed_handover_hours)


@bp.route("/admin/offices/<code>", methods=["GET", "POST"])
@signed_in(ADMIN)
def admin_office(code: str):
    g.staff_page = True
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = request.form
        upload = request.files.get("emblem")
        emblem = upload.read(offices.MAX_EMBLEM + 1) if upload and upload.filename else None
        try:
            with engine_step():
                offices.save(db(), code, actor=current_actor().username, at=ctx().now(),
                             name=form.get("name", ""), address=form.get("address", ""),
                             place=form.get("place", ""), public_url=form.get("public_url", ""), emblem=emblem,
                             letter_numbers=_numbers(form.get("letter_numbers", "")),
                             supervising_office=form.get("supervising_office", ""))
        except InvalidInput as exc:
            for field in (exc.details or {"(form)": ""}):
                errors[field] = str(exc.message)
        else:
            flash(_("Office %(code)s saved.", code=code), "success")
            return redirect(url_for("web.admin_office", code=code))
    office = offices.get(db(), code)
    values = request.form if request.method == "POST" else {
        "name": office.name if office.name != code else "", "address": office.address, "place": office.place,
        "public_url": office.public_url, "supervising_office": office.supervising_office or "",
        "letter_numbers": "\n".join(f"{k}={v}" for k, v in sorted(office.letter_numbers.items()))}
    return render("web/admin/office_form.html", 422 if errors else 200, code=code, office=office, values=values,
                  errors=errors, max_kb=offices.MAX_EMBLEM // 1024)


@bp.route("/admin/offices/<code>/emblem")
@signed_in(ADMIN)
def admin_office_emblem(code: str):
    office = offices.get(db(), code)
    if not office.emblem:
        abort(404)
    return office.emblem, 200, {"Content-Type": office.emblem_type, "Cache-Control": "private, no-store",
                                "X-Content-Type-Options": "nosniff"}


@bp.route("/admin/users/<username>/profile", methods=["GET", "POST"])
@signed_in(ADMIN)
def admin_user_profile(username: str):
    g.staff_page = True
    user = accounts.get(db(), current_actor(), username)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            with engine_step():
                profiles.save(db(), user.username, actor=current_actor().username, at=ctx().now(),
                              position=request.form.get("position", ""), rank=request.form.get("rank", ""),
                              nip=request.form.get("nip", ""))
        except InvalidInput as exc:
            for field in (exc.details or {"(form)": ""}):
                errors[field] = _("NIP must be exactly 18 digits (no spaces or dots), e.g. 197001011995031001.") \
                    if field == "nip" else str(exc.message)
        except NotFound:
            abort(404)
        else:
            flash(_("Staff profile of %(user)s saved.", user=user.username), "success")
            return redirect(url_for("web.admin_user_profile", username=user.username))
    signer = profiles.signer(db(), user.username)
    values = request.form if request.method == "POST" else {"position": signer.position, "rank": signer.rank,
                                                               "nip": signer.nip}
    return render("web/admin/profile_form.html", 422 if errors else 200, user=user, values=values, errors=errors)
