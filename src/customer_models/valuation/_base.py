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
    the distinct patterns, not every customer, passed in blocks of rows: see ``blocked_total``).
``_loglik_gradient_kernel(params, *columns) -> (ndarray, ndarray)`` (staticmethod)
    The per-row log-likelihood (shape ``(n,)``) and its **analytic** gradient with respect to
    the natural-scale parameters (shape ``(n, k)``). The base applies the pattern weights, the
    chain rule to log space and the penalizer.

A model declares at least one of the two likelihood kernels; the other is derived when the
class is created (see :mod:`customer_models.valuation._derivatives`):

- only ``_loglik_gradient_kernel``: ``_loglik_kernel`` is its first output;
- only ``_loglik_kernel``: the gradient comes from central differences per row in log
  space, and the fit's Hessian (so the standard errors) from second differences. A first
  version of a model is thus one log-likelihood plus the class; an analytic gradient makes
  it faster.

A subclass that declares a new log-likelihood gets a new derived gradient; one that inherits
a *declared* gradient must declare its own.

Kernels are declared one per line (``_alive_kernel = kernel(probability_alive_kernel)``) or
all at once by the class keyword ``kernels=``, the modules (or ``globals()``) whose
functions carry the house names of :data:`~customer_models.valuation._kernels.KERNEL_NAMES`;
``kernel_options=`` binds keywords to each of them (``{"modified": True}``).

Optional declarations:

``_initial_params(columns, weights) -> ndarray`` (classmethod)
    Starting point on the natural scale. The default returns ``_default_initial_params``.
``_check_data(columns, ids, what)`` (classmethod)
    Model-specific data rules (e.g. ``recency <= T``); raise through
    :func:`customer_models._validation.check_rule`. The base has already checked that the
    required columns exist, are numeric, have no NaN/inf and that the data is not empty.
    :func:`~customer_models.valuation._checks.check_frequency_recency` implements the BTYD
    rules for reuse.
``_fit_mask(columns) -> ndarray | None`` (classmethod)
    Rows used for fitting (e.g. Gamma-Gamma uses repeat buyers only). Default: all rows.
``_fit_columns``, ``_row_totals``, ``_maximize``, ``_fit_warnings``
    What a model's ``fit`` does differently (BG/CNBD-k's profile over ``k``, Gamma-Gamma's
    ``q <= 1`` warning); see :mod:`customer_models.valuation._fit_orchestration`.
``_derivatives_kernel`` (staticmethod attribute)
    ``f(params, weights, *columns, hessian=False) -> (ll, grad, hess or None)``, the weighted
    totals on the natural scale, to give the optimizer an analytic Hessian (BG/NBD and MBG/NBD
    set it). Without it the totals come from ``_loglik_gradient_kernel`` and the Hessian from
    differences of the gradient. See :mod:`customer_models.valuation._optimize`.
``_penalty_scale_columns`` : mapping (class attribute)
    Parameters measured in the unit of a data column, e.g. ``{"alpha": "T"}``: the penalty
    divides them by that column's largest value over the rows fitted, so ``penalizer_coef``
    acts on unit-free numbers (see :func:`~customer_models.valuation._fit_objective.penalty_scale`).
    Default: none (every parameter is unit-free).
``_optimizer_coordinates() -> Coordinates | None`` (classmethod)
    Coordinates in which the fit's Newton stage steps (Hessian by differences there), for a
    likelihood that is far from quadratic in log space (Pareto/NBD along its low-dropout
    ridge). Default None: log space.

Each concrete class registers itself by name when it is created (``load_model`` finds it
there, see :mod:`customer_models.valuation._registry`): the classes of this package always,
a class defined elsewhere when its statement says ``register=True``.

Family bases derive their own hooks the same way (``_derive_hooks``): e.g.
:class:`~customer_models.valuation.PurchaseModel` derives the new-customer expectation from
the conditional one.

Everything else -- ``fit``, ``from_params``, ``log_likelihood``, ``params_``,
``covariance_``, ``summary_``, ``aic_``, ``bic_``, ``convergence_``, input conversion, wrapping
predictions back on the caller's index, ``save`` -- is provided here. Predictions call
:meth:`ValuationModel._prepare` (validated float arrays + index) and
:meth:`ValuationModel._wrap` (Series on the input's index, or ndarray for array input); the
row handling itself is in :mod:`customer_models.valuation._fit_rows`, the steps of ``fit`` in
:mod:`customer_models.valuation._fit_orchestration` and the fitted state in
:mod:`customer_models.valuation._fit_result`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from customer_models._progress import check_progress
from customer_models._validation import (
    check_not_empty,
    check_number,
    check_str,
    require_columns,
)
from customer_models.exceptions import ConvergenceWarning
from customer_models.valuation._checks import attrs_time_unit, check_time_unit
from customer_models.valuation._derivatives import Derivatives, blocked_total, complete_likelihood
from customer_models.valuation._fit_orchestration import FitHooks, fit_data, loglik_derivatives
from customer_models.valuation._fit_result import (
    check_param_values,
    estimate_tables,
    information_criteria,
    require_fitted,
)
from customer_models.valuation._fit_rows import (
    as_frame,
    numeric_columns,
    row_ids,
    sample_weights,
    uses_time,
    weighted_patterns,
    wrap,
)
from customer_models.valuation._io import save_model
from customer_models.valuation._kernels import declare_kernels
from customer_models.valuation._optimize import Coordinates
from customer_models.valuation._patterns import Patterns
from customer_models.valuation._registry import register as register_class

if TYPE_CHECKING:
    import os

    from numpy.typing import ArrayLike

    from customer_models._progress import ProgressLike


__all__ = ["ValuationModel"]

_V = TypeVar("_V", bound="ValuationModel")


class ValuationModel(FitHooks, BaseEstimator):
    """Base class of the buy-till-you-die valuation models (maximum likelihood).

    Subclasses declare their parameters, columns and likelihood kernels (see the module
    docstring); this class fits them by maximum likelihood in log-parameter space (L-BFGS-B
    with the analytic gradient, on a fixed-seed subsample when the data is large, then Newton
    steps on all patterns until the gradient vanishes) and reports standard errors by the
    delta method.

    Parameters
    ----------
    penalizer_coef : float, default 0.0
        L2 penalty on the unit-free parameters: the optimizer minimizes
        ``-loglik / n_customers + penalizer_coef * sum((params / scale) ** 2)``, where
        ``scale`` is 1 for a unit-free parameter and the largest value in the data of the
        column a parameter is measured in otherwise (the longest customer age ``max T`` for
        BG/NBD's ``alpha``, as lifetimes rescales time before it penalizes), so the same data
        in days, weeks or months gives the same predictions. Helps when a fit runs to a
        boundary; biases the estimates.
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
    #: Per-row log-likelihood ``(params, *columns) -> (n,)``; None: derived or undeclared.
    _loglik_kernel: ClassVar[Any] = None
    #: Per-row ``(params, *columns) -> (ll (n,), gradient (n, k))``; None: derived/undeclared.
    _loglik_gradient_kernel: ClassVar[Any] = None
    _derivatives_kernel: ClassVar[Any] = None
    #: ``{parameter: column}`` for parameters measured in a column's unit (penalty scale).
    _penalty_scale_columns: ClassVar[Mapping[str, str]] = {}

    def __init_subclass__(
        cls,
        *,
        register: bool | None = None,
        kernels: Iterable[ModuleType | Mapping[str, Any]] = (),
        kernel_options: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        declare_kernels(cls, kernels, kernel_options)  # before the derived hooks
        cls._derive_hooks()
        register_class(cls, requested=register)  # load_model finds the class by name

    def __init__(self, *, penalizer_coef: float = 0.0, time_unit: str | None = None) -> None:
        self.penalizer_coef = penalizer_coef
        self.time_unit = time_unit

    # ------------------------------------------------------------------ declaration hooks
    @classmethod
    def _derive_hooks(cls) -> None:
        """Fill the hooks an identity gives from the declared ones (at class creation).

        Family bases extend this (call ``super()._derive_hooks()`` first).
        """
        loglik, gradient = complete_likelihood(cls._loglik_kernel, cls._loglik_gradient_kernel)
        cls._loglik_kernel = None if loglik is None else staticmethod(loglik)
        cls._loglik_gradient_kernel = None if gradient is None else staticmethod(gradient)

    @classmethod
    def _initial_params(cls, columns: tuple[np.ndarray, ...], weights: np.ndarray) -> np.ndarray:
        return np.asarray(cls._default_initial_params, dtype=np.float64)

    @classmethod
    def _optimizer_coordinates(cls) -> Coordinates | None:
        """Coordinates for the Newton stage of the fit; None steps in log-parameter space."""
        return None

    @classmethod
    def _loglik_derivatives(cls) -> Derivatives:
        """Weighted log-likelihood totals, gradient and Hessian (see `loglik_derivatives`)."""
        return loglik_derivatives(cls)

    @classmethod
    def _check_data(cls, columns: Mapping[str, np.ndarray], ids: Any, what: str) -> None:
        """Model-specific data rules (override)."""

    @classmethod
    def _fit_mask(cls, columns: Mapping[str, np.ndarray]) -> np.ndarray | None:
        return None

    @classmethod
    def _check_columns(cls, present: pd.Index, needed: tuple[str, ...]) -> None:
        """Model-specific advice on missing columns, before the generic check (override)."""

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
        frame, from_arrays = as_frame(data, names, what)
        self._check_columns(frame.columns, names)
        require_columns(frame, names, what=what)
        check_not_empty(frame, what=what)
        if check_unit and not from_arrays and uses_time(names):
            check_time_unit(self, frame, what=what)
        out, ids = numeric_columns(frame, names, what)
        self._check_data(out, ids, what)
        return out, (None if from_arrays else frame.index)

    def _weights(self, data: Any, weights: Any, n: int, ids: Any) -> np.ndarray:
        return sample_weights(data, weights, n, ids)

    @staticmethod
    def _wrap(values: np.ndarray, index: pd.Index | None, name: str) -> pd.Series | np.ndarray:
        return wrap(values, index, name)

    def _weighted_rows(
        self, X: Any, sample_weight: Any, names: tuple[str, ...], *, check_unit: bool
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Validate the columns ``names`` of ``X``; return them and the per-row weights."""
        columns, index = self._prepare(X, what="data", columns=names, check_unit=check_unit)
        n_rows = next(iter(columns.values())).size
        return columns, self._weights(X, sample_weight, n_rows, row_ids(index, n_rows))

    def _patterns(self, X: Any, sample_weight: Any, *, check_unit: bool) -> Patterns:
        """Validate ``X``; return the rows the likelihood uses as weighted distinct patterns."""
        names = self.required_columns
        columns, w = self._weighted_rows(X, sample_weight, names, check_unit=check_unit)
        arrays = tuple(columns[c] for c in names)
        return weighted_patterns(arrays, w, self._fit_mask(columns))

    # ------------------------------------------------------------------ fitted state
    def _require_fitted(self) -> None:
        require_fitted(self)

    def _params_array(self) -> np.ndarray:
        self._require_fitted()
        return np.asarray(self.params_.to_numpy(), dtype=np.float64)

    @classmethod
    def _check_params(cls, params: Mapping[str, Any]) -> np.ndarray:
        return check_param_values(cls.__name__, cls.param_names, params)

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
        """Store estimates and their fit statistics (after a fit, ``from_params`` or a load).

        The tables come from `_estimate_tables` and the parameter count of AIC and BIC from
        `_n_free_params`: the hooks a model with more (or fixed) parameters overrides.
        """
        self.params_, self.covariance_, self.summary_ = self._estimate_tables(values, covariance)
        self.log_likelihood_ = float(log_likelihood)
        self.n_customers_ = float(n)
        self.aic_, self.bic_ = information_criteria(
            self._n_free_params(), self.log_likelihood_, self.n_customers_
        )

    def _estimate_tables(
        self, values: np.ndarray, covariance: np.ndarray | None
    ) -> tuple[pd.Series, pd.DataFrame | None, pd.DataFrame]:
        """``(params_, covariance_, summary_)`` of the estimates ``values`` (``param_names``)."""
        return estimate_tables(self.param_names, values, covariance)

    def _n_free_params(self) -> int:
        """Return the number of estimated parameters, ``k`` of AIC and BIC."""
        return len(self.param_names)

    # ------------------------------------------------------------------ fitting
    def fit(
        self: _V,
        X: Any,
        y: None = None,
        *,
        sample_weight: str | ArrayLike | None = None,
        progress: ProgressLike = None,
    ) -> _V:
        """Fit the model by maximum likelihood.

        Rows the model cannot use (e.g. Gamma-Gamma's customers without valid spend) and rows
        of weight 0 are left out; ``n_customers_`` counts the rows used. A model's class
        docstring says what else its fit does (e.g. BG/CNBD-k chooses ``k`` by profiling).

        Parameters
        ----------
        X : pandas.DataFrame
            One row per customer (or per pattern, with ``sample_weight``) holding the
            model's ``required_columns`` (for BG/CNBD-k, ``log_interpurchase_sum`` too unless
            ``k = 1``). Polars and Arrow tables are converted.
        y : None
            Unused (the summary holds everything); there for scikit-learn's ``Pipeline``.
        sample_weight : None, str or array-like
            Per-row counts: a column name of ``X`` or an array. Identical rows are
            compressed into weighted patterns automatically anyway.
        progress : bool, tqdm-compatible class or callable, optional
            Report the fit's steps as they happen: ``True`` for a tqdm bar, a tqdm-compatible
            class, or a callable ``progress(done, total, desc)``. The steps are the
            optimizer's iterations (L-BFGS-B iterations and Newton steps), with ``total``
            None (the count is not known in advance); BG/CNBD-k: one step per ``k`` profiled,
            with ``total`` the most values the profile may try. Silent by default; the fit is
            the same either way.

        Returns
        -------
        self

        Warns
        -----
        ConvergenceWarning
            When the optimizer failed, did not move from its start, ran a parameter towards 0
            or infinity, or the Hessian is not positive definite (BG/CNBD-k: the fit at the
            chosen ``k``); the message says what to try. Also when the estimates make a
            model quantity undefined: Gamma-Gamma's ``q <= 1`` (infinite population mean).
        """
        penalizer = check_number(self.penalizer_coef, "penalizer_coef", low=0.0)
        check_str(self.time_unit, "time_unit", allow_none=True)
        check_progress(progress)
        data = fit_data(self, X, sample_weight)
        outcome = self._maximize(data, penalizer, progress)
        params, covariance, ll = outcome.params, outcome.covariance, outcome.log_likelihood
        self._set_result(params, covariance=covariance, log_likelihood=ll, n=data.n)
        self.time_unit_ = self.time_unit if self.time_unit is not None else attrs_time_unit(X)
        self.convergence_ = report = outcome.report
        problems = [] if report.success else [f"{outcome.warning_prefix}: {report.message}"]
        for message in [*problems, *self._fit_warnings()]:
            warnings.warn(message, ConvergenceWarning, stacklevel=2)
        return self

    # ------------------------------------------------------------------ evaluation
    def log_likelihood(self, X: Any, *, sample_weight: str | ArrayLike | None = None) -> float:
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
        self._loglik_derivatives()  # a clear error when the model declares no likelihood
        patterns = self._patterns(X, sample_weight, check_unit=True)
        return blocked_total(self._loglik_kernel, params, patterns.weights, patterns.columns)

    def save(self, path: str | os.PathLike[str]) -> None:
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
        save_model(self, path)
