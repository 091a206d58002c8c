"""Grades + health + alerts at 1M customers, against a plain numpy/pandas floor.

One process runs both: ``customer_models.decision`` (Scorecard grades on two snapshots,
health_components + HealthScore, snapshot_alerts with four rules) and the same computation
written directly with numpy/pandas (np.searchsorted bands, a weighted mean, masks, the same
model calls). Both paths call the same model methods (P(alive), expected purchases, pmf), so
the ratio measures the decision layer's own overhead (validation, explanations, reason text).

    python benchmarks/bench_decision.py [n_customers]
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
from _common import machine, measure, print_table

from customer_models.decision import (
    AliveDrop,
    GradeDrop,
    HealthScore,
    PurchasesBelowExpected,
    Scorecard,
    TierAtRisk,
    health_components,
    snapshot_alerts,
)
from customer_models.valuation import BetaGeoModel

MODEL = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
WEEKS = 13.0
SHARES = [("A", 0.1), ("B", 0.2), ("C", 0.3), ("D", 0.4)]
CRITERIA = [
    {"name": "health", "bands": [(0, 25, 0), (25, 50, 10), (50, 75, 25), (75, 100, 40)]},
    {
        "name": "alive",
        "column": "probability_alive",
        "bands": [(0, 0.3, 0), (0.3, 0.7, 10), (0.7, 1, 20)],
    },
    {"name": "tier", "categories": {"Base": 0, "Silver": 10, "Gold": 20}},
    {"name": "nps", "bands": [(0, 7, 0), (7, 9, 5), (9, 10, 10)], "missing": 3},
]
TIERS = ["Base", "Silver", "Gold"]
WEIGHTS = {"alive": 2.0, "rhythm": 2.0, "spend_trend": 1.0, "feedback": 1.0, "tier": 1.0}


def simulate(n: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two weekly snapshots 13 weeks apart of n customers (summary columns + attributes)."""
    rng = np.random.default_rng(seed)
    T = rng.uniform(1, 78, n).round()
    freq = rng.negative_binomial(1, 0.3, n).astype(float)
    freq = np.minimum(freq, np.floor(T))
    recency = np.where(freq > 0, T * rng.beta(3, 1, n), 0.0).round()
    recency = np.maximum(recency, np.where(freq > 0, 1.0, 0.0))
    nps = rng.integers(0, 11, n).astype(float)
    nps[rng.random(n) < 0.6] = np.nan
    idx = pd.Index(np.arange(n), name="customer_id")
    before = pd.DataFrame(
        {
            "frequency": freq,
            "recency": recency,
            "T": T,
            "spend_recent": rng.gamma(1.0, 30, n) * (rng.random(n) < 0.5),
            "spend_before": rng.gamma(1.0, 30, n) * (rng.random(n) < 0.5),
            "nps": nps,
            "tier": pd.Categorical(
                rng.choice(TIERS, n, p=[0.8, 0.15, 0.05]), categories=TIERS, ordered=True
            ),
            "amount_to_keep_tier": np.where(rng.random(n) < 0.1, rng.gamma(2, 50, n), 0.0),
            "days_to_review": np.full(n, 20.0),
        },
        index=idx,
    )
    bought = rng.poisson(0.3, n) * (rng.random(n) < 0.6)
    after = before.assign(
        frequency=freq + bought,
        recency=np.where(bought > 0, T + WEEKS * rng.random(n), recency),
        T=T + WEEKS,
    )
    return before, after


def ours(before: pd.DataFrame, after: pd.DataFrame):
    card = Scorecard(CRITERIA, grade_shares=SHARES, version="bench")
    score = HealthScore(WEIGHTS)
    snaps = []
    for frame in (before, after):
        comps = health_components(
            frame,
            MODEL,
            t=WEEKS,
            spend_recent_col="spend_recent",
            spend_before_col="spend_before",
            feedback_col="nps",
            tier_col="tier",
        )
        scored = frame.assign(probability_alive=comps["alive"], health=score.score(comps))
        snaps.append(scored.join(card.score(scored)[["grade"]]))
    rules = [
        AliveDrop(0.2),
        GradeDrop(2),
        PurchasesBelowExpected(MODEL, alpha=0.2),
        TierAtRisk(30, days_col="days_to_review"),
    ]
    return snapshot_alerts(snaps[0], snaps[1], rules, max_share=0.05)


def _bands(values: np.ndarray, edges: list[float], points: list[float]) -> np.ndarray:
    return np.asarray(points)[np.searchsorted(np.asarray(edges), values, side="right")]


def floor(before: pd.DataFrame, after: pd.DataFrame):
    """The same numbers with numpy/pandas only: no validation, no reason text, no ids."""
    out = []
    tier_code = None
    for frame in (before, after):
        alive = MODEL.probability_alive(frame).to_numpy()
        expected = MODEL.expected_purchases(frame, t=WEEKS).to_numpy()
        x, tx = frame["frequency"].to_numpy(), frame["recency"].to_numpy()
        rep = (x >= 1) & (tx > 0)
        rate = np.where(rep, x / np.where(rep, tx, 1), 0.0)
        rate[~rep] = np.median(rate[rep])
        rhythm = np.minimum(1, expected / (WEEKS * rate))
        r, b = frame["spend_recent"].to_numpy(), frame["spend_before"].to_numpy()
        trend = np.where(r + b > 0, r / np.where(r + b > 0, r + b, 1), np.nan)
        fb = frame["nps"].to_numpy() / 10
        tier_code = frame["tier"].cat.codes.to_numpy()
        tier = tier_code / 2
        comps = np.column_stack([alive, rhythm, trend, fb, tier])
        w = np.array([2.0, 2.0, 1.0, 1.0, 1.0])
        present = ~np.isnan(comps)
        health = 100 * (np.where(present, comps, 0) @ w) / (present @ w)
        nps = frame["nps"].to_numpy()
        pts = (
            _bands(health, [25, 50, 75], [0, 10, 25, 40])
            + _bands(alive, [0.3, 0.7], [0, 10, 20])
            + np.array([0, 10, 20])[tier_code]
            + np.where(np.isnan(nps), 3, _bands(np.nan_to_num(nps), [7, 9], [0, 5, 10]))
        )
        cum = np.cumsum([s for _, s in SHARES])[:-1]
        ordered = np.sort(pts)[::-1]
        cut = ordered[np.ceil(cum * pts.size).astype(int) - 1]
        grade = np.searchsorted(-cut, -pts, side="left")
        out.append((alive, grade))
    (a0, g0), (a1, g1) = out
    alive_drop = np.flatnonzero(a0 - a1 > 0.2)
    grade_drop = np.flatnonzero(g1 - g0 >= 2)
    observed = (after["frequency"] - before["frequency"]).to_numpy()
    expected = MODEL.expected_purchases(before, t=WEEKS).to_numpy()
    cand = np.flatnonzero(observed + 1 < expected / 0.8)
    cdf = np.zeros(cand.size)
    sub = before.iloc[cand]
    for k in range(int(observed[cand].max()) + 1 if cand.size else 0):
        rows = np.flatnonzero(observed[cand] >= k)
        cdf[rows] += MODEL.probability_of_purchases(sub.iloc[rows], n=k, t=WEEKS).to_numpy()
    below = cand[cdf < 0.2]
    risk = np.flatnonzero(
        (after["amount_to_keep_tier"].to_numpy() > 0) & (after["days_to_review"].to_numpy() <= 30)
    )
    return alive_drop, grade_drop, below, risk


def model_only(before: pd.DataFrame, after: pd.DataFrame) -> None:
    """The model calls both paths make: P(alive) and E[X] per snapshot, E[X] and the pmf."""
    for frame in (before, after):
        MODEL.probability_alive(frame)
        MODEL.expected_purchases(frame, t=WEEKS)
    observed = (after["frequency"] - before["frequency"]).to_numpy()
    expected = MODEL.expected_purchases(before, t=WEEKS).to_numpy()
    cand = np.flatnonzero(observed + 1 < expected / 0.8)
    sub = before.iloc[cand]
    for k in range(int(observed[cand].max()) + 1 if cand.size else 0):
        rows = np.flatnonzero(observed[cand] >= k)
        MODEL.probability_of_purchases(sub.iloc[rows], n=k, t=WEEKS)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    before, after = simulate(n)
    print(f"{n:,} customers; {machine()}; measured under load (2 cores shared with other jobs)")
    t_ours, mem_ours, report = measure(lambda: ours(before, after), repeat=3)
    t_floor, mem_floor, fl = measure(lambda: floor(before, after), repeat=3)
    t_model, mem_model, _ = measure(lambda: model_only(before, after), repeat=3)
    counts = report.summary["n_fired"].tolist()
    floor_counts = [len(v) for v in fl]
    assert counts == floor_counts, (counts, floor_counts)
    print_table(
        [
            {
                "path": "customer_models.decision",
                "time (s)": f"{t_ours:.2f}",
                "peak RSS above baseline (MiB)": f"{mem_ours:.0f}",
            },
            {
                "path": "numpy/pandas floor",
                "time (s)": f"{t_floor:.2f}",
                "peak RSS above baseline (MiB)": f"{mem_floor:.0f}",
            },
            {
                "path": "model calls alone (in both)",
                "time (s)": f"{t_model:.2f}",
                "peak RSS above baseline (MiB)": f"{mem_model:.0f}",
            },
        ]
    )
    print(f"ratio ours / floor: {t_ours / t_floor:.2f}")
    print(f"beyond the model calls: ours {t_ours - t_model:.2f} s, floor {t_floor - t_model:.2f} s")
    print(report.summary.to_string())


if __name__ == "__main__":
    main()
