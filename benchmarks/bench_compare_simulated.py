"""Share of replications in which compare_models ranks the true model first (issue #19).

For each process of ``make_holdout_summary`` (NBD, BG/NBD, MBG/NBD, Pareto/NBD) simulate a
calibration/holdout summary, run ``compare_models`` over the four candidates and count how
often the generating model has rank 1 by holdout log score. Prints the table.

    python benchmarks/bench_compare_simulated.py --reps 5 --n 3000
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "evaluation"))

from test_compare_simulated import TRUTH, share_of_wins


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--n", type=int, default=3000)
    args = parser.parse_args()
    print(f"{'true model':<12} {'share first':>11} {'reps':>5} {'n':>6} {'seconds':>8}")
    for process in TRUTH:
        t0 = time.perf_counter()
        share = share_of_wins(process, reps=args.reps, n=args.n, seed=1000)
        secs = time.perf_counter() - t0
        print(f"{process:<12} {share:>11.2f} {args.reps:>5} {args.n:>6} {secs:>8.1f}")


if __name__ == "__main__":
    main()
