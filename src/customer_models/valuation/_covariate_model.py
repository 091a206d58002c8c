"""What every covariate model shares: the fit through the links, and the purchase family.

A covariate model is a valuation model whose parameters act per customer through
:class:`~customer_models.valuation._covariates.Link` objects. :class:`CovariateMixin` (left
of the model's family base) gives it

- its parameters, results and file (:mod:`customer_models.valuation._covariate_params`:
  names, ``from_params``, ``summary_``, per-row parameters, ``save``);
- the shared ``fit``: validation, the no-covariate fit (start and null model of
  ``likelihood_ratio_test_``), compression, standardization and Newton through
  :func:`~customer_models.valuation._covariate_fit.fit_links`, the result on the original
  covariate scale and its convergence report.

:class:`PurchaseCovariateMixin` is the family of the purchase models (BG/NBD, MBG/NBD,
Pareto/NBD with covariates): their constructor, the kernels taken from the model without
covariates, and the predictions of :mod:`customer_models.valuation._covariate_predictions`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from customer_models._progress import check_progress
from customer_models._validation import check_str
from customer_models.exceptions import ConvergenceWarning, ParameterError
from customer_models.valuation._checks import attrs_time_unit
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
from customer_models.valuation._covariate_init import CovariateModelInit
from customer_models.valuation._covariate_params import CovariateParamsMixin, likelihood_ratio
from customer_models.valuation._covariate_predictions import PurchaseCovariatePredictions
from customer_models.valuation._covariates import (
    Link,
    check_covariate_names,
    check_penalizer,
    covariate_matrix,
    few_levels,
    standardize,
)
from customer_models.valuation._fit_rows import as_frame, row_ids
from customer_models.valuation._patterns import compress_patterns

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import ArrayLike

    from customer_models._progress import ProgressLike


__all__ = ["CovariateMixin", "PurchaseCovariateMixin", "likelihood_ratio"]


class CovariateMixin(CovariateParamsMixin):
    """Shared machinery of the covariate models (see the module docstring)."""

    #: Declared by the models that use the shared :meth:`fit`: the processes of
    #: ``penalizer``, the per-row kernels of the fit (natural-scale derivatives and the
    #: log-likelihood of the line search), a gradient kernel for chord steps at scale
    #: (optional) and whether the fit uses only the rows of the model's ``_fit_mask``.
    _processes: ClassVar[tuple[str, ...]] = ()
    _rows_hessian_kernel: ClassVar[Any] = None
    _rows_loglik_kernel: ClassVar[Any] = None
    _chord_gradient_kernel: ClassVar[Any] = None
    _masked_fit: ClassVar[bool] = False

    #: The same model without covariates (declared by the models that use the default
    #: :meth:`_null_model`).
    _null_class: ClassVar[type[Any]]

    def _null_model(self) -> Any:
        """Return the same model without covariates, unfitted (the start and the LR null).

        ``_null_class`` with the model's ``penalizer_coef`` and ``time_unit``.
        """
        return type(self)._null_class(
            penalizer_coef=self.penalizer_coef,  # type: ignore[attr-defined]
            time_unit=self.time_unit,
        )

    def fit(
        self,
        X: Any,
        y: None = None,
        *,
        sample_weight: str | ArrayLike | None = None,
        progress: ProgressLike = None,
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
        self._set_result(values, covariance=cov, log_likelihood=ll, n=n)  # type: ignore[attr-defined]
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


@dataclass(eq=False, repr=False)
class PurchaseCovariateMixin(CovariateModelInit, PurchaseCovariatePredictions, CovariateMixin):
    """Fit and predictions of the covariate purchase models (``frequency``, ``recency``, ``T``).

    A model declares ``_null_class``, the same model without covariates, whose kernels
    (``_loglik_kernel``, ``_alive_kernel``, ``_expected_kernel``, ``_pmf_kernel``,
    ``_new_customer_kernel``) take per-row parameters ``(k, n)``, and
    ``_rows_hessian_kernel`` (per-row log-likelihood, gradient and Hessian in the natural
    parameters, for the fit). Every prediction evaluates the null class's kernel at each
    customer's own parameters, from the covariate columns of ``data``; the covariate model
    has no class-level prediction kernels, so CLV and the other tools ask these methods.
    """

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

    purchase_covariates: Sequence[str] | None = None
    _: KW_ONLY
    dropout_covariates: Sequence[str] | None = None
    shared_covariates: Sequence[str] | None = None

    def _process_columns(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Return the validated ``(purchase_covariates, dropout_covariates)``."""
        reserved = self.required_columns
        return (
            check_covariate_names(self.purchase_covariates, "purchase_covariates", reserved),
            check_covariate_names(self.dropout_covariates, "dropout_covariates", reserved),
        )

    def _shared_link(self, targets: tuple[tuple[int, float], ...]) -> list[Link]:
        """Return the link of the equality constraint between processes (one coefficient).

        ``shared_covariates`` columns act through one vector ``shared:<column>`` on every
        parameter in ``targets`` (the purchase and the dropout parameters, with the signs of
        their own links), as if the column were in both lists with equal coefficients. A
        shared column may not also be in ``purchase_covariates`` or ``dropout_covariates``.
        """
        shared = check_covariate_names(
            self.shared_covariates, "shared_covariates", self.required_columns
        )
        purchase, dropout = self._process_columns()
        both = [c for c in shared if c in purchase or c in dropout]
        if both:
            raise ParameterError(
                f"shared_covariates columns {both} are also in purchase_covariates or "
                "dropout_covariates: a shared column has one coefficient for both processes; "
                "list it in shared_covariates only."
            )
        return [Link("shared", targets, shared, "purchase")] if shared else []
