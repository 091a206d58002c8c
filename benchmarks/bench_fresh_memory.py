"""How much the first touch of fresh memory costs on this machine (benchmarks/README.md, #12).

At 10M customers the summary writes eight result columns of 80 MB each, which glibc maps
fresh on every call. This script fills the same 640 MB of fresh arrays (a) right after the
process released as much memory, and (b) while it still holds 736 MB (the partition's
buffers at 10M), and prints user and system CPU time and wall time of each fill. Run it on
an idle machine: ``python benchmarks/bench_fresh_memory.py --rounds 3``.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

ROWS = 46_000_000  # the 10M-customer benchmark log's rows: two 368 MB partition buffers
CUSTOMERS = 10_000_000  # eight 80 MB result columns


def _clock() -> tuple[float, float, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime, usage.ru_stime, time.perf_counter()


def _fill_results() -> tuple[float, float, float]:
    """CPU user, CPU system and wall seconds to fill eight fresh 80 MB arrays."""
    before = _clock()
    results = [np.empty(CUSTOMERS) for _ in range(8)]
    for array in results:
        array.fill(1.0)
    after = _clock()
    del results
    return after[0] - before[0], after[1] - before[1], after[2] - before[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pause", type=float, default=3.0, help="seconds between rounds")
    args = parser.parse_args()
    print("| round | partition buffers | user s | system s | wall s |")
    print("|---:|---|---:|---:|---:|")
    for round_ in range(1, args.rounds + 1):
        for held in (True, False):
            time.sleep(args.pause)
            keys = np.empty(ROWS, dtype=np.int64)
            keys.fill(1)
            values = np.empty(ROWS)
            values.fill(1.0)
            if not held:
                del keys, values
            user, system, wall = _fill_results()
            state = "held" if held else "released just before"
            print(f"| {round_} | {state} | {user:.3f} | {system:.3f} | {wall:.3f} |")
            if held:
                del keys, values


if __name__ == "__main__":
    main()
