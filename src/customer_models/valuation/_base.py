"""Shared maximum-likelihood machinery of the valuation models.

How a model declares itself
---------------------------
A valuation model is one small subclass of :class:`ValuationModel` that declares:

``param_names`` : tuple of str (class attribute)
    Parameter names in paper order, e.g. ``("r", "alpha", "a", "b")``. Every parameter is
    strictly positive; the base optimizes their logarithms.
``required_columns`` : tuple of str (class attribute)
    Data columns the likelihood needs, in the order the kernels take them, e.g.
    ``("frequency", "recency", "T")``.
``_loglik_kernel(params, *columns) -> ndarray`` (staticmethod)
    Per-row log-likelihood. ``params`` is a float64 array in ``param_names`` order (natural
    scale); ``columns`` are float64 arrays in ``required_columns`` order (for fitting these are
    the distinct patterns, not every customer).
``_loglik_gradient_kernel(params, *columns) -> (ndarray, ndarray)`` (staticmethod)
    The per-row log-likelihood (shape ``(n,)``) and its **analytic** gradient with respect to
    the natural-scale parameters (shape ``(n, k)``). The base applies the pattern weights, the
    chain rule to log space and the penalizer.
``_initial_params(columns, weights) -> ndarray`` (classmethod, optional)
    Starting point on the natural scale. The default returns ``_default_initial_params``.
``_check_data(columns, ids, what)`` (classmethod, optional)
    Model-specific data rules (e.g. ``recency <= T``); raise through
    :func:`customer_models._validation.check_rule`. The base has already checked that the
    required columns exist, are numeric, have no NaN/inf and that the data is not empty.
    :func:`check_frequency_recency` implements the BTYD rules for reuse.
``_fit_mask(columns) -> ndarray | None`` (classmethod, optional)
    Rows used for fitting (e.g. Gamma-Gamma uses repeat buyers only). Default: all rows.
``_derivatives_kernel`` (staticmethod attribute, optional)
    ``f(params, weights, *columns, hessian=False) -> (ll, grad, hess or None)``, the weighted
    totals on the natural scale, to give the optimizer an analytic Hessian (BG/NBD and MBG/NBD
    set it). Without it the totals come from ``_loglik_gradient_kernel`` and the Hessian from
    differences of the gradient. See :mod:`customer_models.valuation._optimize`.
``_optimizer_coordinates() -> Coordinates | None`` (classmethod, optional)
    Coordinates in which the fit's Newton stage steps (Hessian by differences there), for a
    likelihood that is far from quadratic in log space (Pareto/NBD along its low-dropout
    ridge). Default None: log space.

Everything else -- ``fit``, ``from_params``, ``log_likelihood``, ``params_``,
``covariance_``, ``summary_``, ``aic_``, ``bic_``, ``convergence_``, input conversion, wrapping
predictions back on the caller's index, ``save`` -- is provided here. Predictions call
:meth:`ValuationModel._prepare` (validated float arrays + index) and
:meth:`ValuationModel._wrap` (Series on the input's index, or ndarray for array input).
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from customer_models._time import normalize_unit
from customer_models._validation import (
    as_pandas,
    check_finite,
    check_fitted,
    check_not_empty,
    check_number,
    check_numbers,
    check_rule,
    check_str,
    ensure_numeric,
    require_columns,
)
from customer_models.exceptions import (
    ConvergenceWarning,
    DataValidationError,
    ParameterError,
)
from customer_models.valuation._optimize import (
    Coordinates,
    Derivatives,
    dot,
    gradient_derivatives,
    maximize,
)
from customer_models.valuation._patterns import compress_patterns

__all__ = ["ConvergenceReport", "ValuationModel", "check_frequency", "check_frequency_recency"]

#: Box on the log parameters, keeps every kernel finite (about 1e-11 .. 7e10).
_LOG_BOUND = 25.0
#: Parameters outside this range are reported as "at a boundary".
_BOUNDARY_LOW, _BOUNDARY_HIGH = 1e-5, 1e5
#: Gradient (of the mean negative log-likelihood, log space) below which a fit is converged.
_GRADIENT_TOL = 1e-5
_Z95 = 1.959963984540054


@dataclass(frozen=True)
class ConvergenceReport:
    """How the maximum-likelihood fit went.

    Attributes
    ----------
    success : bool
        True when the optimizer converged (gradient numerically zero) and no problem below was
        found.
    n_iterations : int
        Optimizer iterations (L-BFGS-B iterations plus Newton steps).
    gradient_norm : float
        Largest absolute gradient of the mean negative log-likelihood in log-parameter space
        at the solution.
    hessian_positive_definite : bool
        Whether the Hessian at the solution is positive definite (a proper maximum; standard
        errors are available).
    at_boundary : tuple of str
        Parameters that ran towards 0 or infinity (outside 1e-5 .. 1e5).
    moved_from_start : bool
        False when the optimizer stayed at its initial point.
    message : str
        What the optimizer did (L-BFGS-B start, on a sample of customers for large data; Newton
        steps on all patterns; the largest gradient reached), then any problems and what to try.

    Examples
    --------
    >>> from customer_models.valuation import BetaGeoModel
    >>> from customer_models import load_cdnow_summary
    >>> BetaGeoModel().fit(load_cdnow_summary()).convergence_.success
    True
    """

    success: bool
    n_iterations: int
    gradient_norm: float
    hessian_positive_definite: bool
    at_boundary: tuple[str, ...] = ()
    moved_from_start: bool = True
    message: str = ""


def check_frequency(x: np.ndarray, ids: Any, *, what: str = "data") -> None:
    """Check that ``frequency`` (repeat purchases) is a whole number >= 0.

    Examples
    --------
    >>> import numpy as np
    >>> check_frequency(np.array([0.0, 1.5]), ["a", "b"])
    Traceback (most recent call last):
    ...
    customer_models.exceptions.DataValidationError: ... 'frequency must be a whole number'...
    """
    check_rule(
        x < 0,
        ids,
        rule="frequency must be >= 0",
        column="frequency",
        what=what,
        hint="frequency counts repeat purchases (purchases after the first).",
    )
    check_rule(
        x != np.floor(x),
        ids,
        rule="frequency must be a whole number",
        column="frequency",
        what=what,
        hint="frequency counts repeat purchase periods.",
    )


def check_frequency_recency(
    columns: Mapping[str, np.ndarray],
    ids: Any,
    *,
    what: str = "data",
    age_column: str = "T",
) -> None:
    """Check the buy-till-you-die rules on ``frequency``, ``recency`` and the age column.

    Rules: frequency is a whole number >= 0; recency >= 0; recency <= age (``T`` or
    ``n_periods``); recency == 0 when frequency == 0.

    Parameters
    ----------
    columns : mapping of str to numpy.ndarray
        Must hold ``frequency``, ``recency`` and ``age_column`` as float arrays.
    ids : array-like
        Customer ids aligned with the arrays (shown in the error).
    what : str
        Name of the data in messages.
    age_column : str
        ``"T"`` for continuous-time models, ``"n_periods"`` for BG/BB.

    Raises
    ------
    DataValidationError
        Naming the rule, the number of offending rows and the first ids.

    Examples
    --------
    >>> import numpy as np
    >>> cols = {"frequency": np.array([1.0]), "recency": np.array([5.0]), "T": np.array([4.0])}
    >>> check_frequency_recency(cols, ["c1"])
    Traceback (most recent call last):
    ...
    customer_models.exceptions.DataValidationError: data column 'recency': 1 of 1 row ...
    """
    x, t_x, age = columns["frequency"], columns["recency"], columns[age_column]
    check_frequency(x, ids, what=what)
    check_rule(t_x < 0, ids, rule="recency must be >= 0", column="recency", what=what)
    check_rule(age < 0, ids, rule=f"{age_column} must be >= 0", column=age_column, what=what)
    tol = 1e-9 * np.maximum(1.0, np.abs(age))
    check_rule(
        t_x > age + tol,
        ids,
        rule=f"recency <= {age_column}",
        column="recency",
        what=what,
        hint=(
            "recency is the BTYD recency (time from first to last purchase), not the time "
            f"since the last purchase; that one is {age_column} - recency."
        ),
    )
    check_rule(
        (x == 0) & (t_x != 0),
        ids,
        rule="recency == 0 when frequency == 0",
        column="recency",
        what=what,
        hint="a customer without repeat purchases has recency 0.",
    )


def _ids_of(index: pd.Index) -> np.ndarray:
    return np.asarray(index)


class ValuationModel(BaseEstimator):
    """Base class of the buy-till-you-die valuation models (maximum likelihood).

    Subclasses declare their parameters, columns and likelihood kernels (see the module
    docstring); this class fits them by maximum likelihood in log-parameter space (L-BFGS-B
    with the analytic gradient, on a fixed-seed subsample when the data is large, then Newton
    steps on all patterns until the gradient vanishes) and reports standard errors by the
    delta method.

    Parameters
    ----------
    penalizer_coef : float, default 0.0
        L2 penalty on the parameters: the optimizer minimizes
        ``-loglik / n_customers + penalizer_coef * sum(params ** 2)`` (as lifetimes does).
        Helps when a fit runs to a boundary; biases the estimates.
    time_unit : str, optional
        Unit of recency/T and of every ``t`` (e.g. ``"W"``, ``"D"``). Default: the data's
        ``attrs["time_unit"]``.

    Attributes
    ----------
    params_ : pandas.Series
        Fitted parameters, indexed by ``param_names``.
    covariance_ : pandas.DataFrame or None
        Covariance of the estimates (delta method: ``diag(p) H^-1 diag(p)`` with ``H`` the
        Hessian of the negative log-likelihood in log space). None after ``from_params``.
    summary_ : pandas.DataFrame
        ``coef``, ``se``, ``lower``, ``upper`` (95% interval, computed on the log scale so it
        stays positive).
    log_likelihood_ : float
        Total log-likelihood at the estimates (weights applied).
    aic_, bic_ : float
        ``2k - 2 LL`` and ``k log(n) - 2 LL``.
    n_customers_ : float
        Number of customers (sum of weights) used in the fit.
    convergence_ : ConvergenceReport
        Optimizer diagnostics.
    time_unit_ : str or None
        The unit of recency, T and t.

    Examples
    --------
    >>> from customer_models import load_cdnow_summary
    >>> from customer_models.valuation import BetaGeoModel
    >>> model = BetaGeoModel().fit(load_cdnow_summary())
    >>> model.params_.round(3).tolist()
    [0.243, 4.414, 0.793, 2.426]
    """

    param_names: ClassVar[tuple[str, ...]] = ()
    required_columns: ClassVar[tuple[str, ...]] = ()
    _default_initial_params: ClassVar[tuple[float, ...]] = ()
    _derivatives_kernel: ClassVar[Any] = None

    def __init__(self, *, penalizer_coef: float = 0.0, time_unit: str | None = None) -> None:
        self.penalizer_coef = penalizer_coef
        self.time_unit = time_unit

    # ------------------------------------------------------------------ declaration hooks
    @staticmethod
    def _loglik_kernel(params: np.ndarray, *columns: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def _loglik_gradient_kernel(
        params: np.ndarray, *columns: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    @classmethod
    def _initial_params(cls, columns: tuple[np.ndarray, ...], weights: np.ndarray) -> np.ndarray:
        return np.asarray(cls._default_initial_params, dtype=np.float64)

    @classmethod
    def _optimizer_coordinates(cls) -> Coordinates | None:
        """Coordinates for the Newton stage of the fit; None steps in log-parameter space."""
        return None

    @classmethod
    def _loglik_derivatives(cls) -> Derivatives:
        """Weighted log-likelihood totals, gradient and (optionally) Hessian for fitting.

        ``_derivatives_kernel`` when the model declares one, else the sums of
        ``_loglik_gradient_kernel`` with the Hessian left to finite differences.
        """
        if cls._derivatives_kernel is not None:
            return cls._derivatives_kernel
        return gradient_derivatives(cls._loglik_gradient_kernel)

    @classmethod
    def _check_data(cls, columns: Mapping[str, np.ndarray], ids: Any, what: str) -> None:
        """Model-specific data rules (override)."""

    @classmethod
    def _fit_mask(cls, columns: Mapping[str, np.ndarray]) -> np.ndarray | None:
        return None

    # ------------------------------------------------------------------ input handling
    def _prepare(
        self,
        data: Any,
        *,
        what: str = "data",
        columns: tuple[str, ...] | None = None,
        check_unit: bool = True,
    ) -> tuple[dict[str, np.ndarray], pd.Index | None]:
        """Validate ``data`` and return ``({column: float64 array}, index)``.

        ``index`` is None for array input (2-D ndarray with the columns in
        ``required_columns`` order, or a mapping of arrays), which makes :meth:`_wrap` return
        a plain ndarray. With ``check_unit`` (every use but fitting), a DataFrame must be in
        the model's time unit (see :func:`check_time_unit`).
        """
        names = self.required_columns if columns is None else columns
        as_array = False
        if isinstance(data, np.ndarray):
            arr = np.asarray(data)
            if arr.ndim != 2 or arr.shape[1] != len(names):
                raise ParameterError(
                    f"{what} as an array must be 2-D with {len(names)} columns in the order "
                    f"{list(names)}; got shape {arr.shape}."
                )
            frame = pd.DataFrame(arr, columns=list(names))
            as_array = True
        elif isinstance(data, Mapping) and not isinstance(data, pd.DataFrame):
            frame = pd.DataFrame({k: np.asarray(v).ravel() for k, v in data.items()})
            as_array = True
        else:
            frame = as_pandas(data, what=what)
        require_columns(frame, names, what=what)
        check_not_empty(frame, what=what)
        if check_unit and not as_array and self._uses_time(names):
            check_time_unit(self, frame, what=what)
        ids = _ids_of(frame.index)
        out: dict[str, np.ndarray] = {}
        for name in names:
            values = ensure_numeric(frame[name], ids, column=name, what=what)
            check_finite(values, ids, column=name, what=what)
            out[name] = values
        self._check_data(out, ids, what)
        return out, (None if as_array else frame.index)

    @staticmethod
    def _uses_time(columns: tuple[str, ...]) -> bool:
        return any(c in _TIME_COLUMNS for c in columns)

    def _weights(self, data: Any, weights: Any, n: int, ids: Any) -> np.ndarray:
        if weights is None:
            return np.ones(n)
        if isinstance(weights, str):
            frame = as_pandas(data)
            require_columns(frame, [weights], what="data (sample_weight column)")
            w = ensure_numeric(frame[weights], ids, column=weights, what="sample_weight")
        else:
            raw = weights.to_numpy() if isinstance(weights, pd.Series | pd.DataFrame) else weights
            try:
                array = np.asarray(raw)
            except (TypeError, ValueError):
                array = np.asarray([raw], dtype=object)
            if array.dtype.kind not in "iuf":
                raise ParameterError(
                    "sample_weight must be numbers (an array with one weight per row) or the name "
                    f"of a column, got {type(weights).__name__} of dtype {array.dtype}."
                )
            w = array.astype(np.float64).ravel()
            if w.size != n:
                raise ParameterError(
                    f"sample_weight has {w.size} entries but the data has {n} rows."
                )
            check_rule(
                np.isnan(w), ids, rule="sample_weight must not be missing", column="sample_weight"
            )
        check_finite(w, ids, column="sample_weight", what="sample_weight")
        check_rule(
            w < 0,
            ids,
            rule="sample_weight must be >= 0",
            column="sample_weight",
            what="sample_weight",
        )
        if not w.sum() > 0:
            raise DataValidationError(
                "sample_weight sums to 0: at least one row needs a positive weight.",
                column="sample_weight",
                rule="sample_weight must sum to > 0",
            )
        return w

    @staticmethod
    def _wrap(values: np.ndarray, index: pd.Index | None, name: str) -> pd.Series | np.ndarray:
        values = np.asarray(values, dtype=np.float64)
        if index is None:
            return values
        return pd.Series(values, index=index, name=name)

    # ------------------------------------------------------------------ fitted state
    def _require_fitted(self) -> None:
        check_fitted(
            self,
            "params_",
            how=f"call fit(data) or build it with {type(self).__name__}.from_params(...)",
        )

    def _params_array(self) -> np.ndarray:
        self._require_fitted()
        return np.asarray(self.params_.to_numpy(), dtype=np.float64)

    @classmethod
    def _check_params(cls, params: Mapping[str, Any]) -> np.ndarray:
        names = list(cls.param_names)
        missing = [n for n in names if n not in params]
        extra = [n for n in params if n not in names]
        if missing or extra:
            raise ParameterError(
                f"{cls.__name__} takes exactly the parameters {names}; "
                f"missing {missing}, unexpected {extra}."
            )
        low, high = math.exp(-_LOG_BOUND), math.exp(_LOG_BOUND)
        bad = {}
        for n in names:
            value = params[n]
            ok = (
                isinstance(value, numbers.Real)
                and not isinstance(value, (bool, np.bool_))
                and low <= float(value) <= high
            )
            if not ok:
                bad[n] = value
        if bad:
            raise ParameterError(
                f"{cls.__name__} parameters must be numbers in [{low:.3g}, {high:.3g}] (the "
                f"range fit searches, where every prediction is finite); bad: {bad}."
            )
        return np.array([float(params[n]) for n in names])

    @classmethod
    def from_params(cls, *, time_unit: str | None = None, **params: float) -> ValuationModel:
        """Build a ready-to-predict model from known parameter values.

        Parameters
        ----------
        time_unit : str, optional
            Unit of recency/T/t the parameters refer to.
        **params : float
            Every parameter in ``param_names``, each a number in [exp(-25), exp(25)]
            (about 1.4e-11 .. 7.2e10), the box ``fit`` searches and where every prediction is
            finite; strings, None, booleans, NaN and values outside it raise ParameterError.

        Returns
        -------
        ValuationModel
            A model with ``params_`` set; ``covariance_`` is None and the ``se``, ``lower``
            and ``upper`` columns of ``summary_`` are NaN (unknown).

        Examples
        --------
        >>> from customer_models.valuation import BetaGeoModel
        >>> m = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
        >>> m.params_["alpha"], m.time_unit_
        (np.float64(4.414), 'W')
        """
        values = cls._check_params(params)
        check_str(time_unit, "time_unit", allow_none=True)
        model = cls(time_unit=time_unit)
        model._set_result(values, covariance=None, log_likelihood=math.nan, n=math.nan)
        model.time_unit_ = time_unit
        return model

    def _set_result(
        self,
        values: np.ndarray,
        *,
        covariance: np.ndarray | None,
        log_likelihood: float,
        n: float,
    ) -> None:
        names = list(self.param_names)
        self.params_ = pd.Series(values, index=names, name="coef", dtype=np.float64)
        if covariance is None:
            self.covariance_: pd.DataFrame | None = None
            se = np.full(len(names), np.nan)
        else:
            self.covariance_ = pd.DataFrame(covariance, index=names, columns=names)
            with np.errstate(invalid="ignore"):
                se = np.sqrt(np.diag(covariance))
        with np.errstate(invalid="ignore", divide="ignore"):
            half = _Z95 * se / values
        self.summary_ = pd.DataFrame(
            {
                "coef": values,
                "se": se,
                "lower": values * np.exp(-half),
                "upper": values * np.exp(half),
            },
            index=pd.Index(names, name="param"),
        )
        k = len(names)
        self.log_likelihood_ = float(log_likelihood)
        self.n_customers_ = float(n)
        self.aic_ = 2.0 * k - 2.0 * self.log_likelihood_
        self.bic_ = k * math.log(n) - 2.0 * self.log_likelihood_ if n > 0 else math.nan

    # ------------------------------------------------------------------ fitting
    def fit(self, X: Any, y: None = None, *, sample_weight: Any = None) -> ValuationModel:
        """Fit the model by maximum likelihood.

        Parameters
        ----------
        X : pandas.DataFrame
            One row per customer (or per pattern, with ``sample_weight``) holding the
            model's ``required_columns``. Polars and Arrow tables are converted.
        y : None
            Unused (the summary holds everything); there for scikit-learn's ``Pipeline``.
        sample_weight : None, str or array-like
            Per-row counts: a column name of ``X`` or an array. Identical rows are
            compressed into weighted patterns automatically anyway.

        Returns
        -------
        self

        Warns
        -----
        ConvergenceWarning
            When the optimizer failed, did not move from its start, ran a parameter towards 0
            or infinity, or the Hessian is not positive definite; the message says what to try.
        """
        penalizer = check_number(self.penalizer_coef, "penalizer_coef", low=0.0)
        check_str(self.time_unit, "time_unit", allow_none=True)
        columns, index = self._prepare(X, what="data", check_unit=False)
        n_rows = next(iter(columns.values())).size
        ids = np.arange(n_rows) if index is None else _ids_of(index)
        w = self._weights(X, sample_weight, n_rows, ids)
        mask = self._fit_mask(columns)
        arrays = tuple(columns[c] for c in self.required_columns)
        if mask is not None:
            arrays = tuple(a[mask] for a in arrays)
            w = w[mask]
            if not w.sum() > 0:
                raise DataValidationError(
                    f"{type(self).__name__}: no rows left to fit after selecting the rows the "
                    "model uses.",
                    rule="rows to fit",
                    n_rows=0,
                )
        keep = w > 0
        if not keep.all():
            arrays = tuple(a[keep] for a in arrays)
            w = w[keep]
        patterns = compress_patterns(arrays, w)
        cols, pw = patterns.columns, patterns.weights
        n_total = float(pw.sum())

        theta0 = np.log(np.clip(self._initial_params(cols, pw), 1e-8, 1e8))
        result = maximize(
            self._loglik_derivatives(),
            cols,
            pw,
            theta0,
            penalizer=penalizer,
            bound=_LOG_BOUND,
            coordinates=self._optimizer_coordinates(),
        )
        theta, grad, hess = result.theta, result.gradient, result.hessian
        n_iter = result.n_iterations

        params = np.exp(theta)
        ll_total = dot(pw, self._loglik_kernel(params, *cols))
        grad_norm = float(np.max(np.abs(grad)))
        hess_total = hess * n_total
        try:
            np.linalg.cholesky(hess_total)
            pos_def = bool(np.all(np.isfinite(hess_total)))
        except np.linalg.LinAlgError:
            pos_def = False
        covariance: np.ndarray | None
        if pos_def:
            cov_log = np.linalg.inv(hess_total)
            cov_log = 0.5 * (cov_log + cov_log.T)
            covariance = params[:, None] * cov_log * params[None, :]
        else:
            covariance = np.full((len(params), len(params)), np.nan)

        at_boundary = tuple(
            name
            for name, p, th in zip(self.param_names, params, theta, strict=True)
            if p < _BOUNDARY_LOW or p > _BOUNDARY_HIGH or abs(th) > _LOG_BOUND - 1.0
        )
        moved = bool(np.max(np.abs(theta - theta0)) > 1e-6)
        optimizer_ok = result.optimizer_success or grad_norm < _GRADIENT_TOL
        converged = optimizer_ok and grad_norm < _GRADIENT_TOL
        problems: list[str] = []
        if not converged:
            problems.append(f"the optimizer did not converge (largest gradient {grad_norm:.2g})")
        if not moved:
            problems.append("the optimizer did not move from its starting point")
        if at_boundary:
            problems.append(
                "parameter(s) "
                + ", ".join(f"{n}={params[self.param_names.index(n)]:.3g}" for n in at_boundary)
                + " ran towards 0 or infinity"
            )
        if not pos_def:
            problems.append("the Hessian is not positive definite (no standard errors)")
        message = result.message
        if problems:
            message += (
                "; problems: " + "; ".join(problems) + ". Try: express recency/T in a time unit "
                "that makes them roughly 1-100 (e.g. weeks instead of days), set "
                "penalizer_coef (e.g. 0.001), check the data (recency is first-to-last "
                "purchase time, frequency counts repeat purchases), or use a simpler model."
            )
        self._set_result(params, covariance=covariance, log_likelihood=ll_total, n=n_total)
        self.time_unit_ = self.time_unit if self.time_unit is not None else _attrs_time_unit(X)
        self.convergence_ = ConvergenceReport(
            success=not problems,
            n_iterations=n_iter,
            gradient_norm=grad_norm,
            hessian_positive_definite=pos_def,
            at_boundary=at_boundary,
            moved_from_start=moved,
            message=message,
        )
        if problems:
            warnings.warn(f"{type(self).__name__} fit: {message}", ConvergenceWarning, stacklevel=2)
        return self

    # ------------------------------------------------------------------ evaluation
    def log_likelihood(self, X: Any, *, sample_weight: Any = None) -> float:
        """Total log-likelihood of ``X`` under the current parameters.

        Parameters
        ----------
        X : pandas.DataFrame
            Rows with the model's ``required_columns``.
        sample_weight : None, str or array-like
            Per-row counts (a column name or an array).

        Returns
        -------
        float

        Examples
        --------
        >>> from customer_models import load_cdnow_summary
        >>> from customer_models.valuation import BetaGeoModel
        >>> m = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> round(m.log_likelihood(load_cdnow_summary()), 1)
        -9582.4
        """
        params = self._params_array()
        columns, index = self._prepare(X)
        n_rows = next(iter(columns.values())).size
        ids = np.arange(n_rows) if index is None else _ids_of(index)
        w = self._weights(X, sample_weight, n_rows, ids)
        mask = self._fit_mask(columns)
        arrays = tuple(columns[c] for c in self.required_columns)
        if mask is not None:
            arrays = tuple(a[mask] for a in arrays)
            w = w[mask]
        patterns = compress_patterns(arrays, w)
        return dot(patterns.weights, self._loglik_kernel(params, *patterns.columns))

    def save(self, path: Any) -> None:
        """Save the fitted model to a small versioned JSON file (no pickle).

        Parameters
        ----------
        path : str or os.PathLike
            Destination file.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from customer_models.valuation import BetaGeoModel, load_model
        >>> m = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> with tempfile.TemporaryDirectory() as d:
        ...     m.save(pathlib.Path(d) / "bgnbd.json")
        ...     load_model(pathlib.Path(d) / "bgnbd.json").params_["b"]
        np.float64(2.426)
        """
        from customer_models.valuation._io import save_model

        save_model(self, path)


_TIME_COLUMNS = frozenset({"recency", "T", "n_periods", "duration"})


def check_time_unit(model: Any, frame: pd.DataFrame, *, what: str = "data") -> None:
    """Refuse a summary whose time unit differs from the model's, or cannot be known.

    The unit travels in ``frame.attrs["time_unit"]`` (set by :func:`~customer_models.rfm_summary`,
    kept by column subsets, ``assign``, ``concat`` and Parquet, dropped by ``join``, ``merge``
    and CSV). A model that knows its unit (``time_unit_``) scores only frames that say the
    same unit, so a weekly model never rescores a daily summary silently.

    Raises
    ------
    ParameterError
        The units differ, or the frame has no unit while the model has one.
    """
    model_unit = getattr(model, "time_unit_", None)
    if model_unit is None:
        return
    data_unit = _attrs_time_unit(frame)
    name = type(model).__name__
    if data_unit is None:
        raise ParameterError(
            f"{what} does not say its time unit, and {name} was fitted with recency/T in "
            f"{model_unit!r}: pandas drops DataFrame.attrs in join, merge and CSV, so the unit "
            f"of this frame cannot be known. If it is in {model_unit!r}, say so: "
            f"cm.with_time_unit(frame, {model_unit!r}) (column subsets, assign, concat and "
            "Parquet keep the unit)."
        )
    if _canonical_unit(data_unit) != _canonical_unit(model_unit):
        raise ParameterError(
            f"{what} has recency/T in {data_unit!r} but {name} was fitted in {model_unit!r}: "
            f"scoring it would use the wrong clock. Build the summary with "
            f"time_unit={model_unit!r} (rfm_summary(..., time_unit={model_unit!r})), or refit "
            f"the model on this summary."
        )


def _canonical_unit(unit: str) -> str:
    """Canonical spelling of a calendar unit; other names (BG/BB's "period") as they are."""
    try:
        return normalize_unit(unit, "time_unit")
    except ParameterError:
        return str(unit)


def _attrs_time_unit(data: Any) -> str | None:
    attrs = getattr(data, "attrs", None)
    if isinstance(attrs, Mapping):
        unit = attrs.get("time_unit")
        return None if unit is None else str(unit)
    return None


def _check_horizon(t: Any, name: str = "t") -> np.ndarray:
    """Return ``t`` as a float array, raising :class:`ParameterError` unless finite and >= 0."""
    return check_numbers(t, name, low=0.0)


def _check_count(n: Any, name: str = "n") -> np.ndarray:
    """Return ``n`` as a float array of whole numbers >= 0, else raise :class:`ParameterError`."""
    return check_numbers(n, name, low=0.0, integer=True)


class PurchaseModel(ValuationModel):
    """Base of the continuous-time purchase models on ``frequency``, ``recency``, ``T``.

    Subclasses set the prediction kernels as staticmethods: ``_alive_kernel(params, x, t_x,
    T)``, ``_expected_kernel(params, x, t_x, T, t)``, ``_pmf_kernel(params, n, x, t_x, T, t)``
    (or None) and ``_new_customer_kernel(params, t)``; this class validates the data and wraps
    the results.

    Examples
    --------
    >>> from customer_models.valuation import BetaGeoModel
    >>> issubclass(BetaGeoModel, PurchaseModel)
    True
    """

    required_columns: ClassVar[tuple[str, ...]] = ("frequency", "recency", "T")
    _alive_kernel: ClassVar[Any] = None
    _expected_kernel: ClassVar[Any] = None
    _pmf_kernel: ClassVar[Any] = None
    _new_customer_kernel: ClassVar[Any] = None

    @classmethod
    def _check_data(cls, columns: Mapping[str, np.ndarray], ids: Any, what: str) -> None:
        check_frequency_recency(columns, ids, what=what, age_column="T")

    @classmethod
    def _initial_params(cls, columns: tuple[np.ndarray, ...], weights: np.ndarray) -> np.ndarray:
        x, _, T = columns
        w = weights / weights.sum()
        mean_x = max(dot(w, x), 0.1)
        mean_T = max(dot(w, T), 1e-3)
        init = np.asarray(cls._default_initial_params, dtype=np.float64).copy()
        init[1] = init[0] * mean_T / mean_x  # rate scale: r / alpha ~ purchases per unit time
        return init

    def _columns_xtt(self, data: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.Index | None]:
        self._require_fitted()
        cols, index = self._prepare(data)
        return cols["frequency"], cols["recency"], cols["T"], index

    def probability_alive(self, data: Any) -> pd.Series | np.ndarray:
        """Probability that each customer is still active at the end of observation (T).

        Parameters
        ----------
        data : pandas.DataFrame
            Columns ``frequency``, ``recency``, ``T``.

        Returns
        -------
        pandas.Series
            Named ``"probability_alive"``, on ``data``'s index, in [0, 1] (ndarray for array
            input).

        Examples
        --------
        >>> from customer_models import load_cdnow_summary
        >>> from customer_models.valuation import BetaGeoModel
        >>> m = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> m.probability_alive(load_cdnow_summary().head(2)).round(3).tolist()
        [0.727, 0.212]
        """
        x, t_x, T, index = self._columns_xtt(data)
        p = type(self)._alive_kernel(self._params_array(), x, t_x, T)
        return self._wrap(p, index, "probability_alive")

    def expected_purchases(self, data: Any, *, t: Any) -> pd.Series | np.ndarray:
        """Return the expected number of purchases in the next ``t`` time units, given history.

        ``E[X(T, T + t) | frequency, recency, T]``, with ``t`` in ``time_unit_``.

        Parameters
        ----------
        data : pandas.DataFrame
            Columns ``frequency``, ``recency``, ``T``.
        t : float or array-like
            Horizon(s) >= 0, broadcast against the rows.

        Returns
        -------
        pandas.Series
            Named ``"expected_purchases"``, on ``data``'s index (ndarray for array input).

        Examples
        --------
        >>> import pandas as pd
        >>> from customer_models.valuation import BetaGeoModel
        >>> m = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> one = pd.DataFrame({"frequency": [2], "recency": [30.43], "T": [38.86]})
        >>> round(float(m.expected_purchases(one, t=39).iloc[0]), 3)
        1.226
        """
        horizon = _check_horizon(t)
        x, t_x, T, index = self._columns_xtt(data)
        e = type(self)._expected_kernel(self._params_array(), x, t_x, T, horizon)
        return self._wrap(
            np.broadcast_to(e, x.shape).copy() if e.ndim < 1 else e, index, "expected_purchases"
        )

    def probability_of_purchases(self, data: Any, *, n: Any, t: Any) -> pd.Series | np.ndarray:
        """Probability of exactly ``n`` purchases in the next ``t`` time units, given history.

        ``P(X(T, T + t) = n | frequency, recency, T)``.

        Parameters
        ----------
        data : pandas.DataFrame
            Columns ``frequency``, ``recency``, ``T``.
        n : int or array-like of int
            Number of purchases (>= 0).
        t : float or array-like
            Horizon(s) >= 0.

        Returns
        -------
        pandas.Series
            Named ``"probability_of_purchases"`` on ``data``'s index.

        Examples
        --------
        >>> import pandas as pd
        >>> from customer_models.valuation import BetaGeoModel
        >>> m = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> one = pd.DataFrame({"frequency": [2], "recency": [30.43], "T": [38.86]})
        >>> p = [float(m.probability_of_purchases(one, n=k, t=39).iloc[0]) for k in range(60)]
        >>> round(sum(p), 6)
        1.0
        """
        kernel = type(self)._pmf_kernel
        if kernel is None:
            raise ParameterError(
                f"{type(self).__name__} does not provide probability_of_purchases."
            )
        counts = _check_count(n)
        horizon = _check_horizon(t)
        x, t_x, T, index = self._columns_xtt(data)
        p = kernel(self._params_array(), counts, x, t_x, T, horizon)
        return self._wrap(
            np.broadcast_to(p, x.shape).copy() if p.ndim < 1 else p,
            index,
            "probability_of_purchases",
        )

    def expected_purchases_new_customer(self, *, t: Any) -> float | np.ndarray:
        """Return the expected repeat purchases of a new customer in its first ``t`` time units.

        Parameters
        ----------
        t : float or array-like
            Horizon(s) >= 0 in ``time_unit_``.

        Returns
        -------
        float or numpy.ndarray
            A float for scalar ``t``, else an array of the shape of ``t``.

        Examples
        --------
        >>> from customer_models.valuation import BetaGeoModel
        >>> m = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> float(m.expected_purchases_new_customer(t=0))
        0.0
        """
        self._require_fitted()
        horizon = _check_horizon(t)
        e = np.asarray(type(self)._new_customer_kernel(self._params_array(), horizon))
        return float(e) if e.ndim == 0 else e
