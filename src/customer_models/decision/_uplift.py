"""Uplift estimators: who changes their behaviour because they were contacted.

Two meta-learners on scikit-learn estimators, for a randomized (or propensity-known) campaign:

- :class:`TwoModelUplift` fits the outcome on the treated and on the control customers
  separately; the uplift is the difference of the two predictions.
- :class:`XLearnerUplift` (Künzel, Sekhon, Bickel and Yu 2019, "Metalearners for estimating
  heterogeneous treatment effects using machine learning", PNAS 116(10)) imputes each
  customer's effect from the other group's outcome model, fits the effect in each group and
  blends the two by the propensity. It is better than the two-model learner when one group is
  much smaller than the other.

The outcome ``y`` is a 0/1 response (the outcome models are then classifiers and the uplift a
difference of probabilities) or a number such as the spend in the campaign window
(regressors).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import BaseEstimator, clone, is_classifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.utils import check_array

from customer_models._validation import check_fitted
from customer_models._validation._frames import sklearn_input
from customer_models.exceptions import DataValidationError, ParameterError

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["TwoModelUplift", "XLearnerUplift"]


def _treatment(treatment: Any, n: int) -> np.ndarray:
    """Return the treatment flags as bool, refusing anything but 0/1 or bool of length n."""
    if treatment is None:
        raise ParameterError(
            "fit needs treatment=: 1 (or True) for contacted customers, 0 for the control group."
        )
    values = np.asarray(treatment)
    if values.shape != (n,):
        raise ParameterError(
            f"treatment must have one flag per row ({n}), got shape {values.shape}."
        )
    if values.dtype == bool:
        flags = values
    else:
        numeric = np.asarray(values, dtype=object)
        bad = ~np.isin(numeric, (0, 1, 0.0, 1.0, True, False))
        if bad.any():
            raise DataValidationError(
                f"treatment must be 0/1 or boolean; {int(bad.sum())} of {n} rows are not "
                f"(first values: {list(values[bad][:5])}).",
                column="treatment",
                rule="treatment must be 0/1",
                n_rows=int(bad.sum()),
            )
        flags = numeric.astype(float) == 1.0
    for group, mask in (("treated", flags), ("control", ~flags)):
        if mask.sum() < 2:
            raise DataValidationError(
                f"the {group} group has {int(mask.sum())} customers: both groups need at "
                "least 2 to estimate an uplift.",
                column="treatment",
                rule="both groups present",
                n_rows=int(mask.sum()),
            )
    return flags


def _outcome(estimator: Any, X: np.ndarray) -> np.ndarray:
    """Return P(y = 1) from a classifier outcome model, the prediction of a regressor."""
    if is_classifier(estimator):
        return np.asarray(estimator.predict_proba(X))[:, 1]
    return np.asarray(estimator.predict(X), dtype=np.float64)


def _fit_outcome(template: Any, X: np.ndarray, y: np.ndarray, what: str) -> Any:
    model = clone(template)
    if is_classifier(model) and np.unique(y).size < 2:
        raise DataValidationError(
            f"every customer of the {what} group has the same outcome ({y[0]!r}): a classifier "
            "cannot be fitted on it; use a regressor or a larger sample.",
            column="y",
            rule="both outcomes in each group",
            n_rows=int(y.size),
        )
    return sklearn_input(model.fit, X, y, what=f"{what} outcome")


class _Uplift(BaseEstimator):
    """Shared input handling: X, y and the treatment flags."""

    def _inputs(self, X: Any, y: Any, treatment: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        X_arr = sklearn_input(check_array, X, dtype=np.float64, what="X")
        if X_arr.ndim != 2:
            raise ParameterError(f"X must be 2-D (customers x features), got shape {X_arr.shape}.")
        y_arr = np.asarray(y)
        if y_arr.shape != (X_arr.shape[0],):
            raise ParameterError(
                f"y must have one outcome per row of X ({X_arr.shape[0]}), got {y_arr.shape}."
            )
        flags = _treatment(treatment, X_arr.shape[0])
        self.n_features_in_ = X_arr.shape[1]
        self.treated_share_ = float(flags.mean())
        return X_arr, y_arr, flags

    def _features(self, X: Any) -> np.ndarray:
        check_fitted(self, "n_features_in_")
        X_arr = sklearn_input(check_array, X, dtype=np.float64, what="X")
        if X_arr.ndim != 2 or X_arr.shape[1] != self.n_features_in_:
            raise ParameterError(
                f"X must have {self.n_features_in_} columns, as in fit; got shape {X_arr.shape}."
            )
        return X_arr


class TwoModelUplift(_Uplift):
    """Uplift as the difference of two outcome models, one per campaign group.

    Parameters
    ----------
    estimator : scikit-learn estimator, optional
        The outcome model, cloned for each group. Default: ``LogisticRegression(max_iter=1000)``
        (a 0/1 outcome).

    Attributes
    ----------
    treated_model_, control_model_ : estimator
        The fitted outcome models.
    treated_share_ : float
        Share of treated customers in the fit data.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(4000, 1))
    >>> t = rng.random(4000) < 0.5
    >>> y = rng.random(4000) < 0.2 + 0.2 * t * (X[:, 0] > 0)  # only x > 0 respond
    >>> model = TwoModelUplift().fit(X, y, treatment=t)
    >>> bool(model.predict(np.array([[2.0]]))[0] > model.predict(np.array([[-2.0]]))[0])
    True
    """

    def __init__(self, estimator: Any = None) -> None:
        self.estimator = estimator

    def fit(self, X: Any, y: ArrayLike, *, treatment: ArrayLike) -> TwoModelUplift:
        """Fit the outcome model on the treated and on the control customers."""
        X_arr, y_arr, flags = self._inputs(X, y, treatment)
        template = LogisticRegression(max_iter=1000) if self.estimator is None else self.estimator
        self.treated_model_ = _fit_outcome(template, X_arr[flags], y_arr[flags], "treated")
        self.control_model_ = _fit_outcome(template, X_arr[~flags], y_arr[~flags], "control")
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Return the estimated uplift of each customer (treated minus control outcome)."""
        X_arr = self._features(X)
        return _outcome(self.treated_model_, X_arr) - _outcome(self.control_model_, X_arr)


class XLearnerUplift(_Uplift):
    """The X-learner (Künzel et al. 2019): imputed effects, one effect model per group.

    1. Outcome models ``mu_1`` (treated) and ``mu_0`` (control), as :class:`TwoModelUplift`.
    2. Imputed effects: ``D_1 = y - mu_0(x)`` for the treated, ``D_0 = mu_1(x) - y`` for the
       control customers; an effect model ``tau_1`` is fitted on ``(x, D_1)``, ``tau_0`` on
       ``(x, D_0)``.
    3. ``uplift(x) = g tau_0(x) + (1 - g) tau_1(x)`` with ``g`` the propensity (the treated
       share in a randomized campaign).

    Parameters
    ----------
    estimator : scikit-learn estimator, optional
        Outcome model (default ``LogisticRegression(max_iter=1000)``).
    effect_estimator : scikit-learn regressor, optional
        Effect model (default ``LinearRegression()``).
    propensity : float, optional
        P(treated), the same for everyone in a randomized campaign; default the treated share
        of the fit data.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(4000, 1))
    >>> t = rng.random(4000) < 0.2  # a small treated group
    >>> y = rng.random(4000) < 0.2 + 0.2 * t * (X[:, 0] > 0)
    >>> model = XLearnerUplift().fit(X, y, treatment=t)
    >>> bool(model.predict(np.array([[2.0]]))[0] > model.predict(np.array([[-2.0]]))[0])
    True
    """

    def __init__(
        self, estimator: Any = None, *, effect_estimator: Any = None, propensity: Any = None
    ) -> None:
        self.estimator = estimator
        self.effect_estimator = effect_estimator
        self.propensity = propensity

    def fit(self, X: Any, y: ArrayLike, *, treatment: ArrayLike) -> XLearnerUplift:
        """Fit the outcome models, impute the effects and fit the two effect models."""
        X_arr, y_arr, flags = self._inputs(X, y, treatment)
        if self.propensity is None:
            g = self.treated_share_
        else:
            g = float(self.propensity) if isinstance(self.propensity, (int, float)) else -1.0
            if not 0.0 < g < 1.0:
                raise ParameterError(f"propensity must be in (0, 1), got {self.propensity!r}.")
        template = LogisticRegression(max_iter=1000) if self.estimator is None else self.estimator
        treated = _fit_outcome(template, X_arr[flags], y_arr[flags], "treated")
        control = _fit_outcome(template, X_arr[~flags], y_arr[~flags], "control")
        y_float = y_arr.astype(np.float64)
        d_treated = y_float[flags] - _outcome(control, X_arr[flags])
        d_control = _outcome(treated, X_arr[~flags]) - y_float[~flags]
        effect = LinearRegression() if self.effect_estimator is None else self.effect_estimator
        self.treated_effect_ = sklearn_input(
            clone(effect).fit, X_arr[flags], d_treated, what="treated effect"
        )
        self.control_effect_ = sklearn_input(
            clone(effect).fit, X_arr[~flags], d_control, what="control effect"
        )
        self.treated_model_, self.control_model_ = treated, control
        self.propensity_ = g
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Return the estimated uplift of each customer."""
        X_arr = self._features(X)
        tau1 = np.asarray(self.treated_effect_.predict(X_arr), dtype=np.float64)
        tau0 = np.asarray(self.control_effect_.predict(X_arr), dtype=np.float64)
        return self.propensity_ * tau0 + (1.0 - self.propensity_) * tau1
