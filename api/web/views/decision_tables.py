"""The analyst's decision tables (*tabel keputusan*): the deployed decisions, and a page per version that shows the
table as the server reads it and tries it with typed-in inputs — the result, the rules that matched (highlighted
in the table) and, when the table cannot answer, why, naming the rules or the column.

Reading and evaluating are the engine's (``engine.services.decisions``, ``engine.decisions.tryout``); a try-out
saves nothing, so it is a POST only for the size of its form and the CSRF check.
"""

from __future__ import annotations

from flask import g, request
from flask_babel import gettext as _

from engine.decisions import tryout
from engine.decisions.evaluation import DecisionFailed
from engine.decisions.model import Decision
from engine.people.access import ANALYST
from engine.services import decisions

from ..blueprint import bp
from ..pages import db, render
from ..security import signed_in

_KIND_ERRORS = {
    tryout.NUMBER: lambda: _("Type a number, such as 1500000 or 2.5."),
    tryout.BOOLEAN: lambda: _("Choose true or false."),
    tryout.DATE: lambda: _("Type a date as YYYY-MM-DD."),
    tryout.DATE_TIME: lambda: _("Type a date and time as YYYY-MM-DDTHH:MM."),
}


def _staff_page() -> None:
    g.staff_page = True


def source_label(row) -> str:
    """Where a version came from: the service it was deployed with, or its file alone."""
    if row.service_key:
        return _("service %(key)s version %(version)s", key=row.service_key, version=row.service_version)
    return _("file %(name)s, deployed alone", name=row.filename)


@bp.route("/analyst/decisions")
@signed_in(ANALYST)
def analyst_decisions():
    _staff_page()
    rows = decisions.latest_of_each(db())
    return render("web/analyst/decisions.html", rows=rows, source_label=source_label)


def _failure_text(decision: Decision, error: DecisionFailed) -> str:
    """What went wrong, in the page's language, naming the rules or the column as the engine's details do."""
    details = error.details if isinstance(error.details, dict) else {}
    titles = {rule.id: rule for rule in decision.rules}
    if details.get("rules"):
        names = [_("rule %(index)s (%(id)s)", index=titles[rule_id].index, id=rule_id) if rule_id in titles
                 else rule_id for rule_id in details["rules"]]
        named = _("%(some)s and %(last)s", some=", ".join(names[:-1]), last=names[-1]) if len(names) > 1 \
            else names[0]
        if decision.hit_policy == "UNIQUE":
            return _("This table is UNIQUE, but %(rules)s all match these inputs. Change the table so that at most "
                     "one rule matches, or choose another hit policy.", rules=named)
        return _("This table has hit policy ANY, but %(rules)s match with different outputs. Make the matching rules "
                 "give the same outputs, or choose another hit policy.", rules=named)
    columns = {column.id: column.title for column in decision.inputs}
    if details.get("input") in columns:
        return _("Input %(column)s does not have the type its column declares: %(message)s",
                 column=columns[details["input"]], message=str(error))
    return _("The table gives no result: %(message)s", message=str(error))


@bp.route("/analyst/decisions/<key>/<int(max=2147483647):version>", methods=["GET", "POST"])
@signed_in(ANALYST)
def analyst_decision(key: str, version: int):
    """The table and its try-out form; a POST evaluates the typed-in values and shows what matched."""
    _staff_page()
    row = decisions.get_version(db(), key, version)
    decision = decisions.table_of(row)
    fields = tryout.input_fields(decision)
    outcome, field_errors, failure = None, {}, None
    entered = {item.name: request.form.get(item.name, "") for item in fields}
    if request.method == "POST":
        variables, errors = tryout.read_values(decision, request.form)
        by_name = {item.name: item for item in fields}
        field_errors = {name: _("Choose one of the listed values.") if by_name[name].options
                        else _KIND_ERRORS.get(by_name[name].kind, lambda: "")() for name in errors}
        if not field_errors:
            outcome = tryout.try_table(decision, variables)
            if outcome.error is not None:
                failure = _failure_text(decision, outcome.error)
    others = [other.version for other in decisions.versions(db(), key)]
    status = 422 if field_errors else 200
    return render("web/analyst/decision.html", status, row=row, decision=decision, fields=fields,
                  entered=entered, field_errors=field_errors, outcome=outcome, failure=failure,
                  versions=others, source=source_label(row))
