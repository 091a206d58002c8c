"""Benchmark: lifecycle stages for 1M customers, retention curves on the same data.

Usage::

    /work/venv/bin/python benchmarks/bench_lifecycle.py [--customers 1000000] [--repeat 3]

Simulates transactions with :func:`customer_models.make_transactions`, builds the customer
summary with :func:`customer_models.rfm_summary` (not timed in the stage rows), then times
``LifecycleStageClassifier(...).fit(summary).assign(summary)`` in each threshold mode, plus
``explain``, :func:`kaplan_meier` and :func:`cohort_retention`. Each row reports the best
wall time of ``--repeat`` runs and the peak memory allocated during one run (tracemalloc,
numpy and pandas buffers included). The issue's target: stages for 1M customers under 2 s.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from customer_models import make_transactions, rfm_summary
from customer_models.churn._retention import cohort_retention, kaplan_meier
from customer_models.lifecycle import LifecycleStageClassifier, stage_transitions


class ExpDecayModel:
    """Stand-in valuation model: P(alive) = exp(-silence / 60 days), vectorized."""

    def probability_alive(self, df: Any) -> Any:
        return np.exp(-(df["T"] - df["recency"]) / 60.0)


def measure(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return best, peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    t0 = time.perf_counter()
    tx = make_transactions(args.customers, random_state=0)
    t1 = time.perf_counter()
    summary = rfm_summary(tx)
    t2 = time.perf_counter()
    print(
        f"{args.customers:,} customers, {len(tx):,} transactions "
        f"(make_transactions {t1 - t0:.1f} s, rfm_summary {t2 - t1:.1f} s)\n"
    )
    try:
        from customer_models.valuation import BetaGeoModel

        bgnbd: Any = BetaGeoModel.from_params(r=0.5, alpha=4.0 * 7, a=0.8, b=2.5, time_unit="D")
    except (ImportError, AttributeError, TypeError):  # valuation not available
        bgnbd = None

    durations = (summary["T"] - summary["recency"]).to_numpy()
    churned = durations > 90
    plan = np.random.default_rng(0).choice(["basic", "pro", "team"], len(durations))
    cases: list[tuple[str, Callable[[], Any]]] = [
        ("stages absolute", lambda: LifecycleStageClassifier().fit(summary).assign(summary)),
        (
            "stages adaptive",
            lambda: LifecycleStageClassifier("adaptive").fit(summary).assign(summary),
        ),
        (
            "stages probabilistic (stub P(alive))",
            lambda: (
                LifecycleStageClassifier("probabilistic", model=ExpDecayModel())
                .fit(summary)
                .assign(summary)
            ),
        ),
    ]
    if bgnbd is not None:
        cases.append(
            (
                "stages probabilistic (BG/NBD P(alive))",
                lambda: (
                    LifecycleStageClassifier("probabilistic", model=bgnbd)
                    .fit(summary)
                    .assign(summary)
                ),
            )
        )
    cases += [
        (
            "rfm_summary + stages absolute (from transactions)",
            lambda: LifecycleStageClassifier().fit(s := rfm_summary(tx)).assign(s),
        ),
        (
            "stage_transitions, 4 quarterly dates",
            lambda: stage_transitions(tx, ["2024-06-30", "2024-09-30", "2024-12-31", "2025-03-31"]),
        ),
        (
            "explain adaptive",
            lambda: LifecycleStageClassifier("adaptive").fit(summary).explain(summary),
        ),
        ("kaplan_meier (1 curve)", lambda: kaplan_meier(durations, churned)),
        ("kaplan_meier (by 3 plans)", lambda: kaplan_meier(durations, churned, by=plan)),
        ("cohort_retention monthly", lambda: cohort_retention(tx, cohort="M")),
    ]
    rows = []
    for name, fn in cases:
        seconds, peak_mib = measure(fn, args.repeat)
        rows.append((name, seconds, peak_mib))
    width = max(len(r[0]) for r in rows)
    print(f"| {'task':<{width}} | time (s) | peak memory (MiB) |")
    print(f"|{'-' * (width + 2)}|---------:|------------------:|")
    for name, seconds, peak_mib in rows:
        print(f"| {name:<{width}} | {seconds:8.2f} | {peak_mib:17.0f} |")


if __name__ == "__main__":
    main()
