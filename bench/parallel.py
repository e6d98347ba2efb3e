"""A workload in several processes at once: the throughput of a machine, not of one core.

Each process prepares its own inputs and its own key (untimed), then all start together at a
barrier; the rate is every operation done over the span from the first start to the last end.
"""

from __future__ import annotations

import multiprocessing
import time
from typing import Any

from bench.timing import Rate
from bench.workloads import LABELS, WORKLOADS

_BARRIER_TIMEOUT = 300.0

_barrier: Any = None  # set in each worker by `_keep_barrier`


def _keep_barrier(barrier: Any) -> None:
    global _barrier
    _barrier = barrier


def _timed_in_worker(job: tuple[str, int]) -> tuple[int, float, float]:
    name, count = job
    run = WORKLOADS[name](count)
    # A worker blocked here cannot take a second job: each process runs exactly one.
    _barrier.wait(_BARRIER_TIMEOUT)
    start = time.perf_counter()  # CLOCK_MONOTONIC: comparable between processes
    run()
    return count, start, time.perf_counter()


def throughput(name: str, count_per_process: int, processes: int) -> Rate:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(processes)
    with context.Pool(processes, initializer=_keep_barrier, initargs=(barrier,)) as pool:
        spans = pool.map(_timed_in_worker, [(name, count_per_process)] * processes, chunksize=1)
    operations = sum(count for count, _, _ in spans)
    seconds = max(end for _, _, end in spans) - min(start for _, start, _ in spans)
    return Rate(f"{LABELS[name]}, {processes} processes", operations, seconds, processes)
