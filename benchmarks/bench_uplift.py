"""Uplift learners against the scikit-learn estimators they wrap (issue 21).

On a simulated randomized campaign (100k customers by default, 5 features, half treated),
times `TwoModelUplift` and `XLearnerUplift` fit + predict against fitting the same
scikit-learn estimators directly on the same rows (two outcome models; the X-learner adds two
effect regressions), and `allocate_budget` (greedy, 1M customers) against a plain numpy
sort by value per cost. Prints seconds, ratios and peak memory.

    python benchmarks/bench_uplift.py            # 100k customers
    python benchmarks/bench_uplift.py 1000000
"""

from __future__ import annotations

import sys

import numpy as np
from _common import machine, measure
from scipy.special import expit
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from threadpoolctl import threadpool_limits

from customer_models.decision._budget import allocate_budget
from customer_models.decision._uplift import TwoModelUplift, XLearnerUplift


def campaign(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    tau = 0.30 * expit(2.5 * X[:, 1]) - 0.05
    t = rng.random(n) < 0.5
    y = (rng.random(n) < np.clip(expit(-0.3 + 0.8 * X[:, 0]) + t * tau, 0, 1)).astype(int)
    return X, y, t, tau


def _paths(outcome, effect, X, y, t):
    """Our two learners and the same scikit-learn fits done by hand."""
    fresh = lambda est: type(est)(**est.get_params())  # noqa: E731

    def two():
        return TwoModelUplift(outcome).fit(X, y, treatment=t).predict(X)

    def two_peer():
        a, b = fresh(outcome).fit(X[t], y[t]), fresh(outcome).fit(X[~t], y[~t])
        return a.predict_proba(X)[:, 1] - b.predict_proba(X)[:, 1]

    def x_learner():
        model = XLearnerUplift(outcome, effect_estimator=effect)
        return model.fit(X, y, treatment=t).predict(X)

    def x_peer():
        a, b = fresh(outcome).fit(X[t], y[t]), fresh(outcome).fit(X[~t], y[~t])
        e1 = fresh(effect).fit(X[t], y[t] - b.predict_proba(X[t])[:, 1])
        e0 = fresh(effect).fit(X[~t], a.predict_proba(X[~t])[:, 1] - y[~t])
        g = t.mean()
        return g * e0.predict(X) + (1 - g) * e1.predict(X)

    return (("TwoModelUplift", two, two_peer), ("XLearnerUplift", x_learner, x_peer))


def main(n: int) -> None:
    X, y, t, tau = campaign(n)
    print(machine())
    print(f"{n:,} customers, 5 features, half treated")
    print(f"{'path':<46}{'ours s':>9}{'peer s':>9}{'ratio':>8}{'peak MiB':>10}  corr(truth)")
    estimators = [
        ("logistic", LogisticRegression(max_iter=1000), LinearRegression()),
        ("hist GB", HistGradientBoostingClassifier(), HistGradientBoostingRegressor()),
    ]
    for name, outcome, effect in estimators:
        for label, ours, peer in _paths(outcome, effect, X, y, t):
            t_ours, mem, estimate = measure(ours, repeat=3)
            t_peer, _, _ = measure(peer, repeat=3)
            corr = np.corrcoef(estimate, tau)[0, 1]
            print(
                f"{label + ' (' + name + ')':<46}{t_ours:>9.3f}{t_peer:>9.3f}"
                f"{t_ours / t_peer:>8.2f}{mem:>10.0f}  {corr:.3f}"
            )
    rng = np.random.default_rng(1)
    m = 1_000_000
    value, cost = rng.normal(5.0, 5.0, m), rng.uniform(0.5, 3.0, m)
    budget = float(cost.sum() / 10)

    def greedy():
        return allocate_budget(value, cost, budget, method="greedy")

    def floor():
        keep = np.flatnonzero(value > 0)
        order = keep[np.argsort(-(value[keep] / cost[keep]), kind="stable")]  # same ties
        return order[np.cumsum(cost[order]) <= budget]

    t_ours, mem, _ = measure(greedy, repeat=3)
    t_floor, _, _ = measure(floor, repeat=3)
    print(
        f"{'allocate_budget greedy (1M customers)':<46}{t_ours:>9.3f}{t_floor:>9.3f}"
        f"{t_ours / t_floor:>8.2f}{mem:>10.0f}"
    )


if __name__ == "__main__":
    with threadpool_limits(limits=1):
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
