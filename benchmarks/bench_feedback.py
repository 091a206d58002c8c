"""Benchmark: NPS by group over 10M survey answers, ours against plain pandas.

feedback_summary (vectorized: factorized group ids, bincounts, array formulas) is timed on
10M answers in 1,000 groups, once by a segment column and once by month x segment through
pd.Grouper(freq="MS"), against the pandas groupby.apply a data scientist would write and against
calling nps() once per group. Every peer's scores and intervals are checked against ours first.

Run:  python benchmarks/bench_feedback.py --answers 10000000 --groups 1000
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from _common import machine, measure, print_table
from scipy import stats

from customer_models.feedback import feedback_summary, nps

COLUMNS = ["score", "lower", "upper", "n"]


def simulate(n_answers: int, n_groups: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_segments = 25
    n_months = n_groups // n_segments
    months = pd.date_range("2020-01-01", periods=n_months, freq="MS")
    span_days = (months[-1] + pd.offsets.MonthEnd(1) - months[0]).days + 1
    day = rng.integers(0, span_days, n_answers)
    return pd.DataFrame(
        {
            "date": months[0] + pd.to_timedelta(day, unit="D"),
            "segment": rng.integers(0, n_segments, n_answers),
            "group": rng.integers(0, n_groups, n_answers),
            "ltr": rng.choice(
                11, n_answers, p=[0.03, 0.02, 0.03, 0.04, 0.05, 0.08, 0.1, 0.15, 0.2, 0.15, 0.15]
            ),
        }
    )


def ours(df: pd.DataFrame, by) -> pd.DataFrame:
    """The adjusted-Wald interval, the formula the peers below write by hand."""
    return feedback_summary(df, score_col="ltr", by=by, method="adjusted_wald")[COLUMNS]


def ours_default(df: pd.DataFrame, by) -> pd.DataFrame:
    """The default interval (continuity-corrected score, found by bisection per group)."""
    return feedback_summary(df, score_col="ltr", by=by)[COLUMNS]


def pandas_apply(df: pd.DataFrame, by) -> pd.DataFrame:
    """The groupby.apply a data scientist would write (same adjusted-Wald formula)."""
    z = stats.norm.ppf(0.975)

    def one(scores: pd.Series) -> pd.Series:
        n = len(scores)
        pro, det = (scores >= 9).sum(), (scores <= 6).sum()
        p, d = (pro + 0.75) / (n + 3), (det + 0.75) / (n + 3)
        se = np.sqrt((p + d - (p - d) ** 2) / (n + 3))
        return pd.Series(
            {
                "score": 100 * (pro - det) / n,
                "lower": 100 * max(p - d - z * se, -1),
                "upper": 100 * min(p - d + z * se, 1),
                "n": n,
            }
        )

    return df.groupby(by)["ltr"].apply(one).unstack()[COLUMNS]


def nps_per_group(df: pd.DataFrame, by) -> pd.DataFrame:
    """Calling the one-sample nps() once per group (a Python loop over groups)."""
    rows = {
        key: {
            "score": (r := nps(group.to_numpy(), method="adjusted_wald")).score,
            "lower": r.lower,
            "upper": r.upper,
            "n": r.n,
        }
        for key, group in df.groupby(by)["ltr"]
    }
    return pd.DataFrame.from_dict(rows, orient="index")[COLUMNS]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--answers", type=int, default=10_000_000)
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    start = time.perf_counter()
    df = simulate(args.answers, args.groups)
    input_mb = df.memory_usage(deep=True).sum() / 2**20
    print(f"machine: {machine()}")
    print(
        f"data: {len(df):,} answers, input {input_mb:.0f} MiB "
        f"(simulated in {time.perf_counter() - start:.1f} s)\n"
    )
    month_segment = [pd.Grouper(key="date", freq="MS"), "segment"]
    cases = [
        ("by='group'", "group"),
        ("by=[Grouper(freq='MS'), 'segment']", month_segment),
    ]
    peers = {
        "customer_models.feedback_summary": ours,
        "pandas groupby.apply": pandas_apply,
        "nps() per group (loop)": nps_per_group,
        "customer_models.feedback_summary, default score_cc": ours_default,
    }
    rows = []
    for case, by in cases:
        reference, ours_time = None, None
        for name, fn in peers.items():
            repeat = args.repeat if fn in (ours, ours_default) else 1
            seconds, peak_mb, result = measure(lambda fn=fn, by=by: fn(df, by), repeat=repeat)
            if reference is None:
                reference, ours_time = result, seconds
            else:
                aligned = result.set_axis(reference.index)
                same = ["score", "n"] if fn is ours_default else COLUMNS  # its own interval
                np.testing.assert_allclose(
                    aligned[same].to_numpy(float),
                    reference[same].to_numpy(float),
                    rtol=1e-9,
                    atol=1e-9,
                )
            rows.append(
                {
                    "case": case,
                    "implementation": name,
                    "groups": len(result),
                    "runs": repeat,
                    "median seconds": f"{seconds:.2f}",
                    "vs ours": f"{seconds / ours_time:.1f}x",
                    "peak extra MiB": f"{peak_mb:.0f}",
                    "peak / input": f"{peak_mb / input_mb:.2f}",
                }
            )
    print_table(rows)


if __name__ == "__main__":
    main()
