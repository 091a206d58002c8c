"""Where rfm_summary's time goes at two sizes: wall, user and system CPU time per phase.

Wraps the summary's internal phases (the reader, the partition, the block reductions, the
frame) with timers, warms up, then averages ``--repeat`` back-to-back calls on the log of
``bench_summary.py`` (the numbers in benchmarks/README.md, "Grouped partition"):
``python benchmarks/bench_summary_phases.py --sizes 1000000 10000000``.
"""

from __future__ import annotations

import argparse
import functools
import resource
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from bench_summary import independent_log, ours

import customer_models._customer_blocks as blocks
import customer_models._reductions as reductions
import customer_models._summary_frame as frame
import customer_models.summary as summary

#: (module, function) of each timed phase, in the order they run.
PHASES = [
    (summary, "read_log"),
    (reductions, "_row_customers"),
    (blocks, "_partition"),
    (blocks, "_reduce_block"),
    (frame, "summary_frame"),
    (frame, "summary_until"),
]


def _clock() -> np.ndarray:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return np.array([time.perf_counter(), usage.ru_utime, usage.ru_stime])


def _timed(totals: dict[str, np.ndarray], name: str, function: Callable[..., Any]) -> Any:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = _clock()
        try:
            return function(*args, **kwargs)
        finally:
            totals[name] = totals.get(name, 0.0) + _clock() - start

    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    totals: dict[str, np.ndarray] = {}
    for module, name in PHASES:
        setattr(module, name, _timed(totals, name, getattr(module, name)))
    # summary_until calls the module-level name it imported: rebind it there as well
    summary.summary_until = frame.summary_until
    print("| customers | phase | wall s | user s | system s |")
    print("|---:|---|---:|---:|---:|")
    for n in args.sizes:
        tx = independent_log(n)
        end = tx["date"].max()
        ours(tx, end)  # warm-up
        totals.clear()
        for _ in range(args.repeat):
            ours(tx, end)
        for _, name in PHASES:
            wall, user, system = totals[name] / args.repeat
            print(f"| {n:,} | {name} | {wall:.3f} | {user:.3f} | {system:.3f} |")


if __name__ == "__main__":
    main()
