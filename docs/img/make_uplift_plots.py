"""Draw the figures of docs/uplift.md (matplotlib, Agg): the Qini curves and the budget curve.

Run from the repository root: ``python docs/img/make_uplift_plots.py``. The campaign is the
simulated one of tests/decision/test_uplift.py (a known heterogeneous effect).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy.special import expit

from customer_models.decision._budget import allocate_budget, incremental_value
from customer_models.decision._uplift import XLearnerUplift
from customer_models.decision._uplift_curves import auuc, qini_curve

DPI = 160  # docs figures: sharp on high-density screens and in slides
OUT = Path(__file__).parent


def _save(fig: plt.Figure, ax: plt.Axes, name: str) -> None:
    """Add the curves' legend (small, no frame) and write the figure at the docs' resolution."""
    ax.legend(frameon=False, fontsize=8)
    fig.savefig(OUT / name, dpi=DPI)


def campaign(n: int, seed: int):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    p0 = expit(-0.3 + 0.8 * X[:, 0])
    tau = 0.30 * expit(2.5 * X[:, 1]) - 0.05
    t = rng.random(n) < 0.5
    y = (rng.random(n) < np.clip(p0 + t * tau, 0.0, 1.0)).astype(int)
    return X, y, t, tau, p0


def main() -> None:
    X, y, t, _, _ = campaign(20_000, seed=10)
    model = XLearnerUplift().fit(X, y, treatment=t)
    X_new, y_new, t_new, tau, p0 = campaign(10_000, seed=11)
    estimate = model.predict(X_new)

    fig, ax = plt.subplots(figsize=(6.4, 4.0), layout="constrained")
    scores = {
        "true uplift": tau,
        "X-learner estimate": estimate,
        "churn risk (1 - P(stay))": 1.0 - p0,
        "random": np.random.default_rng(0).random(tau.size),
    }
    for label, score in scores.items():
        curve = qini_curve(y_new, t_new, score)
        ax.plot(
            curve["share_targeted"],
            curve["qini"],
            label=f"{label} (AUUC {auuc(y_new, t_new, score):.4f})",
        )
    ax.set(
        xlabel="share of customers targeted, best score first",
        ylabel="incremental customers kept (Qini)",
        title="Qini curves on a simulated retention campaign",
    )
    _save(fig, ax, "uplift_qini.png")

    clv = pd.Series(np.random.default_rng(12).gamma(2.0, 50.0, tau.size))
    cost = 2.0
    value = incremental_value(estimate, clv, cost)
    true_value = tau * clv.to_numpy() - cost
    budgets = np.linspace(0, 20_000, 21)
    policies = {
        "uplift x CLV - cost": np.argsort(-value.to_numpy(), kind="stable"),
        "top CLV": np.argsort(-clv.to_numpy(), kind="stable"),
        "top churn risk": np.argsort(p0, kind="stable"),
    }
    fig, ax = plt.subplots(figsize=(6.4, 4.0), layout="constrained")
    planned = [allocate_budget(value, cost, b).selected.to_numpy() for b in budgets]
    ax.plot(budgets, [true_value[s].sum() for s in planned], label="allocate_budget")
    for label, order in list(policies.items())[1:]:
        ax.plot(budgets, [true_value[order[: int(b // cost)]].sum() for b in budgets], label=label)
    ax.set(
        xlabel="budget (2 per contact)",
        ylabel="true incremental value",
        title="Budget curves: whom to contact",
    )
    _save(fig, ax, "uplift_budget.png")


if __name__ == "__main__":
    main()
