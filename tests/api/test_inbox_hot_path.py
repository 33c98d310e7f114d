"""A person's inbox is answered below Flask (api.hot_path, api.views.tasks_hot_path.InboxListing) exactly as Flask
would answer it: the same statuses, bodies and headers, counters — and every error still comes from Flask's
handlers."""

from __future__ import annotations

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from api.views import tasks_hot_path
from engine.casework import inbox
from tests import samples
from tests.api.conftest import answered, apply, complete, vessel_data
from tests.api.test_tasks_hot_path import _round_trips

pytestmark = pytest.mark.usefixtures("deployed")

INBOX = "/api/v1/tasks"


@pytest.fixture
def files(client, people):
    """Four research applications waiting for the sulsel verifiers — one claimed by vera, one already done by her —
    and a vessel permit waiting in Sinjai."""
    andi, vera = people.headers("andi"), people.headers("vera")
    created = [apply(client, andi) for _ in range(4)]
    client.post(f"/api/v1/tasks/{created[1]['tasks'][0]['id']}/claim", headers=vera)
    assert complete(client, vera, created[2]["tasks"][0]["id"], samples.VERIFIED, "Setujui").status_code == 200
    apply(client, andi, "fishing_vessel_permit", vessel_data(client, andi, "sinjai"))
    return created


def _answer(response) -> tuple:
    headers = {name: value for name, value in response.headers.items() if name not in ("X-Request-ID", "Date")}
    return response.status_code, response.get_data(as_text=True), headers


def _get(who: str | None, query: str = "", path: str = INBOX, authorization: str | None = None):
    def call(client, people, created):
        headers = people.headers(who) if who else {}
        if authorization:
            headers = {"Authorization": authorization}
        return client.get(f"{path}{query}", headers=headers)
    return call


def _next_page(client, people, created):
    vera = people.headers("vera")
    first = client.get(f"{INBOX}?limit=1", headers=vera).get_json()
    return client.get(f"{INBOX}?limit=1&cursor={first['next_cursor']}", headers=vera)


# Each case: (name, how to ask for the inbox). Reads change nothing: both paths answer the same state.
CASES = [
    ("an officer's inbox", _get("vera")),
    ("another office's officer", _get("sinta")),
    ("a supervisor", _get("supri")),
    ("an applicant", _get("andi")),
    ("history", _get("vera", "?state=completed")),
    ("claimed", _get("vera", "?state=claimed")),
    ("mine", _get("vera", "?assignee=me")),
    ("unassigned", _get("vera", "?assignee=none")),
    ("at risk", _get("vera", "?sla=at_risk")),
    ("breached", _get("supri", "?sla=breached")),
    ("searched", _get("vera", "?q=andi")),
    ("searched, encoded", _get("vera", "?q=Andi%20Pratama")),
    ("one service", _get("vera", "?service=research_permit")),
    ("sorted by creation", _get("vera", "?sort=created_at&limit=2")),
    ("a page by offset", _get("vera", "?limit=1&offset=1")),
    ("the next page by cursor", _next_page),
    ("an unknown parameter", _get("vera", "?colour=blue")),
    ("a blank parameter", _get("vera", "?q=")),
    ("a limit too large", _get("vera", "?limit=201")),
    ("a limit not a number", _get("vera", "?limit=ten")),
    ("a state that is not one", _get("vera", "?state=open")),
    ("a broken cursor", _get("vera", "?cursor=not-a-cursor")),
    ("a parameter twice", _get("vera", "?limit=1&limit=2")),
    ("a NUL", _get("vera", "?q=a%00b")),
    ("bytes that are not UTF-8", _get("vera", "?q=%FF%FE")),
    ("a trailing slash", _get("vera", path=INBOX + "/")),
    ("a manager (no inbox role)", _get("manajer")),
    ("a bad token", _get(None, authorization="Bearer nope")),
    ("Basic credentials", _get(None, authorization="Basic eDp5")),
    ("no credentials", _get(None)),
]


@pytest.mark.parametrize("name,call", CASES, ids=[case[0] for case in CASES])
def test_the_inbox_path_answers_as_flask_does(client, people, files, flask_only, name, call):
    answers = []
    for on in (True, False):
        flask_only(on)
        answers.append(_answer(call(client, people, files)))
    assert answers[0] == answers[1]


def test_the_plain_inbox_never_reaches_flask(app, client, people, files, monkeypatch):
    monkeypatch.setitem(app.view_functions, "tasks.list_tasks", lambda **kwargs: pytest.fail("Flask answered"))
    page = client.get(f"{INBOX}?limit=2", headers={**people.headers("vera"), "X-Request-ID": "inbox-0001"})
    assert (page.status_code, page.headers["X-Request-ID"]) == (200, "inbox-0001")
    assert page.headers["Content-Length"] == str(len(page.get_data()))
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    body = page.get_json()
    assert (len(body["items"]), body["total"], body["next_cursor"] is not None) == (2, 3, True)
    assert {item["application"]["id"] for item in body["items"]} <= {files[0]["id"], files[1]["id"], files[3]["id"]}


def test_its_answers_are_counted_and_logged_like_flasks(client, people, files, caplog):
    caplog.set_level("INFO", logger="lincah.http")
    before = answered(client, "GET", tasks_hot_path.INBOX.rule, 200)
    client.get(INBOX, headers=people.headers("vera"))
    assert any(record.getMessage().startswith(f"GET {INBOX} 200 ") for record in caplog.records)
    assert answered(client, "GET", tasks_hot_path.INBOX.rule, 200) == before + 1


def test_an_unavailable_database_is_flasks_503(client, people, files, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("SELECT task", {}, Exception("server closed the connection unexpectedly"))
    monkeypatch.setattr(inbox, "search", down)
    answer = client.get(INBOX, headers=people.headers("vera"))
    assert (answer.status_code, answer.headers["Retry-After"]) == (503, "5")


def test_a_bug_is_flasks_logged_500_with_a_reference(client, people, files, monkeypatch, caplog):
    monkeypatch.setattr(inbox, "search", lambda *a, **k: {}["no such key"])
    answer = client.get(INBOX, headers={**people.headers("vera"), "X-Request-ID": "bug-3"})
    assert answer.status_code == 500 and answer.headers["X-Request-ID"] == "bug-3"
    reference = answer.json["error"]["details"]["reference"]
    (logged,) = [record for record in caplog.records if reference in record.getMessage()]
    assert logged.exc_info and "no such key" in str(logged.exc_info[1])


def test_a_page_takes_two_round_trips_on_postgresql_and_writes_nothing(client, people, db, files, flask_only):
    """Below Flask the inbox reads without a transaction on PostgreSQL: the token, then the page with its count —
    no BEGIN and no COMMIT (Flask's view: 4 round trips). On SQLite it reads in a transaction, as the view does."""
    vera = people.headers("vera")
    answers = {}

    def hot() -> None:
        answers["hot"] = client.get(INBOX, headers=vera)

    def through_flask() -> None:
        flask_only(False)
        answers["flask"] = client.get(INBOX, headers=vera)
        flask_only(True)

    used = []

    def checked_out(dbapi_connection, _record, _proxy) -> None:
        used.append(dbapi_connection)

    event.listen(db.engine, "checkout", checked_out)
    try:
        if db.backend == "postgresql":
            assert (_round_trips(db.engine, hot), _round_trips(db.engine, through_flask)) == (2, 4)
            # The connection went back to the pool as it came: its next user gets transactions again.
            assert [raw.autocommit for raw in used] == [False, False]
        else:
            hot()
            through_flask()
    finally:
        event.remove(db.engine, "checkout", checked_out)
    assert answers["hot"].get_data() == answers["flask"].get_data() and answers["hot"].json["total"] == 3
