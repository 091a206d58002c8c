"""Calibration of :class:`ChurnClassifier` on the out-of-fold scores of its own model choice.

The internal cross-validation that chooses the model already holds, for every held-out row, a
score from a model that did not see it. Fitting the calibrator on those scores and applying it
to the model refitted on all data is what ``CalibratedClassifierCV(ensemble=False)`` does,
without its extra fits.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit, log_expit
from sklearn.isotonic import IsotonicRegression

__all__ = ["CalibratedModel", "fit_calibrator", "model_scores", "out_of_fold_scores"]


def model_scores(model: Any, X: Any) -> np.ndarray:
    """Return what a calibrator maps: the decision function if there is one, else P(class 1)."""
    if hasattr(model, "decision_function"):
        return np.asarray(model.decision_function(X), dtype=np.float64)
    return np.asarray(model.predict_proba(X), dtype=np.float64)[:, 1]


def out_of_fold_scores(
    cv_result: dict[str, Any], frame: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Held-out row positions and each one's score from the fold model that did not see it."""
    folds = list(zip(cv_result["estimator"], cv_result["indices"]["test"], strict=True))
    rows = np.concatenate([test for _, test in folds])
    scores = np.concatenate([model_scores(model, frame.iloc[test]) for model, test in folds])
    return rows, scores


class _Platt:
    """Platt's sigmoid ``1 / (1 + exp(-(a s + b)))`` fitted to smoothed targets (Platt, 1999)."""

    def __init__(self, scores: np.ndarray, target: np.ndarray) -> None:
        n_pos = float(target.sum())
        n_neg = float(target.size - n_pos)
        # Platt's targets keep the fit finite on separable scores.
        soft = np.where(target == 1, (n_pos + 1.0) / (n_pos + 2.0), 1.0 / (n_neg + 2.0))
        scale = float(np.std(scores)) or 1.0

        def loss(ab: np.ndarray) -> tuple[float, np.ndarray]:
            z = ab[0] * scores / scale + ab[1]
            value = -(soft * log_expit(z) + (1.0 - soft) * log_expit(-z)).sum()
            residual = expit(z) - soft
            return float(value), np.array([(residual * scores / scale).sum(), residual.sum()])

        start = np.array([1.0, np.log((n_pos + 1.0) / (n_neg + 1.0))])  # the base rate
        ab = minimize(loss, start, jac=True, method="L-BFGS-B").x
        self.a, self.b = float(ab[0]) / scale, float(ab[1])

    def predict(self, scores: np.ndarray) -> np.ndarray:
        return np.asarray(expit(self.a * scores + self.b))


def fit_calibrator(method: str, scores: np.ndarray, target: np.ndarray) -> Any:
    """Fit a map from scores to churn probabilities: ``"sigmoid"`` or ``"isotonic"``."""
    if method == "sigmoid":
        return _Platt(scores, target)
    return IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(scores, target)


class CalibratedModel:
    """A fitted model whose probabilities pass through a calibrator fitted out of fold.

    Attributes
    ----------
    estimator : estimator
        The model (pipeline) fitted on all data.
    calibrator : object
        Maps :func:`model_scores` to the probability of class 1 (``predict``).
    method : str
        ``"sigmoid"`` or ``"isotonic"``.
    """

    def __init__(self, estimator: Any, calibrator: Any, method: str) -> None:
        self.estimator = estimator
        self.calibrator = calibrator
        self.method = method
        self.classes_ = estimator.classes_

    def predict_proba(self, X: Any) -> np.ndarray:
        """``[P(class 0), P(class 1)]`` per row, calibrated."""
        churn = np.clip(self.calibrator.predict(model_scores(self.estimator, X)), 0.0, 1.0)
        return np.column_stack([1.0 - churn, churn])
