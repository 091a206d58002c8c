"""What every covariate model shares: coefficient names, fitting through the links, results.

A covariate model is a valuation model whose parameters act per customer through
:class:`~customer_models.valuation._covariates.Link` objects. :class:`CovariateMixin` (left
of the model's family base) gives it:

- ``params_`` holding the model's own parameters (the values at ``z = 0``) followed by the
  coefficients ``"<prefix>:<column>"`` on the original covariate scale, ``covariance_`` of
  all of them (delta method for the positive parameters), ``summary_`` with ``coef``, ``se``,
  ``lower``, ``upper`` (95%; log scale for the positive parameters), ``z`` and ``p_value``;
- ``likelihood_ratio_test_``: the fit against the same model without covariates;
- ``from_params`` taking coefficient names (the covariate columns are read off them), JSON
  ``save``/``load_model`` with the covariate names, and per-row parameters for predictions.

Work-arounds of base hooks (the ideal hooks are listed in the session report): the base's
``_set_result`` and ``_check_params`` take the parameter names from the class, so the mixin
overrides both; ``save_model`` keeps only scalar constructor arguments, so ``save`` adds the
covariate lists to the file afterwards.
"""

from __future__ import annotations

import json
import math
import os
import warnings
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import stats

from customer_models._progress import check_progress
from customer_models._validation import check_str
from customer_models.exceptions import (
    ConvergenceWarning,
    DataValidationError,
    ModelFileError,
    ParameterError,
)
from customer_models.valuation._checks import attrs_time_unit, check_count, check_horizon
from customer_models.valuation._convergence import ConvergenceReport
from customer_models.valuation._covariate_fit import (
    GradientKernel,
    LinkLayout,
    LoglikKernel,
    RowsKernel,
    covariance_original,
    fit_links,
    unknowns_start,
)
from customer_models.valuation._covariates import (
    Link,
    check_covariate_names,
    check_penalizer,
    covariate_matrix,
    few_levels,
    standardize,
)
from customer_models.valuation._fit_result import LOG_BOUND, information_criteria
from customer_models.valuation._fit_rows import as_frame, row_ids
from customer_models.valuation._io import save_model
from customer_models.valuation._patterns import compress_patterns

__all__ = ["CovariateMixin", "PurchaseCovariateMixin", "likelihood_ratio"]

_Z95 = 1.959963984540054


def likelihood_ratio(ll_full: float, ll_null: float, df: int) -> pd.Series:
    """Likelihood-ratio test of the covariates: ``2 (LL - LL_0)`` against chi-squared(df).

    Examples
    --------
    >>> likelihood_ratio(-100.0, -104.0, 2).round(4).tolist()
    [8.0, 2.0, 0.0183, -100.0, -104.0]
    """
    statistic = max(2.0 * (ll_full - ll_null), 0.0)
    p_value = float(stats.chi2.sf(statistic, df)) if df > 0 else math.nan
    return pd.Series(
        {
            "statistic": statistic,
            "df": float(df),
            "p_value": p_value,
            "log_likelihood": ll_full,
            "null_log_likelihood": ll_null,
        },
        name="likelihood_ratio_test",
    )


class CovariateMixin:
    """Shared machinery of the covariate models (see the module docstring)."""

    param_names: ClassVar[tuple[str, ...]]
    time_unit: str | None  # a constructor parameter of every covariate model
    required_columns: ClassVar[tuple[str, ...]]
    #: ``{prefix: (constructor argument, process)}`` of the coefficient vectors.
    _link_prefixes: ClassVar[dict[str, str]] = {}

    # ------------------------------------------------------------------ to be declared
    def _links(self) -> list[Link]:  # pragma: no cover - declared by each model
        raise NotImplementedError

    @classmethod
    def _init_from_names(cls, names: list[str]) -> dict[str, Any]:  # pragma: no cover
        """Return the constructor arguments that give the coefficient ``names``."""
        raise NotImplementedError

    # ------------------------------------------------------------------ names and values
    def _coefficient_names(self) -> list[str]:
        return [n for link in self._links() for n in link.names]

    def _all_names(self) -> list[str]:
        return [*self.param_names, *self._coefficient_names()]

    def _covariate_columns(self) -> list[str]:
        """Distinct covariate columns of all links, in first-use order."""
        seen: dict[str, None] = {}
        for link in self._links():
            seen.update(dict.fromkeys(link.columns))
        return list(seen)

    @classmethod
    def _split_names(cls, params: Any) -> tuple[list[str], list[str]]:
        names = [str(n) for n in params]
        coefs = [n for n in names if n not in cls.param_names]
        bad = [n for n in coefs if n.split(":", 1)[0] not in cls._link_prefixes or ":" not in n]
        missing = [n for n in cls.param_names if n not in names]
        if bad or missing:
            raise ParameterError(
                f"{cls.__name__} takes the parameters {list(cls.param_names)} and coefficients "
                f"named '<prefix>:<column>' with prefix in {sorted(cls._link_prefixes)}; "
                f"missing {missing}, not understood {bad[:5]}."
            )
        return list(cls.param_names), coefs

    @classmethod
    def _check_params(cls, params: Any) -> np.ndarray:
        """Values in the model's order: its parameters (positive, in the box), coefficients."""
        base, coefs = cls._split_names(params)
        values = []
        low, high = math.exp(-LOG_BOUND), math.exp(LOG_BOUND)
        for n in base + coefs:
            v = params[n]
            if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)):
                raise ParameterError(f"{cls.__name__}: parameter {n} must be a number, got {v!r}.")
            v = float(v)
            ok = low <= v <= high if n in base else abs(v) <= LOG_BOUND
            if not ok:
                rule = (
                    f"in [{low:.3g}, {high:.3g}]"
                    if n in base
                    else f"in [-{LOG_BOUND:g}, {LOG_BOUND:g}]"
                )
                raise ParameterError(f"{cls.__name__}: parameter {n} must be {rule}, got {v}.")
            values.append(v)
        return np.array(values)

    @classmethod
    def from_params(cls, *, time_unit: str | None = None, **params: float) -> Any:
        """Build a ready-to-predict model from known parameters and coefficients.

        The covariate columns are read off the coefficient names (``"gamma:age"`` makes
        ``age`` a purchase covariate); see the class docstring for the prefixes.
        """
        values = cls._check_params(params)
        _, coefs = cls._split_names(params)
        model = cls(time_unit=time_unit, **cls._init_from_names(coefs))  # type: ignore[call-arg]
        if model._coefficient_names() != coefs:
            order = model._coefficient_names()
            values = np.concatenate(
                [values[: len(cls.param_names)], [float(params[n]) for n in order]]
            )
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
        names = self._all_names()
        if len(names) != values.size:
            raise ParameterError(
                f"{type(self).__name__}: {values.size} values for the {len(names)} parameters "
                f"{names}."
            )
        index = pd.Index(names, name="param")
        self.params_ = pd.Series(values, index=index, name="coef")
        k = len(self.param_names)
        cov = None if covariance is None else np.asarray(covariance, dtype=np.float64)
        self.covariance_ = None if cov is None else pd.DataFrame(cov, index=index, columns=index)
        se = np.full(values.size, np.nan) if cov is None else np.sqrt(np.maximum(np.diag(cov), 0))
        if cov is not None:
            se[~np.isfinite(np.diag(cov))] = np.nan
        lower, upper = values - _Z95 * se, values + _Z95 * se
        # positive parameters: the interval on the log scale (delta method), so it stays > 0
        log_se = se[:k] / values[:k]
        lower[:k] = values[:k] * np.exp(-_Z95 * log_se)
        upper[:k] = values[:k] * np.exp(_Z95 * log_se)
        z = np.full(values.size, np.nan)
        z[k:] = values[k:] / se[k:]
        p_value = 2.0 * stats.norm.sf(np.abs(z))
        self.summary_ = pd.DataFrame(
            {"coef": values, "se": se, "lower": lower, "upper": upper, "z": z, "p_value": p_value},
            index=index,
        )
        self.log_likelihood_ = float(log_likelihood)
        self.n_customers_ = float(n)
        self.aic_, self.bic_ = information_criteria(
            values.size, self.log_likelihood_, self.n_customers_
        )

    #: Declared by the models that use the shared :meth:`fit`: the processes of
    #: ``penalizer``, the per-row kernels of the fit (natural-scale derivatives and the
    #: log-likelihood of the line search), a gradient kernel for chord steps at scale
    #: (optional) and whether the fit uses only the rows of the model's ``_fit_mask``.
    _processes: ClassVar[tuple[str, ...]] = ()
    _rows_hessian_kernel: ClassVar[Any] = None
    _rows_loglik_kernel: ClassVar[Any] = None
    _chord_gradient_kernel: ClassVar[Any] = None
    _masked_fit: ClassVar[bool] = False

    def _null_model(self) -> Any:  # pragma: no cover - declared by each model
        """Return the same model without covariates, unfitted (the start and the LR null)."""
        raise NotImplementedError

    def fit(
        self, X: Any, y: None = None, *, sample_weight: Any = None, progress: Any = None
    ) -> Any:
        """Fit by maximum likelihood (Newton's method on the chain-rule Hessian).

        Parameters
        ----------
        X : pandas.DataFrame
            One row per customer with the model's columns (``required_columns``) and the
            covariate columns.
        y : None
            Unused.
        sample_weight : None, str or array-like
            Per-row counts (a column name or an array).
        progress : bool, tqdm-compatible class or callable, optional
            Validated as in :meth:`ValuationModel.fit`; the covariate fit (a few Newton
            steps) reports nothing yet.

        Returns
        -------
        self
        """
        cls = type(self)
        return self._fit_through_links(
            X,
            sample_weight,
            progress,
            processes=cls._processes,
            null_model=self._null_model(),
            rows_kernel=cls._rows_hessian_kernel,
            loglik_kernel=cls._rows_loglik_kernel,
            fit_mask=self._fit_mask if cls._masked_fit else None,  # type: ignore[attr-defined]
            gradient_kernel=cls._chord_gradient_kernel,
        )

    def _fit_through_links(
        self,
        X: Any,
        sample_weight: Any,
        progress: Any,
        *,
        processes: tuple[str, ...],
        null_model: Any,
        rows_kernel: RowsKernel,
        loglik_kernel: LoglikKernel,
        fit_mask: Callable[[Mapping[str, np.ndarray]], np.ndarray | None] | None = None,
        gradient_kernel: GradientKernel | None = None,
    ) -> Any:
        """Fit as every covariate model does: data, null fit, links, Newton, result.

        Reads ``required_columns`` and the covariate columns of ``X``, fits ``null_model``
        (the same model without covariates, unfitted) on the same customers and weights,
        keeps the rows with positive weight (and ``fit_mask``, e.g. valid spend), compresses
        on the data and covariate columns when the covariates take few values, and runs
        :func:`~customer_models.valuation._covariate_fit.fit_links` from the null fit with
        the model's per-row kernels (natural-scale derivatives in ``param_names`` order, the
        data columns in ``required_columns`` order). Only constant covariates: exactly the
        null fit. ``n_customers_`` is the total weight, of the masked rows when there is a
        mask. ``gradient_kernel``: see :func:`fit_links` (chord steps at scale).
        """
        check_progress(progress)
        penalizer = check_penalizer(self.penalizer, processes)  # type: ignore[attr-defined]
        check_str(self.time_unit, "time_unit", allow_none=True)
        links = self._links()
        covariates = self._covariate_columns()
        required = self.required_columns
        frame, _ = as_frame(X, (*required, *covariates), "data")
        cols, index = self._prepare(frame, check_unit=False)  # type: ignore[attr-defined]
        n_rows = len(frame)
        w = self._weights(X, sample_weight, n_rows, row_ids(index, n_rows))  # type: ignore[attr-defined]
        z_all = covariate_matrix(frame, covariates, "data")
        null = null_model.fit(pd.DataFrame({c: cols[c] for c in required}), sample_weight=w)
        mask = None if fit_mask is None else fit_mask(cols)
        keep = w > 0 if mask is None else np.asarray(mask) & (w > 0)
        if not keep.all():  # copies only when rows are left out
            cols = {c: cols[c][keep] for c in required}
            z_all = z_all[keep]
        weights = w if keep.all() else w[keep]
        arrays = [cols[c] for c in required]
        n_data = len(required)
        z = z_all if covariates else np.empty((weights.size, 0))
        if z_all.shape[1] and few_levels(z_all):
            patterns = compress_patterns([*arrays, *z_all.T], weights)
            arrays, weights = list(patterns.columns[:n_data]), patterns.weights
            z = np.column_stack(patterns.columns[n_data:])
        del z_all
        scaling = standardize(z, weights)
        k = len(self.param_names)
        layout = LinkLayout.build(k, links, covariates, scaling.constant)
        if not layout.free[k:].any():
            fitted = self._null_result(null, layout)
        else:
            fit = fit_links(
                rows_kernel,
                loglik_kernel,
                layout,
                unknowns_start(null.params_.to_numpy(dtype=np.float64), layout),
                tuple(arrays[:n_data]),
                scaling.apply(z),
                weights,
                penalizer,
                gradient_kernel=gradient_kernel,
            )
            fitted = self._natural_scale(fit, layout, scaling)
        n = float(w.sum()) if fit_mask is None else float(weights.sum())
        return self._finish_fit(
            X, fitted, n=n, null=null, n_free=int(layout.free[k:].sum()), stacklevel=4
        )

    def _null_result(self, null: Any, layout: Any) -> tuple[Any, ...]:
        """Only constant covariates: exactly the no-covariate fit, coefficients fixed at 0."""
        k = len(self.param_names)
        values = np.concatenate(
            [null.params_.to_numpy(dtype=np.float64), np.zeros(layout.size - k)]
        )
        cov = None
        if null.covariance_ is not None:
            cov = np.full((layout.size, layout.size), np.nan)
            cov[:k, :k] = null.covariance_.to_numpy()
        return values, cov, null.log_likelihood_, null.convergence_

    def _natural_scale(self, fit: Any, layout: Any, scaling: Any) -> tuple[Any, ...]:
        """Return the fitted values (base parameters exp'd), their covariance, LL and report.

        The fit works on log base parameters and raw coefficients; the delta method maps the
        covariance to the parameters' own scale (the Jacobian is diagonal).
        """
        k = len(self.param_names)
        theta, cov_theta = covariance_original(fit, layout, scaling)
        values = np.concatenate([np.exp(theta[:k]), theta[k:]])
        cov = None
        if cov_theta is not None:
            jac = np.concatenate([values[:k], np.ones(values.size - k)])
            cov = cov_theta * jac[:, None] * jac[None, :]
        return values, cov, fit.log_likelihood, self._report(fit, values)

    def _finish_fit(
        self,
        X: Any,
        fitted: tuple[np.ndarray, np.ndarray | None, float, ConvergenceReport],
        *,
        n: float,
        null: Any,
        n_free: int,
        stacklevel: int = 3,
    ) -> Any:
        """Store the result, the test against ``null`` and the unit; warn unless it converged."""
        values, cov, ll, report = fitted
        self._set_result(values, covariance=cov, log_likelihood=ll, n=n)
        self.likelihood_ratio_test_ = likelihood_ratio(ll, null.log_likelihood_, n_free)
        self.time_unit_ = self.time_unit if self.time_unit is not None else attrs_time_unit(X)
        self.convergence_ = report
        if not report.success:
            warnings.warn(
                f"{type(self).__name__} fit: {report.message}",
                ConvergenceWarning,
                stacklevel=stacklevel,
            )
        return self

    def _report(self, fit: Any, values: np.ndarray) -> ConvergenceReport:
        names = self._all_names()
        k = len(self.param_names)
        edge = tuple(n for n, v in zip(names[:k], values[:k], strict=True) if not 1e-5 < v < 1e5)
        success = fit.gradient_norm < 1e-5 and fit.positive_definite and not edge
        message = f"Newton on the chain-rule Hessian: {fit.n_iterations} steps, {fit.message}"
        if not fit.positive_definite:
            message += "; the Hessian is not positive definite (try penalizer=0.01)"
        if edge:
            message += f"; parameters {list(edge)} ran towards 0 or infinity"
        return ConvergenceReport(
            success=bool(success),
            n_iterations=int(fit.n_iterations),
            gradient_norm=float(fit.gradient_norm),
            hessian_positive_definite=bool(fit.positive_definite),
            at_boundary=edge,
            moved_from_start=True,
            message=message,
        )

    # ------------------------------------------------------------------ per-row parameters
    def _base_and_coefs(self) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        self._require_fitted()  # type: ignore[attr-defined]
        values = self.params_.to_numpy(dtype=np.float64)
        k = len(self.param_names)
        out, start = {}, k
        for link in self._links():
            out[link.prefix] = values[start : start + len(link.columns)]
            start += len(link.columns)
        return values[:k], out

    def _row_params(self, frame: pd.DataFrame, what: str) -> np.ndarray:
        """Per-row natural parameters ``(k, n)`` from the covariate columns of ``frame``."""
        base, coefs = self._base_and_coefs()
        log_p = np.repeat(np.log(base)[:, None], len(frame), axis=1)
        for link in self._links():
            if not link.columns:
                continue
            eta = covariate_matrix(frame, link.columns, what) @ coefs[link.prefix]
            for j, sign in link.targets:
                log_p[j] += sign * eta
        return np.asarray(np.exp(np.clip(log_p, -700.0, 700.0)))

    # ------------------------------------------------------------------ persistence
    def save(self, path: Any) -> None:
        """Save the fitted model (parameters, coefficients and their names) as JSON.

        Parameters
        ----------
        path : str or os.PathLike
            Destination file.
        """
        save_model(self, path)
        lists = {
            k: list(v)
            for k, v in self.get_params().items()  # type: ignore[attr-defined]
            if isinstance(v, (list, tuple))
        }
        try:
            with open(path, encoding="utf-8") as fh:
                payload = json.load(fh)
            payload["init_params"].update(lists)
            with open(path, "w", encoding="utf-8") as fh:
                json.dump(payload, fh, indent=2, allow_nan=False)
        except OSError as exc:  # pragma: no cover - save_model wrote it a moment ago
            raise ModelFileError(
                f"cannot write the model file {os.fspath(path)!s}: {exc}."
            ) from None

    def _profiles(self, covariates: Any, names: list[str]) -> pd.DataFrame:
        if covariates is None:
            raise ParameterError(
                f"{type(self).__name__} has covariates {names}: pass covariates= (a DataFrame "
                "of profiles, one row each, or a dict for one profile)."
            )
        if isinstance(covariates, Mapping) and not isinstance(covariates, pd.DataFrame):
            covariates = pd.DataFrame({k: [v] for k, v in covariates.items()})
        frame, _ = as_frame(covariates, tuple(names), "covariates")
        extra = [c for c in frame.columns if c not in names]
        if extra:
            raise DataValidationError(
                f"covariates has columns the model does not use: {extra[:5]} (the model's "
                f"covariates are {names}).",
                rule="covariate profiles hold exactly the model's covariates",
            )
        covariate_matrix(frame, names, "covariates")  # missing / non-numeric / NaN errors
        return frame


class PurchaseCovariateMixin(CovariateMixin):
    """Fit and predictions of the covariate purchase models (``frequency``, ``recency``, ``T``).

    A model declares ``_null_class``, the same model without covariates, whose kernels
    (``_loglik_kernel``, ``_alive_kernel``, ``_expected_kernel``, ``_pmf_kernel``,
    ``_new_customer_kernel``) take per-row parameters ``(k, n)``, and
    ``_rows_hessian_kernel`` (per-row log-likelihood, gradient and Hessian in the natural
    parameters, for the fit). Every prediction evaluates the null class's kernel at each
    customer's own parameters, from the covariate columns of ``data``; the covariate model
    has no class-level prediction kernels, so CLV and the other tools ask these methods.
    """

    _null_class: ClassVar[type[Any]]
    _alive_kernel = None
    _expected_kernel = None
    _pmf_kernel = None
    _new_customer_kernel = None
    _dert_kernel = None
    _separable_expectation = False
    _processes: ClassVar[tuple[str, ...]] = ("purchase", "dropout")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        null = cls.__dict__.get("_null_class")
        if null is not None:  # the likelihood at the model's own parameters (z = 0)
            for hook in ("_loglik_kernel", "_loglik_gradient_kernel"):
                setattr(cls, hook, staticmethod(getattr(null, hook)))
            cls._rows_loglik_kernel = staticmethod(null._loglik_kernel)
        super().__init_subclass__(**kwargs)

    def _null_model(self) -> Any:
        return type(self)._null_class(
            penalizer_coef=self.penalizer_coef,
            time_unit=self.time_unit,
        )

    def __init__(
        self,
        purchase_covariates: Any = None,
        *,
        dropout_covariates: Any = None,
        penalizer: Any = 0.0,
        penalizer_coef: float = 0.0,
        time_unit: str | None = None,
    ) -> None:
        self.purchase_covariates, self.dropout_covariates = purchase_covariates, dropout_covariates
        self.penalizer, self.penalizer_coef = penalizer, penalizer_coef
        self.time_unit = time_unit

    def _process_columns(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Return the validated ``(purchase_covariates, dropout_covariates)``."""
        reserved = self.required_columns
        return (
            check_covariate_names(self.purchase_covariates, "purchase_covariates", reserved),
            check_covariate_names(self.dropout_covariates, "dropout_covariates", reserved),
        )

    def _call(self, hook: str, *args: Any) -> np.ndarray:
        return np.asarray(getattr(type(self)._null_class, hook)(*args))

    def _rows(
        self, data: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, pd.Index | None]:
        """Return validated ``x, t_x, T``, the per-row parameters ``(k, n)`` and the index."""
        self._require_fitted()  # type: ignore[attr-defined]
        frame, from_arrays = as_frame(
            data,
            (*self.required_columns, *self._covariate_columns()),
            "data",
        )
        cols, _ = self._prepare(frame, check_unit=not from_arrays)  # type: ignore[attr-defined]
        params = self._row_params(frame, "data")
        index = None if from_arrays else frame.index
        return cols["frequency"], cols["recency"], cols["T"], params, index

    def log_likelihood(self, X: Any, *, sample_weight: Any = None) -> float:
        """Total log-likelihood of ``X`` (with its covariates) under the fitted parameters.

        Parameters
        ----------
        X : pandas.DataFrame
            ``frequency``, ``recency``, ``T`` and the covariate columns.
        sample_weight : None, str or array-like
            Per-row counts.

        Returns
        -------
        float
        """
        x, t_x, T, params, index = self._rows(X)
        w = self._weights(X, sample_weight, x.size, row_ids(index, x.size))  # type: ignore[attr-defined]
        ll = self._call("_loglik_kernel", params, x, t_x, T)
        return float(w @ np.where(w > 0, ll, 0.0))

    def probability_alive(self, data: Any) -> pd.Series | np.ndarray:
        """P(alive at T) of each customer, at its own covariates.

        Parameters
        ----------
        data : pandas.DataFrame
            ``frequency``, ``recency``, ``T`` and the covariate columns.

        Returns
        -------
        pandas.Series
            ``"probability_alive"`` on ``data``'s index.
        """
        x, t_x, T, params, index = self._rows(data)
        p = self._call("_alive_kernel", params, x, t_x, T)
        return self._wrap(p, index, "probability_alive")  # type: ignore[attr-defined]

    def expected_purchases(self, data: Any, *, t: Any) -> pd.Series | np.ndarray:
        """``E[X(T, T + t) | history, covariates]`` per customer.

        Parameters
        ----------
        data : pandas.DataFrame
            ``frequency``, ``recency``, ``T`` and the covariate columns.
        t : float or array-like
            Horizon(s) >= 0 in ``time_unit_``.

        Returns
        -------
        pandas.Series
            ``"expected_purchases"`` on ``data``'s index.
        """
        horizon = check_horizon(t)
        x, t_x, T, params, index = self._rows(data)
        e = self._call("_expected_kernel", params, x, t_x, T, horizon)
        return self._wrap_rows(e, x, index, "expected_purchases")  # type: ignore[attr-defined]

    def probability_of_purchases(self, data: Any, *, n: Any, t: Any) -> pd.Series | np.ndarray:
        """``P(X(T, T + t) = n | history, covariates)`` per customer.

        Parameters
        ----------
        data : pandas.DataFrame
            ``frequency``, ``recency``, ``T`` and the covariate columns.
        n : int or array-like of int
            Number of purchases (>= 0).
        t : float or array-like
            Horizon(s) >= 0.

        Returns
        -------
        pandas.Series
            ``"probability_of_purchases"`` on ``data``'s index.
        """
        counts = check_count(n)
        horizon = check_horizon(t)
        x, t_x, T, params, index = self._rows(data)
        p = self._call("_pmf_kernel", params, counts, x, t_x, T, horizon)
        return self._wrap_rows(p, x, index, "probability_of_purchases")  # type: ignore[attr-defined]

    def expected_purchases_new_customer(
        self, *, t: Any, covariates: Any = None
    ) -> float | np.ndarray | pd.Series:
        """Return the expected repeat purchases of a new customer in its first ``t`` time units.

        Parameters
        ----------
        t : float or array-like
            Horizon(s) >= 0.
        covariates : pandas.DataFrame or mapping, optional
            Covariate profiles, one row each, with exactly the model's covariate columns
            (required when the model has covariates; a mapping is one profile).

        Returns
        -------
        float, numpy.ndarray or pandas.Series
            Without covariates as the model without covariates; with, a Series
            ``"expected_purchases"`` on the profiles' index.
        """
        self._require_fitted()  # type: ignore[attr-defined]
        horizon = check_horizon(t)
        names = self._covariate_columns()
        if not names and covariates is None:
            k = len(self.param_names)
            e = self._call("_new_customer_kernel", self.params_.to_numpy()[:k], horizon)
            return float(e) if e.ndim == 0 else e
        profiles = self._profiles(covariates, names)
        params = self._row_params(profiles, "covariates")
        e = self._call("_new_customer_kernel", params, horizon)
        return pd.Series(
            np.broadcast_to(e, (len(profiles),)).copy(),
            index=profiles.index,
            name="expected_purchases",
        )
