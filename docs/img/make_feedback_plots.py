"""Make the figures of docs/feedback.md (run from the repository root).

    /work/venv/bin/python docs/img/make_feedback_plots.py

Writes docs/img/feedback_nps_trend.png, feedback_coverage.png and feedback_key_drivers.png.
Deterministic (seeded), no network.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from customer_models import load_cdnow_transactions, rfm_summary
from customer_models.feedback import feedback_summary, key_drivers
from customer_models.feedback._nps import nps_interval

DPI = 160  # docs figures: sharp on high-density screens and in slides
OUT = Path(__file__).resolve().parent
TIER_COLORS = {"low": "#fd8d3c", "mid": "#6baed6", "high": "#08519c"}


def survey_of_cdnow_customers(seed: int = 7) -> pd.DataFrame:
    """Simulated NPS answers of CDNOW sample customers, joined with a value tier."""
    rng = np.random.default_rng(seed)
    tx = load_cdnow_transactions(sample=True)
    summary = rfm_summary(tx, value_col="amount")
    tier = pd.qcut(summary["total_value"].rank(method="first"), 3, labels=["low", "mid", "high"])
    # every customer answers three relationship surveys at random dates over 18 months;
    # higher tiers and later months are a bit happier
    customers = np.repeat(summary.index.to_numpy(), 3)
    start = pd.Timestamp("1997-01-01")
    days = rng.integers(0, (pd.Timestamp("1998-06-30") - start).days + 1, len(customers))
    answers = pd.DataFrame({"customer_id": customers, "date": start + pd.to_timedelta(days, "D")})
    answers = answers.join(tier.rename("tier").astype(str), on="customer_id")
    month = (answers["date"].dt.year - 1997) * 12 + answers["date"].dt.month - 1
    lift = answers["tier"].map({"low": -0.8, "mid": 0.0, "high": 0.8}).to_numpy()
    latent = 7.2 + lift + 0.05 * month.to_numpy() + rng.normal(0, 2.0, len(answers))
    answers["ltr"] = np.clip(np.rint(latent), 0, 10).astype(int)
    return answers


def nps_trend() -> None:
    answers = survey_of_cdnow_customers()
    table = feedback_summary(
        answers, score_col="ltr", by=[pd.Grouper(key="date", freq="MS"), "tier"]
    )
    fig, ax = plt.subplots(figsize=(7.5, 3.8), layout="constrained")
    for tier, color in TIER_COLORS.items():
        part = table.xs(tier, level="tier")
        ax.plot(part.index, part["score"], marker="o", color=color, label=f"{tier} value tier")
        ax.fill_between(part.index, part["lower"], part["upper"], color=color, alpha=0.18)
    ax.set_ylabel("NPS (95% adjusted-Wald band)")
    ax.set_title("Monthly NPS by customer value tier (simulated answers of CDNOW customers)")
    ax.axhline(0, color="grey", lw=0.8)
    ax.legend(frameon=False, ncol=3, loc="lower right")
    fig.savefig(OUT / "feedback_nps_trend.png", dpi=DPI)
    plt.close(fig)


def coverage() -> None:
    rng = np.random.default_rng(2016)
    sizes = np.array([10, 20, 30, 50, 75, 100, 150, 200, 300, 500])
    scenarios = {"(0.5, 0.3, 0.2)": (0.5, 0.3, 0.2), "(0.85, 0.1, 0.05)": (0.85, 0.1, 0.05)}
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.4), sharey=True, layout="constrained")
    for ax, (label, shares) in zip(axes, scenarios.items(), strict=True):
        truth = shares[0] - shares[2]
        for method, style in (("adjusted_wald", "-o"), ("wald", "--s")):
            cov = []
            for n in sizes:
                counts = rng.multinomial(n, shares, size=20_000)
                _, low, high = nps_interval(
                    counts[:, 0] / n, counts[:, 2] / n, n, confidence=0.95, method=method
                )
                cov.append(np.mean((low <= truth) & (truth <= high)))
            ax.plot(sizes, cov, style, label=method, ms=4)
        ax.axhline(0.95, color="grey", lw=0.8)
        ax.set_xscale("log")
        ax.set_title(f"shares (P, passive, D) = {label}", fontsize=9)
        ax.set_xlabel("n answers")
    axes[0].set_ylabel("coverage of nominal 95% interval")
    axes[0].set_ylim(0.8, 1.0)
    axes[0].legend(frameon=False)
    fig.savefig(OUT / "feedback_coverage.png", dpi=DPI)
    plt.close(fig)


def drivers() -> None:
    rng = np.random.default_rng(3)
    n = 600
    base = rng.normal(size=(n, 4))
    base[:, 1] += 0.6 * base[:, 0]
    ratings = pd.DataFrame(base, columns=["delivery", "tracking", "price", "support"])
    ratings["overall"] = (
        0.55 * ratings["delivery"]
        + 0.15 * ratings["tracking"]
        + 0.25 * ratings["support"]
        + 0.05 * ratings["price"]
        + rng.normal(scale=0.9, size=n)
    )
    table = key_drivers(
        ratings,
        target="overall",
        drivers=["delivery", "tracking", "price", "support"],
        n_draws=300,
        random_state=0,
    ).sort_values("share")
    fig, ax = plt.subplots(figsize=(6, 2.8), layout="constrained")
    err = [table["share"] - table["share_lower"], table["share_upper"] - table["share"]]
    ax.barh(table.index, table["share"], xerr=err, color="#4292c6", capsize=3)
    ax.set_xlabel(f"share of R² = {table.attrs['r_squared']:.2f} (%), 95% bootstrap interval")
    ax.set_title("Key drivers of the overall rating (relative weights)")
    fig.savefig(OUT / "feedback_key_drivers.png", dpi=DPI)
    plt.close(fig)


if __name__ == "__main__":
    nps_trend()
    coverage()
    drivers()
