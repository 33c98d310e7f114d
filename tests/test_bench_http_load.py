"""``bench/http_load.py``'s inbox beside the completions and ``bench/readme_tables.py``'s table names, against a tiny
local HTTP server (nothing here asserts a duration)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench import http_load, readme_tables

METRICS = b"""# HELP lincah_kept_workflows_total Steps that found their workflow kept in memory
# TYPE lincah_kept_workflows_total counter
lincah_kept_workflows_total{result="reused"} 3.0
lincah_kept_workflows_total{result="restored"} 40.0
lincah_kept_workflows_created{result="reused"} 1.7e+09
lincah_step_seconds_count{outcome="ok"} 43.0
"""


@pytest.fixture
def fake_server():
    """A local server: ``/metrics`` answers METRICS, the inbox 503 (as an overloaded server would); it records the
    paths asked and sets ``seen`` once three inbox requests came."""
    paths: list[str] = []
    seen = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802 (http.server's name)
            paths.append(self.path)
            status, body = (200, METRICS) if self.path == "/metrics" else (503, b'{"error": "busy"}')
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            if sum(path.startswith(http_load.INBOX) for path in paths) >= 4:  # the warm-up request and three
                seen.set()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield http_load.Server(server.server_address[1], pid=0), paths, seen
    server.shutdown()
    server.server_close()


def test_the_kept_workflow_counts_are_read_from_metrics(fake_server):
    server, paths, _ = fake_server

    assert http_load.kept_workflows(server) == {"reused": 3.0, "restored": 40.0}
    assert paths == ["/metrics"]


def test_the_kept_workflow_line_gives_the_share_reused():
    assert "3 of 40 steps reused a kept workflow (7.5%)" in http_load.KeptWorkflows(3, 40).line()
    assert "0 of 0 steps reused a kept workflow (–)" in http_load.KeptWorkflows(0, 0).line()


def test_an_inbox_reader_asks_the_officers_inbox_and_counts_every_answer_other_than_200(fake_server):
    server, paths, seen = fake_server
    reader = http_load.InboxReader(server.port, "verifier.sulsel.1", "token", rate=200)
    reader.start()
    assert seen.wait(30)
    reader.stop()

    assert paths[0] == "/api/v1/tasks?limit=50"  # the warm-up, outside the measure
    assert len(reader.latencies) == reader.errors == len(paths) - 1 >= 3
    assert reader.error_samples[0].startswith("503 ")
    assert len(reader.error_samples) == 3  # a few samples, not one per error


def test_a_table_name_runs_its_bench_and_writes_only_that_table():
    assert readme_tables.chosen(["http_load:beside"]) == (["http_load"], {"http_load:beside"})
    assert readme_tables.chosen(["http_load:inbox", "timers", "http_load:beside"]) == (
        ["http_load", "timers"], {"http_load:inbox", "http_load:beside", "timers"})


def test_a_bench_named_by_its_stem_writes_all_its_tables_and_no_name_runs_every_bench():
    stems, wanted = readme_tables.chosen(["http_load"])

    assert stems == ["http_load"]
    assert wanted == {"http_load:completions", "http_load:inbox", "http_load:beside"}
    assert readme_tables.chosen([]) == (list(readme_tables.BENCHES), None)
