"""A fake population registry (*Dukcapil*): ``GET /nik/{nik}`` → the person, or 404 for a NIK it does not know.

The real service is granted to government bodies by agreement and answers slowly at times; this one answers at
once. It knows the demo's people (:data:`PEOPLE`) and, so that any well-formed NIK typed in a demo works, every
16-digit NIK that does not end in ``0000`` (those are "not registered", to show the rejection path).
"""

from __future__ import annotations

import re
from http import HTTPStatus

from engine.demo_fakes.server import FakeServer, JsonHandler

PEOPLE = {
    "7371010101010001": {"name": "Andi Pratama", "regency": "makassar"},
    "7307010101010002": {"name": "Daeng Rahman", "regency": "sinjai"},
    "7308010101010003": {"name": "Hj. Besse Tenri", "regency": "bone"},
}
_NIK = re.compile(r"^/nik/([0-9]{16})$")


class _Handler(JsonHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        fake: FakeRegistry = self.server.fake
        fake.lookups.append(self.path)
        if fake.token and self.headers.get("Authorization") != f"Bearer {fake.token}":
            self.answer(HTTPStatus.UNAUTHORIZED, {"error": "unauthorized"})
            return
        match = _NIK.match(self.path)
        if not match:
            self.answer(HTTPStatus.NOT_FOUND, {"error": "use GET /nik/<16 digits>"})
            return
        person = fake.find(match.group(1))
        if person is None:
            self.answer(HTTPStatus.NOT_FOUND, {"nik": match.group(1), "status": "not_registered"})
        else:
            self.answer(HTTPStatus.OK, {"nik": match.group(1), "status": "registered", **person})


class FakeRegistry(FakeServer):
    handler = _Handler

    def __init__(self, port: int = 0, token: str | None = None):
        super().__init__(port)
        self.token = token
        self.lookups: list[str] = []

    @staticmethod
    def find(nik: str) -> dict | None:
        if nik in PEOPLE:
            return PEOPLE[nik]
        if nik.endswith("0000"):
            return None
        return {"name": "Penduduk Terdaftar", "regency": "sulsel"}
