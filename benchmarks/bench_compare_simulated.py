"""Share of replications in which compare_models ranks the true model first (issue #19).

For each of six processes (NBD, BG/NBD, MBG/NBD, Pareto/NBD, BG/CNBD-k with k = 3 and
GGompertz/NBD, simulated purchase by purchase: tests/evaluation/test_compare_simulated.py)
simulate a calibration/holdout summary, run ``compare_models`` over the six candidates and
count how often the generating model has rank 1 by holdout log score ("share first"), and
how often it is first among the candidates whose pmf is a probability ("share first, proper
pmf": a Pareto/NBD fit far out on its dropout boundary returned P(X = 0) > 1 before that was
fixed, and the holdout scores now refuse such a pmf). Prints one row per process and the
winners.

    python benchmarks/bench_compare_simulated.py --reps 5 --n 2000
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "evaluation"))

from test_compare_simulated import CANDIDATES, TRUTH, replicate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--processes", nargs="+", default=list(TRUTH))
    args = parser.parse_args()
    candidates = tuple(CANDIDATES)
    print(
        f"{'true model':<14} {'first':>6} {'proper':>7} {'reps':>5} {'n':>6} {'seconds':>8}"
        "  winners"
    )
    for process in args.processes:
        t0 = time.perf_counter()
        rows = [
            replicate(process, args.n, 1000 + 1000 * rep, candidates) for rep in range(args.reps)
        ]
        secs = time.perf_counter() - t0
        first = sum(row["first"] == process for row in rows) / args.reps
        proper = sum(row["first_proper"] == process for row in rows) / args.reps
        winners = dict(Counter(row["first"] for row in rows))
        print(
            f"{process:<14} {first:>6.2f} {proper:>7.2f} {args.reps:>5} {args.n:>6} "
            f"{secs:>8.1f}  {winners}",
            flush=True,
        )


if __name__ == "__main__":
    main()
