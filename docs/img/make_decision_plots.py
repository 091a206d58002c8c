"""Make the plots of docs/decision.md: grade distribution with churn per grade, health back-test.

Run from the repository root:  python docs/img/make_decision_plots.py
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import customer_models as cm
from customer_models.decision import HealthScore, Scorecard, health_components
from customer_models.valuation import BetaGeoModel

DPI = 160  # docs figures: sharp on high-density screens and in slides
OUT = Path(__file__).parent

CARD = Scorecard(
    [
        {"name": "rhythm", "bands": [(0, 0.05, 0), (0.05, 0.2, 20), (0.2, 0.5, 35), (0.5, 1, 50)]},
        {"name": "frequency", "bands": [(0, 1, 0), (1, 3, 10), (3, None, 25)]},
        {
            "name": "spend",
            "column": "monetary_value",
            "bands": [(0, 20, 0), (20, 50, 10), (50, None, 25)],
        },
    ],
    grades=[("A", 70), ("B", 45), ("C", 20), ("D", None)],
    version="cdnow-1",
)


def main() -> None:
    tx = cm.load_cdnow_transactions()
    split = cm.calibration_holdout_split(  # as docs/decision.md writes it
        tx, calibration_end="1997-09-30", observation_end="1998-06-30", freq="W", value_col="amount"
    )
    model = BetaGeoModel().fit(split[["frequency", "recency", "T"]])
    comps = health_components(split, model, t=39)
    customers = split.join(comps)
    grade = CARD.score(customers)["grade"]
    churned = split["frequency_holdout"].eq(0)

    share = grade.value_counts(normalize=True, sort=False)
    rate = churned.groupby(grade, observed=False).mean()
    fig, ax = plt.subplots(figsize=(6.5, 3.6), dpi=DPI, layout="constrained")
    colors = ["#2e7d32", "#8bc34a", "#ffb300", "#e53935"]
    ax.bar(share.index.astype(str), share.to_numpy() * 100, color=colors)
    ax.set_ylabel("share of customers (%)")
    ax.set_xlabel("grade (scorecard 'cdnow-1', calibration to 1997-09-30)")
    twin = ax.twinx()
    twin.plot(rate.index.astype(str), rate.to_numpy() * 100, "ko-", label="churned in holdout")
    twin.set_ylabel("no purchase in the 39-week holdout (%)")
    twin.set_ylim(0, 100)
    twin.legend(loc="upper left", frameon=False)
    ax.set_title("CDNOW grade distribution and later churn by grade")
    fig.savefig(OUT / "decision_grades.png")
    plt.close(fig)

    # health back-test: fitted weights on half the customers, gains curve on the other half
    churn = churned.astype(int)
    train = np.random.default_rng(0).random(len(split)) < 0.5
    fitted = HealthScore().fit(comps[train], churn[train])
    result = fitted.evaluate(comps[~train], churn[~train])
    lift = result.lift
    fig, ax = plt.subplots(figsize=(5.2, 3.8), dpi=DPI, layout="constrained")
    x = np.r_[0, lift["cumulative_share"].to_numpy()] * 100
    ax.plot(
        x,
        np.r_[0, lift["capture"].to_numpy()] * 100,
        "o-",
        label=f"health score (AUC {result.roc_auc:.3f})",
    )
    ax.plot([0, 100], [0, 100], "k--", lw=1, label="random")
    ax.set_xlabel("customers contacted, lowest health first (%)")
    ax.set_ylabel("holdout churners found (%)")
    ax.set_title("CDNOW: health score gains on the test half")
    ax.legend(frameon=False)
    fig.savefig(OUT / "decision_health_gains.png")
    plt.close(fig)


if __name__ == "__main__":
    main()
