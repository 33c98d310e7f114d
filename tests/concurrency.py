"""Work run at the same instant from several threads, for the tests of races (two schedulers, two passes)."""

from __future__ import annotations

import threading


def together(work, factories) -> list:
    """Run ``work(factory)`` in one thread per factory, released at the same instant; their results in order.
    Any failure is re-raised in the test's thread."""
    barrier = threading.Barrier(len(factories))
    results, errors = [None] * len(factories), []

    def run(index, factory):
        try:
            barrier.wait(timeout=30)
            results[index] = work(factory)
        except BaseException as exc:  # noqa: BLE001 - collected and re-raised in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(factories)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if errors:
        raise errors[0]
    return results
