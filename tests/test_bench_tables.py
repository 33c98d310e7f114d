"""The README's bench tables: splicing between markers, the markers' check, the raw-step yardstick and the tables
the wired benches print with ``--readme`` (tiny runs; nothing here asserts a duration)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import text

from bench import engine_step, message_correlation, raw_step, readme_tables, timers
from engine.config import Settings
from engine.context import EngineContext
from engine.workflow.live_workflows import LiveWorkflows

ROOT = Path(__file__).resolve().parent.parent

README = """# Title

Some prose with `<!-- bench` in code, kept as it is.

<!-- bench:alpha -->
| old | table |
|---|---|
| 1 | 2 |
<!-- /bench:alpha -->

Prose between the tables.  Two spaces kept.

<!-- bench:beta:one -->
| beta | old |
<!-- /bench:beta:one -->
tail without newline"""


def test_splice_replaces_only_what_stands_between_the_markers():
    spliced, unplaced = readme_tables.splice(README, {"alpha": "| new | table |\n|---|---|\n| 3 | 4 |\n"})

    assert unplaced == []
    before, _, rest = README.partition("<!-- bench:alpha -->")
    _, _, after = rest.partition("<!-- /bench:alpha -->")
    assert spliced == (before + "<!-- bench:alpha -->\n| new | table |\n|---|---|\n| 3 | 4 |\n"
                       "<!-- /bench:alpha -->" + after)
    assert "| beta | old |" in spliced  # a table that was not run stays as it was


def test_splice_reports_a_table_without_markers_and_changes_nothing_for_it():
    spliced, unplaced = readme_tables.splice(README, {"gamma": "| g |", "beta:one": "| beta | new |"})

    assert unplaced == ["gamma"]
    assert "| g |" not in spliced
    assert "<!-- bench:beta:one -->\n| beta | new |\n<!-- /bench:beta:one -->\ntail without newline" in spliced


def test_a_marker_never_closed_is_not_filled():
    readme = "<!-- bench:alpha -->\n| old |\n\nmore prose\n"
    spliced, unplaced = readme_tables.splice(readme, {"alpha": "| new |"})

    assert spliced == readme
    assert unplaced == ["alpha"]


def test_blocks_read_back_what_marked_wraps():
    output = readme_tables.marked("x:1", "| a |\n") + "\nnoise\n" + readme_tables.marked("y", "| b |")

    assert readme_tables.blocks(output) == {"x:1": "| a |\n", "y": "| b |\n"}


def test_check_names_unknown_markers_and_bench_tables_without_markers():
    orphans, unplaced = readme_tables.check("<!-- bench:nobody -->\n| x |\n<!-- /bench:nobody -->\n"
                                            "<!-- bench:timers -->\n| t |\n<!-- /bench:timers -->\n")

    assert orphans == ["nobody"]
    assert "timers" not in unplaced
    assert "engine_step:raw" in unplaced and "message_correlation" in unplaced


def test_the_real_readme_has_a_marker_for_every_bench_table_and_a_bench_for_every_marker():
    finished = subprocess.run([sys.executable, str(ROOT / "bench" / "readme_tables.py"), "--check"],
                              capture_output=True, text=True, check=False)

    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert readme_tables.check((ROOT / "README.md").read_text(encoding="utf-8")) == ([], [])


def test_quick_and_full_sizes_are_different_commands():
    quick = readme_tables.command("engine_step", full=False)
    full = readme_tables.command("engine_step", full=True)

    assert quick[1:3] == [str(ROOT / "bench" / "engine_step.py"), "--readme"]
    assert quick != full and "64" in full


def test_the_raw_step_completes_the_verification_and_the_measure_counts_its_samples(tmp_path):
    state = raw_step.research_state(tmp_path)

    after = raw_step.STOCK.deserialize_json(raw_step.raw_step(state))
    (ready,) = after.get_tasks(state=TaskState.READY, manual=True)
    assert ready.task_spec.name == "Task_Revise"  # "return for revision" went back to the applicant
    reference = raw_step.time_raw_step(state, seconds=0, at_least=3)
    assert reference.samples == 3 and reference.ms > 0 and reference.cpu_ms >= 0


def test_a_figure_is_divided_by_the_raw_step():
    reference = raw_step.RawStep(ms=2.0, cpu_ms=1.5, samples=9)

    assert reference.times(5.0) == 2.5
    assert reference.cpu_times(3.0) == 2.0
    assert "2.00 ms" in reference.line() and "median of 9" in reference.line()


def test_timers_prints_its_readme_table_from_a_tiny_run(tmp_path):
    url = timers.database(None, tmp_path)
    results = [timers.run(url, 3, kept=False)]
    reference = raw_step.RawStep(ms=0.5, cpu_ms=0.5, samples=1)

    row = timers.row("SQLite", 3, results, reference)

    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[:2] == ["SQLite", "3"]
    assert cells[-1] == f"{results[0]['firing'] * 1000 / 0.5:.1f}"  # firing ÷ the raw step, in the last column
    table = readme_tables.marked("timers", "\n".join([timers.HEADER, row]))
    spliced, unplaced = readme_tables.splice("<!-- bench:timers -->\nold\n<!-- /bench:timers -->\n",
                                             readme_tables.blocks(table))
    assert unplaced == [] and timers.HEADER in spliced and row in spliced


def test_engine_step_prints_its_three_readme_tables_between_their_markers():
    figures = {"raw": 1.0, "raw_persisted": 2.0, "raw_persisted_compacted": 1.5, "kept": 3.0, "restored": 4.0}
    runs = [{"SQLite": {1: dict(figures), 10: {kind: value * 2 for kind, value in figures.items()}}}]

    steps = {"never": 2.0, "auto": 2.1, "always": 3.0}
    sandbox = {"SQLite": {"verify": steps, "sign": steps, "evaluation_us": {}}}

    tables = readme_tables.blocks(engine_step.readme_tables(runs, sandbox))

    assert set(tables) == {"engine_step:raw", "engine_step:durable", "engine_step:sandbox"}
    assert ("| SQLite | sign → issuance script | 2.00 ms | 2.10 ms | 1.05 | 3.00 ms | 1.50 |"
            in tables["engine_step:sandbox"])
    assert "| SQLite | after 1 revision loop | 1.00 ms | 3.00 ms | 3.00 | 4.00 ms | 4.00 |" in tables["engine_step:raw"]
    # The durable table's last columns: the stock step on Lincah's compacted state, and Lincah's ratios to it.
    assert ("| SQLite | after 10 revision loops | 4.00 ms | 6.00 ms | 1.50 | 8.00 ms | 2.00 | 3.00 ms | 2.00 | 2.67 |"
            in tables["engine_step:durable"])


def test_the_stock_baseline_carries_the_history_stock_spiffworkflow_keeps(tmp_path):
    """Stock SpiffWorkflow never prunes its task tree: the raw steps start from a twin application that went through
    the same loops with compaction off — not from Lincah's compacted state (issue 21's target after 10 loops)."""
    factory, url = engine_step.database(None, tmp_path)
    ctx = EngineContext(settings=Settings(database_url=url), live=LiveWorkflows(0))
    raw_step.deploy_research_permit(factory, ctx)
    ids = {3: raw_step.prepare(factory, ctx, 3, 2)}

    with_history = engine_step._stock_with_history(factory, ctx, ids)
    compacted = raw_step.stock_states(factory, ctx, ids[3])

    def task_count(state: str) -> int:
        return len(json.loads(state)["tasks"])

    assert set(with_history) == set(ids[3])  # keyed by Lincah's applications, one twin each
    for instance_id in ids[3]:
        assert task_count(with_history[instance_id]) > task_count(compacted[instance_id])
        raw_step.raw_step(with_history[instance_id])  # a state the stock step takes as it is
    factory.kw["bind"].dispose()


def test_message_correlation_row_divides_by_its_raw_durable_step():
    found = {"rows": 1200, "lookup_p95": 1.0, "correlation_median": 6.0, "correlation_p95": 25.0,
             "cpu_median": 3.0, "raw_median": 2.0, "raw_cpu_median": 1.5}

    row = message_correlation.row("sqlite", found)

    assert row == "| sqlite | 1,200 | 1.00 | 6.00 | 25.00 | **no** | 3.00 | 2.00 / 1.50 | 3.0 / 2.0 |"
    assert message_correlation.HEADER.count("\n") == 1


@pytest.mark.postgresql_only
def test_a_raw_baseline_table_compresses_its_state_as_lincah_does(db):
    """The raw durable step and Lincah write their states with the same TOAST compression (issue 21)."""
    def compression(session, table: str) -> str:
        return session.scalar(text("SELECT attcompression FROM pg_attribute WHERE attrelid = CAST(:t AS regclass) "
                                   "AND attname = 'state'"), {"t": table})

    with db.transaction() as session:
        session.execute(text("CREATE TABLE bench_raw_check (id INTEGER PRIMARY KEY, state TEXT NOT NULL)"))
        before = compression(session, "bench_raw_check")
        session.execute(text(raw_step.compression_like_lincah("bench_raw_check")))
        lincah, raw = compression(session, "instance"), compression(session, "bench_raw_check")
        session.execute(text("DROP TABLE bench_raw_check"))

    assert lincah == "l"  # migration 0005: lz4 on this server
    assert (before, raw) == ("", "l")


def test_sla_scan_prints_its_readme_table_with_the_raw_step_from_a_small_run_on_sqlite():
    finished = subprocess.run([sys.executable, str(ROOT / "bench" / "sla_scan.py"), "--readme", "--sizes", "200",
                               "--repeat", "1", "--databases", "sqlite"], capture_output=True, text=True, check=False)

    assert finished.returncode == 0, finished.stderr
    (table,) = readme_tables.blocks(finished.stdout).values()
    assert table.startswith("Raw SpiffWorkflow step in this run")
    (row,) = [line for line in table.splitlines() if line.startswith("| SQLite |")]
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[1] == "200"
    for cell in (cells[2], cells[3], cells[4], cells[6]):  # idle, steady, burst, unstaffed job: ms and × raw step
        assert re.fullmatch(r"[\d,]+ ms \(\d+×\)", cell), cell
    assert "load average" in finished.stderr  # the lines beside the table went to stderr


def test_readme_tables_runs_the_benches_named_splices_what_they_print_and_keeps_a_failed_benchs_table(
        tmp_path, monkeypatch, capsys):
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- bench:good -->\nold good\n<!-- /bench:good -->\nmiddle\n"
                      "<!-- bench:bad -->\nold bad\n<!-- /bench:bad -->\nend\n", encoding="utf-8")
    printed = readme_tables.marked("good", "| new | good |")
    scripts = {"good": f"print({printed!r})", "bad": "import sys; print('partial'); sys.exit(3)"}
    monkeypatch.setattr(readme_tables, "BENCHES", {"good": readme_tables.Bench(("good",)),
                                                   "bad": readme_tables.Bench(("bad",))})
    monkeypatch.setattr(readme_tables, "command", lambda stem, full: [sys.executable, "-c", scripts[stem]])
    monkeypatch.setattr(sys, "argv", ["readme_tables.py", "--readme", str(readme)])

    assert readme_tables.main() == 1  # one bench failed

    assert readme.read_text(encoding="utf-8") == ("intro\n<!-- bench:good -->\n| new | good |\n<!-- /bench:good -->\n"
                                                  "middle\n<!-- bench:bad -->\nold bad\n<!-- /bench:bad -->\nend\n")
    progress = capsys.readouterr().err
    assert "[1/2] good: done in" in progress and "[2/2] bad: FAILED (exit 3)" in progress
    assert "1 table(s) replaced" in progress and "failed: bad" in progress
