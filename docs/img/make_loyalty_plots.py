"""Make the plots of docs/loyalty.md: tier distribution over time and the tier migration matrix.

Run from the repository root:  python docs/img/make_loyalty_plots.py
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import customer_models as cm
from customer_models.loyalty import LoyaltyProgram

DPI = 160  # docs figures: sharp on high-density screens and in slides
OUT = Path(__file__).parent


def main() -> None:
    tx = cm.make_transactions(20_000, random_state=7)
    program = LoyaltyProgram(
        [("Base", 0), ("Silver", 150), ("Gold", 500)],
        window="365D",
        review="QS",
        grace_periods=1,
        soft_landing=True,
    )
    dates = pd.date_range("2024-03-31", "2025-12-31", freq="QE")
    history = program.history(tx, as_of=dates)

    shares = history.tiers.apply(lambda col: col.value_counts(sort=False)).T
    fig, ax = plt.subplots(figsize=(7, 3.6), dpi=DPI, layout="constrained")
    bottom = np.zeros(len(shares))
    colors = {"Base": "#c8c8c8", "Silver": "#8fa8c8", "Gold": "#d4a017"}
    for tier in shares.columns:
        ax.bar(
            shares.index.strftime("%Y-%m-%d"),
            shares[tier],
            bottom=bottom,
            label=tier,
            color=colors[tier],
        )
        bottom += shares[tier].to_numpy()
    ax.set_ylabel("customers")
    ax.set_title("Tier distribution at each quarter end (rolling 365 days, quarterly reviews)")
    ax.legend(frameon=False)
    ax.tick_params(axis="x", labelrotation=30)
    fig.savefig(OUT / "loyalty_tier_distribution.png")
    plt.close(fig)

    matrix = history.matrix()
    fig, ax = plt.subplots(figsize=(4.6, 3.6), dpi=DPI, layout="constrained")
    share = matrix.div(matrix.sum(axis=1).replace(0, 1), axis=0)
    ax.imshow(share.to_numpy(), cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(matrix.shape[1]), matrix.columns.astype(str))
    ax.set_yticks(range(matrix.shape[0]), matrix.index.astype(str))
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            ax.text(j, i, f"{matrix.iloc[i, j]:,}", ha="center", va="center", fontsize=8)
    ax.set_xlabel("tier on " + str(dates[-1].date()))
    ax.set_ylabel("tier on " + str(dates[-2].date()))
    ax.set_title("Tier migration, last quarter")
    fig.savefig(OUT / "loyalty_migration.png")
    plt.close(fig)


if __name__ == "__main__":
    main()
