"""A 0-100 customer health score from its components, with weights set or fitted."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression

from customer_models._validation import (
    as_pandas,
    check_not_empty,
    check_number,
    check_rule,
    require_columns,
)
from customer_models.churn._evaluate import ChurnEvaluation, _binary_labels, evaluate_churn
from customer_models.exceptions import DataValidationError, NotFittedError, ParameterError

if TYPE_CHECKING:
    from collections.abc import Hashable

    from numpy.typing import ArrayLike

__all__ = ["HealthScore"]

_WHAT = "health components"


def _components(components: Any, names: list[str] | None = None) -> pd.DataFrame:
    frame = as_pandas(components, what=_WHAT)
    check_not_empty(frame, what=_WHAT)
    if names is not None:
        require_columns(frame, names, what=_WHAT)
    for column in frame.columns if names is None else names:
        values = frame[column]
        if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
            raise DataValidationError(
                f"{_WHAT} column {column!r} must be numeric on [0, 1], got dtype {values.dtype}.",
                column=str(column),
                rule=f"{column} must be numeric",
                n_rows=len(values),
            )
        x = values.to_numpy(dtype=np.float64, na_value=np.nan)
        check_rule(
            np.isinf(x) | (x < 0) | (x > 1),
            frame.index,
            rule=f"{column} must be in [0, 1]",
            column=str(column),
            what=_WHAT,
        )
    return frame


class HealthScore(BaseEstimator):
    """A customer health score on 0-100 from components on [0, 1] (see health_components).

    Parameters
    ----------
    weights : dict, optional
        Component name -> weight (>= 0). The score is then the weighted mean of the
        components present for the customer, times 100: a missing component (NaN: no survey
        answer, no spend to compare) is left out and the other weights renormalised, so a
        customer is neither rewarded nor punished for not answering. ``None``: weights are
        fitted with :meth:`fit`.
    C : float, default 1.0
        Inverse regularisation strength of the logistic regression in :meth:`fit`.

    Attributes
    ----------
    components_ : list of str
        The components used, in order.
    coef_ : pandas.Series
        With fitted weights: the logistic regression's coefficients for churn (negative =
        protective), including a ``<name>_missing`` indicator per component with NaN.
    intercept_ : float
        With fitted weights: the intercept of the regression.

    Notes
    -----
    With fitted weights, the score is ``100 * (1 - P(churn | components))`` from a logistic
    regression of the later churn label on the components (a NaN component is replaced by
    0.5 and flagged by an indicator), so it is a calibrated P(stays) in percent on data like
    the training data.

    Examples
    --------
    >>> import pandas as pd
    >>> comps = pd.DataFrame({"alive": [0.9, 0.2], "feedback": [None, 0.3]})
    >>> HealthScore({"alive": 3, "feedback": 1}).score(comps).round(1).tolist()
    [90.0, 22.5]
    """

    def __init__(self, weights: dict[str, float] | None = None, *, C: float = 1.0) -> None:
        self.weights = weights
        self.C = C

    def _set_weights(self) -> tuple[list[str], np.ndarray]:
        if not isinstance(self.weights, dict) or not self.weights:
            raise ParameterError(
                "weights must be a dict component -> weight such as {'alive': 2, 'rhythm': 1}."
            )
        names = [str(k) for k in self.weights]
        w = np.array(
            [check_number(v, f"weights[{k!r}]", low=0) for k, v in self.weights.items()],
            dtype=np.float64,
        )
        if w.sum() <= 0:
            raise ParameterError("weights must not all be 0.")
        return names, w

    def fit(
        self, components: Any, y: ArrayLike, *, pos_label: Hashable | None = None
    ) -> HealthScore:
        """Fit the weights: logistic regression of a later churn label on the components.

        Parameters
        ----------
        components : DataFrame
            Health components on [0, 1] (see :func:`health_components`).
        y : array-like or Series
            Churn observed after the components were measured (1/True/"churned" = churned),
            matched on the index when a Series.
        pos_label : optional
            The label meaning "churned", as in :func:`~customer_models.churn.evaluate_churn`.

        Returns
        -------
        HealthScore
            ``self``.
        """
        if self.weights is not None:
            raise ParameterError(
                "this HealthScore has set weights; use HealthScore() (weights=None) to fit them."
            )
        C = check_number(self.C, "C", low=0, low_inclusive=False)
        frame = _components(components)
        if isinstance(y, pd.Series):
            check_rule(
                ~frame.index.isin(y.index),
                frame.index,
                rule="every customer of the components needs a churn label",
                what="y",
            )
            y = y.reindex(frame.index)
        label = _binary_labels(y, pos_label)
        if label.size != len(frame):
            raise DataValidationError(
                f"y has {label.size} labels but the components have {len(frame)} rows.",
                rule="same length",
                n_rows=abs(label.size - len(frame)),
            )
        X, names = self._design(frame, [c for c in frame.columns if frame[c].isna().any()])
        model = LogisticRegression(C=C, max_iter=1000)
        model.fit(X, label)
        self.components_ = [str(c) for c in frame.columns]
        self.missing_indicators_ = [n[: -len("_missing")] for n in names if n.endswith("_missing")]
        self.coef_ = pd.Series(model.coef_[0], index=names, name="coef")
        self.intercept_ = float(model.intercept_[0])
        return self

    @staticmethod
    def _design(frame: pd.DataFrame, flagged: list[Any]) -> tuple[np.ndarray, list[str]]:
        x = frame.to_numpy(dtype=np.float64, na_value=np.nan)
        missing = np.isnan(x)
        cols = [np.where(missing, 0.5, x)]
        names = [str(c) for c in frame.columns]
        for c in flagged:
            cols.append(missing[:, [list(frame.columns).index(c)]].astype(np.float64))
            names.append(f"{c}_missing")
        return np.hstack(cols), names

    def score(self, components: Any) -> pd.Series:
        """Health of every customer on 0-100 (higher = healthier).

        Returns
        -------
        pandas.Series
            Named ``"health"`` on the components' index, finite.
        """
        if self.weights is not None:
            names, w = self._set_weights()
            frame = _components(components, names)
            total = np.zeros(len(frame))
            total_w = np.zeros(len(frame))
            for name, weight in zip(names, w, strict=True):  # one pass per component
                x = frame[name].to_numpy(dtype=np.float64, na_value=np.nan)
                present = ~np.isnan(x)
                total += np.where(present, x, 0.0) * weight
                total_w += present * weight
            check_rule(
                total_w <= 0,
                frame.index,
                rule="at least one weighted health component must be present",
                what=_WHAT,
            )
            health = 100.0 * total / np.where(total_w > 0, total_w, 1.0)
            return pd.Series(health, index=frame.index, name="health")
        if getattr(self, "coef_", None) is None:
            raise NotFittedError(
                "This HealthScore is not fitted yet; call fit(components, y) first or give "
                "weights=."
            )
        frame = _components(components, self.components_)[self.components_]
        X, _ = self._design(frame, self.missing_indicators_)
        eta = X @ self.coef_.to_numpy() + self.intercept_
        # 100 * P(stay) = 100 * (1 - sigmoid(eta)) = 100 * sigmoid(-eta), stable for any eta
        health = 100.0 * np.exp(-np.logaddexp(0.0, eta))
        return pd.Series(health, index=frame.index, name="health")

    def evaluate(
        self, components: Any, y: ArrayLike, *, n_bins: int = 10, pos_label: Hashable | None = None
    ) -> ChurnEvaluation:
        """Back-test the score against churn observed later: ROC AUC, lift, calibration.

        The churn probability scored is ``1 - health / 100``; the metrics are those of
        :func:`~customer_models.churn.evaluate_churn`.

        Returns
        -------
        ChurnEvaluation
        """
        health = self.score(components)
        return evaluate_churn(y, 1.0 - health / 100.0, n_bins=n_bins, pos_label=pos_label)
