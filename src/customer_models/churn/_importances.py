"""Permutation importances of :class:`ChurnClassifier`, on the held-out rows of each CV fold."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

__all__ = ["fold_importances", "permutation_drop"]

#: Held-out rows per fold used for permutation importances (a random subset beyond this).
_MAX_IMPORTANCE_ROWS = 5_000
#: Rows scored in one predict_proba call while computing permutation importances.
_BATCH_ROWS = 200_000


def permutation_drop(
    estimator: Any, X: pd.DataFrame, y: np.ndarray, n_repeats: int, rng: np.random.Generator
) -> np.ndarray:
    """Mean drop in ROC AUC when each column of ``X`` is shuffled (``n_repeats`` times).

    All shuffled copies are stacked and scored with few ``predict_proba`` calls instead of one
    call per column and repeat (the pipeline overhead dominates on small folds).
    """
    n, n_features = X.shape
    baseline = roc_auc_score(y, estimator.predict_proba(X)[:, 1])
    jobs = [(j, rng.permutation(n)) for j in range(n_features) for _ in range(n_repeats)]
    per_batch = max(1, _BATCH_ROWS // max(n, 1))
    drops = np.zeros(n_features)
    identity = np.arange(n)
    for start in range(0, len(jobs), per_batch):
        batch = jobs[start : start + per_batch]
        columns = {}
        for j in range(n_features):
            rows = np.concatenate([perm if col == j else identity for col, perm in batch])
            columns[j] = X.iloc[:, j].take(rows).reset_index(drop=True)
        stacked = pd.concat(columns, axis=1)
        stacked.columns = X.columns
        proba = estimator.predict_proba(stacked)[:, 1].reshape(len(batch), n)
        for k, (col, _) in enumerate(batch):
            drops[col] += baseline - roc_auc_score(y, proba[k])
    return drops / n_repeats


def fold_importances(
    cv_result: dict[str, Any],
    frame: pd.DataFrame,
    target: np.ndarray,
    n_repeats: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Mean AUC drop per column, each fold's model scored on its own held-out rows.

    ``cv_result`` is ``cross_validate(..., return_estimator=True, return_indices=True)``;
    folds with more than 5,000 held-out rows are scored on a random 5,000 of them.
    """
    total = np.zeros(frame.shape[1])
    folds = zip(cv_result["estimator"], cv_result["indices"]["test"], strict=True)
    for estimator, test in folds:
        if test.size > _MAX_IMPORTANCE_ROWS:
            test = np.sort(rng.choice(test, _MAX_IMPORTANCE_ROWS, replace=False))
        total += permutation_drop(estimator, frame.iloc[test], target[test], n_repeats, rng)
    return total / len(cv_result["estimator"])
