"""The bounded child process that renders letters and checks uploaded signatures: past its time it is killed and the
caller told so, past its memory likewise, and what the work returns or raises comes back as it was."""

from __future__ import annotations

import time

import pytest

from engine.documents import bounded_call
from engine.documents.signing import validation

MB = 2**20


def test_work_past_its_time_is_killed_and_said_so():
    with pytest.raises(bounded_call.Overrun) as stopped:
        bounded_call.call(time.sleep, 30, seconds=0.5, memory_bytes=64 * MB)
    assert stopped.value.kind == "time" and "0.5 s" in str(stopped.value)


def test_work_past_its_memory_is_stopped_and_said_so():
    with pytest.raises(bounded_call.Overrun) as stopped:
        bounded_call.call(bytearray, 2**31, seconds=10, memory_bytes=64 * MB)
    assert stopped.value.kind == "memory" and "64 MB" in str(stopped.value)


def test_what_the_work_returns_or_raises_comes_back():
    assert bounded_call.call(sorted, [3, 1, 2], seconds=10, memory_bytes=64 * MB) == [1, 2, 3]
    with pytest.raises(ValueError, match="invalid literal"):
        bounded_call.call(int, "dua", seconds=10, memory_bytes=64 * MB)


def test_a_signature_check_stopped_at_its_limit_reports_it_instead_of_failing(monkeypatch):
    def overran(*_args, **_kwargs):
        raise bounded_call.Overrun("time", validation.SECONDS, validation.MEMORY_BYTES)

    monkeypatch.setattr(bounded_call, "call", overran)
    found = validation.check(b"%PDF-1.7 ...", [b"root"])
    assert found.problem == "time" and found.signatures == [] and found.roots_configured
