"""The partition's groups at 10M customers: "about GROUP_ROWS rows" against "at least" (#12).

Until commit 561667a the summary kernel packed customer blocks into groups of at most about
``GROUP_ROWS`` rows (32 MiB buffers or a little less), which glibc keeps in its heap when they
are freed; the 80 MB result columns, mapped fresh, then could not reuse them and faulted in
new memory. Groups now hold at least ``GROUP_ROWS`` rows, so their buffers exceed glibc's
largest heap threshold (32 MiB) and are unmapped when freed, and the result columns take
their pages. This script times ``rfm_summary`` on the log of ``bench_summary.py`` with each
grouping (the old one is copied here as the reference), the groupings and the sizes
alternating, and prints median wall and system CPU seconds and the 10M / 1M ratio of each.
Results are the same either way (tests/test_summary_kernel.py). Run it on an idle machine:
``python benchmarks/bench_summary_groups.py --repeat 7``.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
from _common import machine, print_table
from bench_summary import independent_log, ours

import customer_models._customer_blocks as blocks

AT_LEAST = blocks._groups


def about(totals: np.ndarray, has_values: bool) -> list[blocks._Group]:
    """The grouping before 561667a: add blocks while the group stays within GROUP_ROWS."""
    groups = []
    first = 0
    while first < totals.size:
        last, rows = first, 0
        while last < totals.size and (last == first or rows + totals[last] <= blocks.GROUP_ROWS):
            rows += int(totals[last])
            last += 1
        ends = np.cumsum(totals[first:last]).tolist()
        groups.append(
            blocks._Group(
                range(first, last),
                np.empty(rows, dtype=np.int64),
                np.empty(rows, dtype=np.float64) if has_values else None,
                list(zip([0, *ends[:-1]], ends, strict=True)),
            )
        )
        first = last
    return groups


def _clock() -> np.ndarray:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return np.array([time.perf_counter(), usage.ru_stime])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs=2, default=[1_000_000, 10_000_000])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    print(machine())
    logs = {n: independent_log(n) for n in args.sizes}
    groupings = {"about GROUP_ROWS (before)": about, "at least GROUP_ROWS (now)": AT_LEAST}
    times: dict[tuple[str, int], list[np.ndarray]] = {
        (name, n): [] for name in groupings for n in args.sizes
    }
    for rep in range(args.repeat + 1):  # the first round warms up, untimed
        for name, grouping in groupings.items():
            blocks._groups = grouping
            for n, tx in logs.items():
                start = _clock()
                ours(tx, tx["date"].max())
                if rep:
                    times[(name, n)].append(_clock() - start)
    blocks._groups = AT_LEAST
    rows = []
    small, large = args.sizes
    for name in groupings:
        medians = {n: np.median(np.array(times[(name, n)]), axis=0) for n in args.sizes}
        rows.append(
            {
                "grouping": name,
                f"{small:,} wall s": f"{medians[small][0]:.3f}",
                f"{large:,} wall s": f"{medians[large][0]:.3f}",
                f"{large:,} system s": f"{medians[large][1]:.3f}",
                "ratio": f"{medians[large][0] / medians[small][0]:.1f}x",
            }
        )
    print(f"medians of {args.repeat} alternating runs")
    print_table(rows)


if __name__ == "__main__":
    main()
