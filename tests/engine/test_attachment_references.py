"""Which forms have file fields at all: a completion of a form without one skips the walk for file references."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.documents import attachments
from engine.people.access import Actor

ROOT = Path(__file__).resolve().parents[2]
FILE = {"type": "object", "format": "attachment"}


@pytest.mark.parametrize("schema", [
    {"type": "object", "properties": {"ktp": FILE}},
    {"type": "object", "properties": {"documents": {"type": "array", "items": FILE}}},
    {"type": "object", "properties": {"ktp": {"$ref": "#/$defs/file"}}, "$defs": {"file": FILE}},
    {"type": "object", "allOf": [{"if": {"required": ["x"]}, "then": {"properties": {"ktp": FILE}}}]},
])
def test_a_file_field_anywhere_in_the_form_is_found(schema):
    assert attachments._has_file_fields(schema)


def test_the_shipped_forms_with_file_fields_are_told_from_those_without():
    def has_files(name: str) -> bool:
        return attachments._has_file_fields(json.loads((ROOT / "forms" / name).read_text()))

    assert has_files("research_permit/apply.json") and has_files("fishing_vessel_permit/apply.json")
    assert not has_files("research_permit/verify.json") and not has_files("fishing_vessel_permit/review.json")


def test_a_form_without_file_fields_returns_the_data_as_sent_without_asking_the_database():
    schema = {"type": "object", "properties": {"note": {"type": "string"}, "format": {"type": "string"}}}
    data = {"note": "Berkas lengkap", "format": "attachment", "id": "not a file"}

    # No session at all: looking anything up would fail.
    checked, files = attachments.check_references(None, schema, data, Actor.of("vera", ["officer"]))

    assert checked == data and files == []
