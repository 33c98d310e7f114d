"""Offices and staff profiles: what a letter prints about the issuing office and its signer."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from api.cli import main
from engine.demo import emblem_png
from engine.errors import InvalidInput
from engine.people import offices, profiles
from engine.storage.models import Event
from tests.conftest import T0
from tests.people import PEOPLE, add_people


@pytest.fixture
def staff(db):
    with db.transaction() as session:
        add_people(session, PEOPLE)


@pytest.mark.usefixtures("staff")
@pytest.mark.parametrize("nip", ["19700312199503100", "1970031219950310021", "19700312 199503100", "1970.0312.1995"])
def test_a_nip_that_is_not_eighteen_digits_is_refused_naming_the_field(db, nip):
    with db.transaction() as session, pytest.raises(InvalidInput) as refused:
        profiles.save(session, "kadis", actor="admin", at=T0, nip=nip)
    assert "nip" in refused.value.details
    assert "NIP must be exactly 18 digits" in refused.value.message


@pytest.mark.usefixtures("staff")
def test_the_signer_block_comes_from_the_profile(db):
    with db.transaction() as session:
        profiles.save(session, "kadis", actor="admin", at=T0, position="Kepala Dinas",
                      rank="Pembina Utama Muda (IV/c)", nip=" 197003121995031002 ")
    with db.transaction() as session:
        signer = profiles.signer(session, "kadis")
        assert (signer.name, signer.position, signer.rank, signer.nip) == (
            "Kepala Dinas", "Kepala Dinas", "Pembina Utama Muda (IV/c)", "197003121995031002")
        assert profiles.signer(session, "vera").nip == ""  # no profile: the name alone
        assert session.query(Event).filter_by(kind="staff_profile_saved").count() == 1


def test_an_office_keeps_its_letterhead_emblem_and_numbers(db):
    with db.transaction() as session:
        offices.save(session, "sulsel", actor="admin", at=T0, name="DPM-PTSP Provinsi Sulawesi Selatan",
                     address="Jl. Bougenville No. 5, Makassar", place="Makassar",
                     public_url="https://izin.sulselprov.go.id/", emblem=emblem_png(),
                     letter_numbers={"fishing_vessel_permit": "503/{seq:05d}/SIPI/{roman_month}/{year}"})
    with db.transaction() as session:
        office = offices.get(session, "sulsel")
        assert office.public_url == "https://izin.sulselprov.go.id"
        assert office.emblem_type == "image/png"
        pattern = office.letter_numbers["fishing_vessel_permit"]
        assert offices.format_number(pattern, seq=7, year=2026, month=7) == "503/00007/SIPI/VII/2026"
        assert offices.get(session, "bone").name == "bone"  # not set up yet: named by its code


@pytest.mark.parametrize("change, field", [
    ({"emblem": b"GIF89a" + bytes(50)}, "emblem"),
    ({"emblem": b"\x89PNG\r\n\x1a\n" + bytes(offices.MAX_EMBLEM)}, "emblem"),
    ({"public_url": "javascript:alert(1)"}, "public_url"),
    ({"letter_numbers": {"research_permit": "503/{seq.__class__}/IP"}}, "letter_numbers"),
    ({"letter_numbers": {"research_permit": "503/IP/{year}"}}, "letter_numbers"),
])
def test_an_office_change_that_would_print_badly_is_refused_naming_the_field(db, change, field):
    with db.transaction() as session, pytest.raises(InvalidInput) as refused:
        offices.save(session, "sulsel", actor="admin", at=T0, **change)
    assert field in refused.value.details


@pytest.mark.usefixtures("staff")
def test_the_command_line_sets_an_office_and_a_profile(db, tmp_path):
    env = {"LINCAH_DATABASE_URL": db.url, "LINCAH_INSTANCE_PATH": str(tmp_path / "instance")}
    emblem = tmp_path / "lambang.png"
    emblem.write_bytes(emblem_png())
    runner = CliRunner(env=env)
    result = runner.invoke(main, ["offices", "set", "sinjai", "--name", "DPM-PTSP Kabupaten Sinjai", "--emblem",
                                  str(emblem), "--number", "fishing_vessel_permit=523/{seq}/SIPI/{year}"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["users", "profile", "kadis", "--nip", "12345"])
    assert result.exit_code == 1 and "NIP must be exactly 18 digits" in result.output
    result = runner.invoke(main, ["users", "profile", "kadis", "--position", "Kepala Dinas", "--nip",
                                  "197003121995031002"])
    assert result.exit_code == 0, result.output
    with db.transaction() as session:
        assert offices.get(session, "sinjai").emblem == emblem_png()
        assert profiles.signer(session, "kadis").nip == "197003121995031002"
