"""Draw the figures of docs/segmentation.md from the full CDNOW data (matplotlib, Agg).

Run from the repository root: ``python docs/img/make_segmentation_plots.py``.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import customer_models as cm
from customer_models.segmentation import (
    DEFAULT_RFM_SEGMENTS,
    RFMSegmenter,
    segment_migration,
    segment_profile,
)

DPI = 160  # docs figures: sharp on high-density screens and in slides
OUT = Path(__file__).parent


def main() -> None:
    tx = cm.load_cdnow_transactions()
    summary = cm.rfm_summary(tx, value_col="amount", freq="W")
    seg = RFMSegmenter().fit(summary)
    segments = seg.assign(summary)
    profile = segment_profile(summary, segments, features=["frequency"], value_col="total_value")

    # 1. segment sizes and value share
    fig, ax = plt.subplots(figsize=(8, 4.2), layout="constrained")
    y = np.arange(len(profile))
    ax.barh(y - 0.2, profile["share"], height=0.4, label="share of customers")
    ax.barh(y + 0.2, profile["value_share"], height=0.4, label="share of revenue")
    ax.set_yticks(y, profile.index)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_title(f"CDNOW ({len(summary):,} customers): RFM segments, size vs. revenue")
    ax.legend(loc="lower right")
    fig.savefig(OUT / "segmentation_sizes.png", dpi=DPI)
    plt.close(fig)

    # 2. RFM heatmap: customers per (R, FM) cell, labelled with the default map
    scores = seg.scorer_.transform(summary)
    r, fm = scores[:, 0], (scores[:, 1] + scores[:, 2] + 1) // 2
    grid = np.zeros((5, 5), dtype=int)
    np.add.at(grid, (5 - r, fm - 1), 1)
    names = np.empty((5, 5), dtype=object)
    for name, spec in DEFAULT_RFM_SEGMENTS.items():
        for rr in range(spec["r"][0], spec["r"][1] + 1):
            for ff in range(spec["fm"][0], spec["fm"][1] + 1):
                names[5 - rr, ff - 1] = name
    fig, ax = plt.subplots(figsize=(8, 5.5), layout="constrained")
    image = ax.imshow(grid, cmap="Blues")
    for i in range(5):
        for j in range(5):
            colour = "white" if grid[i, j] > grid.max() / 2 else "black"
            ax.text(
                j,
                i,
                f"{str(names[i, j]).replace(' ', chr(10), 1)}\n{grid[i, j]:,}",
                ha="center",
                va="center",
                fontsize=7,
                color=colour,
            )
    ax.set_xticks(range(5), [str(k) for k in range(1, 6)])
    ax.set_yticks(range(5), [str(k) for k in range(5, 0, -1)])
    ax.set_xlabel("FM score (rounded mean of F and M)")
    ax.set_ylabel("R score (5 = bought most recently)")
    ax.set_title("Customers per RFM cell and default segment")
    fig.colorbar(image, ax=ax, shrink=0.8)
    fig.savefig(OUT / "segmentation_rfm_heatmap.png", dpi=DPI)
    plt.close(fig)

    # 3. migration between two snapshots (each scored on its own base)
    early = cm.rfm_summary(tx, value_col="amount", freq="W", observation_end="1997-12-31")
    before = RFMSegmenter().fit_assign(early)
    table = segment_migration(before, segments, normalize=True)
    fig, ax = plt.subplots(figsize=(8.5, 6), layout="constrained")
    ax.imshow(table.to_numpy(), cmap="Greens", vmin=0, vmax=1)
    for i in range(table.shape[0]):
        for j in range(table.shape[1]):
            value = table.iat[i, j]
            if value >= 0.005:
                ax.text(
                    j,
                    i,
                    f"{value:.0%}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if value > 0.5 else "black",
                )
    ax.set_xticks(range(table.shape[1]), table.columns, rotation=45, ha="right")
    ax.set_yticks(range(table.shape[0]), table.index)
    ax.set_xlabel("segment on 1998-06-30")
    ax.set_ylabel("segment on 1997-12-31")
    ax.set_title("Where each segment went (row shares)")
    fig.savefig(OUT / "segmentation_migration.png", dpi=DPI)
    plt.close(fig)


if __name__ == "__main__":
    main()
