"""``lincah institutions``: an office adds its campuses and their operators from the command line; a bad code or an
unknown campus is refused with the field to fix."""

from __future__ import annotations

from click.testing import CliRunner

from api.cli import main as cli
from engine.people import users


def test_campuses_and_operators_from_the_command_line(db, tmp_path):
    env = {"LINCAH_DATABASE_URL": db.url, "LINCAH_INSTANCE_PATH": str(tmp_path / "instance")}
    runner = CliRunner()
    added = runner.invoke(cli, ["institutions", "add", "unhas", "Universitas Hasanuddin", "--email",
                                "humas@unhas.ac.id"], env=env)
    assert added.exit_code == 0, added.output
    refused = runner.invoke(cli, ["institutions", "add", "Bad Code", "X"], env=env)
    assert refused.exit_code != 0 and "code:" in refused.output
    operator = runner.invoke(cli, ["institutions", "add-operator", "unhas", "op.unhas", "--password",
                                   "kampus-merdeka-2026", "--name", "Operator Unhas"], env=env)
    assert operator.exit_code == 0, operator.output
    unknown = runner.invoke(cli, ["institutions", "add-operator", "itb", "op.itb", "--password",
                                  "kampus-merdeka-2026"], env=env)
    assert unknown.exit_code != 0 and "There is no institution 'itb'" in unknown.output
    listed = runner.invoke(cli, ["institutions", "list"], env=env)
    assert "unhas" in listed.output and "Universitas Hasanuddin" in listed.output
    with db.transaction() as session:
        account = users.by_username(session, "op.unhas")
        assert (account.roles, account.institution_code) == (["institution"], "unhas")
