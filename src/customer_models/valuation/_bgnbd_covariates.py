r"""BG/NBD and MBG/NBD with static covariates in the purchase and the dropout process.

Parametrization (CLVTools' for the purchase process; its dropout link is the ``"shared"``
option here): each customer ``i`` with covariates ``z_i`` has

.. math::

    \alpha_i = \alpha \exp(-\gamma' z_i), \qquad
    a_i = a \exp(\delta_a' z_i), \qquad b_i = b \exp(\delta_b' z_i),

and ``r`` common to all. ``alpha`` is the scale of the gamma-distributed purchase rate
(mean ``r / alpha_i``), so a **positive** ``gamma`` **raises** the purchase rate by the
factor ``exp(gamma)`` per unit of the covariate. The dropout probability ``p ~ Beta(a_i,
b_i)`` has mean ``a_i / (a_i + b_i)``: a positive ``delta_a`` (or a negative ``delta_b``)
makes customers drop out sooner. With ``dropout_link="shared"`` one vector ``delta`` acts on
both, ``a_i = a exp(delta' z_i)``, ``b_i = b exp(delta' z_i)``, which is CLVTools'
``bgnbd_staticcov`` (its ``vA_i``, ``vB_i`` use the same life coefficients): the mean dropout
probability stays ``a / (a + b)`` and the covariate moves its concentration only.

References
----------
Fader, P. S. and Hardie, B. G. S. (2007), "Incorporating time-invariant covariates into the
Pareto/NBD and BG/NBD models", http://www.brucehardie.com/notes/019/.

Bachmann, P., Meierer, M. and Naef, J., CLVTools (R package), ``src/bgnbd_LL.cpp``
(``bgnbd_staticcov_LL_ind``: ``alpha_i = alpha_0 exp(-z_trans' gamma_trans)``,
``a_i = a_0 exp(z_life' gamma_life)``, ``b_i = b_0 exp(z_life' gamma_life)``).
"""

from __future__ import annotations

from functools import partial
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from customer_models._progress import check_progress
from customer_models._validation import check_choice, check_str
from customer_models.exceptions import ParameterError
from customer_models.valuation._bgnbd import BetaGeoModel
from customer_models.valuation._bgnbd_likelihood import (
    log_likelihood_gradient_kernel,
    log_likelihood_kernel,
    log_likelihood_rows_hessian_kernel,
    probability_alive_kernel,
)
from customer_models.valuation._bgnbd_predictions import (
    expected_purchases_kernel,
    expected_purchases_new_customer_kernel,
    probability_of_purchases_kernel,
)
from customer_models.valuation._checks import check_count, check_horizon
from customer_models.valuation._covariate_fit import (
    LinkLayout,
    fit_links,
    unknowns_start,
)
from customer_models.valuation._covariate_model import CovariateMixin
from customer_models.valuation._covariates import (
    Link,
    check_covariate_names,
    check_penalizer,
    covariate_matrix,
    few_levels,
    standardize,
)
from customer_models.valuation._fit_rows import as_frame, row_ids
from customer_models.valuation._kernels import kernel
from customer_models.valuation._mbgnbd import ModifiedBetaGeoModel
from customer_models.valuation._patterns import compress_patterns
from customer_models.valuation._purchase import PurchaseModel

__all__ = ["BetaGeoCovariateModel", "ModifiedBetaGeoCovariateModel"]


class BetaGeoCovariateModel(CovariateMixin, PurchaseModel):
    r"""BG/NBD with static covariates: ``alpha_i = alpha exp(-gamma'z_i)``, ``a_i``, ``b_i``.

    Each customer's purchase-rate scale and dropout shapes depend on columns of the customer
    summary (see the module :mod:`customer_models.valuation._bgnbd_covariates` for the
    parametrization and its sign convention: a positive ``gamma`` raises the purchase rate, a
    positive ``delta_a`` or negative ``delta_b`` raises the dropout probability).

    Parameters
    ----------
    purchase_covariates : list of str, optional
        Columns of the summary acting on the purchase process (``gamma``).
    dropout_covariates : list of str, optional
        Columns acting on the dropout process (``delta_a``, ``delta_b``; or ``delta``).
    dropout_link : {"separate", "shared"}, default "separate"
        ``"separate"``: ``a_i = a exp(delta_a'z)``, ``b_i = b exp(delta_b'z)``;
        ``"shared"``: one ``delta`` on both (CLVTools' BG/NBD).
    penalizer : float or dict, default 0.0
        L2 penalty on the coefficients of the standardized covariates, one number or
        ``{"purchase": ..., "dropout": ...}``: the fit minimizes ``-LL / n + sum_process
        penalizer_process * sum(beta_std ** 2)``.
    penalizer_coef : float, default 0.0
        The plain model's penalty (see :class:`~customer_models.valuation.BetaGeoModel`),
        applied to the no-covariate fit that starts the fit and is the null model of
        ``likelihood_ratio_test_`` (so with only constant covariates the result is that
        penalized fit); the covariate fit itself penalizes the coefficients only.
    time_unit : str, optional
        Unit of recency/T/t; default ``data.attrs["time_unit"]``.

    Attributes
    ----------
    params_ : pandas.Series
        ``r, alpha, a, b`` (at ``z = 0``), then ``gamma:<column>``, ``delta_a:<column>``,
        ``delta_b:<column>`` (or ``delta:<column>``) on the original covariate scale.
    covariance_ : pandas.DataFrame or None
        Covariance of all of them.
    summary_ : pandas.DataFrame
        ``coef, se, lower, upper, z, p_value`` (95% intervals).
    likelihood_ratio_test_ : pandas.Series
        ``statistic, df, p_value, log_likelihood, null_log_likelihood`` against BG/NBD
        without covariates fitted on the same customers.
    log_likelihood_, aic_, bic_, n_customers_, convergence_, time_unit_
        As in :class:`~customer_models.valuation.BetaGeoModel`.

    Notes
    -----
    Covariates are standardized for the optimizer and the results are mapped back, so a
    coefficient is the effect of one unit of the column as given; shifting a column changes
    only the intercepts (``alpha``, ``a``, ``b``), never a coefficient or a prediction. A
    constant column (e.g. all zeros) is not identified beside the intercept: its coefficient
    is fixed at 0 with NaN standard error, and with only such columns the fit is exactly the
    BG/NBD fit. Every prediction reads the customer's covariates from the same columns of
    ``data``. Categorical columns: see
    :func:`~customer_models.valuation._covariates.one_hot_covariates`.

    Examples
    --------
    >>> from customer_models import load_cdnow_summary
    >>> data = load_cdnow_summary().assign(zero=0.0)
    >>> model = BetaGeoCovariateModel(["zero"], dropout_covariates=["zero"]).fit(data)
    >>> model.params_.round(3).tolist()
    [0.243, 4.414, 0.793, 2.426, 0.0, 0.0, 0.0]
    >>> m = BetaGeoCovariateModel.from_params(r=0.25, alpha=4.0, a=0.8, b=2.4,
    ...                                       **{"gamma:web": 0.5})
    >>> import pandas as pd
    >>> two = pd.DataFrame({"frequency": [2, 2], "recency": [30.0, 30.0], "T": [39.0, 39.0],
    ...                     "web": [0.0, 1.0]})
    >>> m.expected_purchases(two, t=10).round(3).tolist()
    [0.354, 0.364]
    """

    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")
    _link_prefixes: ClassVar[dict[str, str]] = {
        "gamma": "purchase",
        "delta_a": "dropout",
        "delta_b": "dropout",
        "delta": "dropout",
    }
    _modified: ClassVar[bool] = False
    _null_class: ClassVar[type[BetaGeoModel]] = BetaGeoModel
    # The likelihood kernels of the model's own parameters (its value at z = 0), for the
    # contract tests and tools that evaluate kernels; the fit uses the per-row ones.
    _loglik_kernel = kernel(log_likelihood_kernel)
    _loglik_gradient_kernel = kernel(log_likelihood_gradient_kernel)
    # No class-level prediction kernels: the parameters are per customer, so every
    # prediction (and CLV, which then asks the public methods) goes through the methods.
    _alive_kernel = None
    _expected_kernel = None
    _pmf_kernel = None
    _new_customer_kernel = None
    _dert_kernel = None
    _separable_expectation = False

    def __init__(
        self,
        purchase_covariates: Any = None,
        *,
        dropout_covariates: Any = None,
        dropout_link: str = "separate",
        penalizer: Any = 0.0,
        penalizer_coef: float = 0.0,
        time_unit: str | None = None,
    ) -> None:
        self.purchase_covariates = purchase_covariates
        self.dropout_covariates = dropout_covariates
        self.dropout_link = dropout_link
        self.penalizer = penalizer
        self.penalizer_coef = penalizer_coef
        self.time_unit = time_unit

    # ------------------------------------------------------------------ declaration
    def _links(self) -> list[Link]:
        reserved = self.required_columns
        purchase = check_covariate_names(self.purchase_covariates, "purchase_covariates", reserved)
        dropout = check_covariate_names(self.dropout_covariates, "dropout_covariates", reserved)
        link = check_choice(self.dropout_link, "dropout_link", ["separate", "shared"])
        links = [Link("gamma", ((1, -1.0),), purchase, "purchase")]
        if link == "separate":
            links += [
                Link("delta_a", ((2, 1.0),), dropout, "dropout"),
                Link("delta_b", ((3, 1.0),), dropout, "dropout"),
            ]
        else:
            links.append(Link("delta", ((2, 1.0), (3, 1.0)), dropout, "dropout"))
        return links

    @classmethod
    def _init_from_names(cls, names: list[str]) -> dict[str, Any]:
        by_prefix: dict[str, list[str]] = {}
        for n in names:
            prefix, column = n.split(":", 1)
            by_prefix.setdefault(prefix, []).append(column)
        shared = "delta" in by_prefix
        if shared and ("delta_a" in by_prefix or "delta_b" in by_prefix):
            raise ParameterError("give either delta:<column> or delta_a:/delta_b:, not both.")
        if not shared and by_prefix.get("delta_a", []) != by_prefix.get("delta_b", []):
            raise ParameterError(
                "delta_a and delta_b need the same columns in the same order; got "
                f"{by_prefix.get('delta_a', [])} and {by_prefix.get('delta_b', [])}."
            )
        return {
            "purchase_covariates": by_prefix.get("gamma", []),
            "dropout_covariates": by_prefix.get("delta" if shared else "delta_a", []),
            "dropout_link": "shared" if shared else "separate",
        }

    # ------------------------------------------------------------------ data
    def _frame(self, data: Any, what: str = "data") -> tuple[pd.DataFrame, bool]:
        names = (*self.required_columns, *self._covariate_columns())
        return as_frame(data, names, what)

    def _rows(
        self, data: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, pd.Index | None]:
        """Return validated ``x, t_x, T``, the per-row parameters ``(4, n)`` and the index."""
        self._require_fitted()
        frame, from_arrays = self._frame(data)
        cols, _ = self._prepare(frame, check_unit=not from_arrays)
        params = self._row_params(frame, "data")
        index = None if from_arrays else frame.index
        return cols["frequency"], cols["recency"], cols["T"], params, index

    # ------------------------------------------------------------------ fitting
    def fit(
        self, X: Any, y: None = None, *, sample_weight: Any = None, progress: Any = None
    ) -> BetaGeoCovariateModel:
        """Fit by maximum likelihood (Newton's method with the analytic chain-rule Hessian).

        Parameters
        ----------
        X : pandas.DataFrame
            One row per customer with ``frequency``, ``recency``, ``T`` and the covariate
            columns.
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
        check_progress(progress)
        penalizer = check_penalizer(self.penalizer, ("purchase", "dropout"))
        check_str(self.time_unit, "time_unit", allow_none=True)
        links = self._links()
        covariates = self._covariate_columns()
        frame, _ = self._frame(X)
        cols, index = self._prepare(frame, check_unit=False)
        n_rows = len(frame)
        w = self._weights(X, sample_weight, n_rows, row_ids(index, n_rows))
        z_all = covariate_matrix(frame, covariates, "data")
        base_cols = [cols[c] for c in self.required_columns]
        null = self._null_class(penalizer_coef=self.penalizer_coef, time_unit=self.time_unit).fit(
            pd.DataFrame(dict(zip(self.required_columns, base_cols, strict=True))),
            sample_weight=w,
        )
        keep = w > 0
        arrays = [c[keep] for c in base_cols] + [z_all[keep, j] for j in range(z_all.shape[1])]
        weights = w[keep]
        if z_all.shape[1] and few_levels(z_all[keep]):
            patterns = compress_patterns(arrays, weights)
            arrays, weights = list(patterns.columns), patterns.weights
        data_cols = tuple(arrays[:3])
        z = np.column_stack(arrays[3:]) if covariates else np.empty((weights.size, 0))
        scaling = standardize(z, weights)
        layout = LinkLayout.build(4, links, covariates, scaling.constant)
        base = null.params_.to_numpy(dtype=np.float64)
        if not layout.free[4:].any():
            fitted = self._null_result(null, layout)
        else:
            modified = self._modified
            fit = fit_links(
                partial(log_likelihood_rows_hessian_kernel, modified=modified),
                partial(log_likelihood_kernel, modified=modified),
                layout,
                unknowns_start(base, layout),
                data_cols,
                scaling.apply(z),
                weights,
                penalizer,
            )
            fitted = self._natural_scale(fit, layout, scaling)
        return self._finish_fit(
            X, fitted, n=float(w.sum()), null=null, n_free=int(layout.free[4:].sum())
        )

    # ------------------------------------------------------------------ evaluation
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
        w = self._weights(X, sample_weight, x.size, row_ids(index, x.size))
        ll = log_likelihood_kernel(params, x, t_x, T, modified=self._modified)
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
        p = probability_alive_kernel(params, x, t_x, T, modified=self._modified)
        return self._wrap(p, index, "probability_alive")

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
        e = expected_purchases_kernel(params, x, t_x, T, horizon, modified=self._modified)
        return self._wrap_rows(np.asarray(e), x, index, "expected_purchases")

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
        p = probability_of_purchases_kernel(
            params, counts, x, t_x, T, horizon, modified=self._modified
        )
        return self._wrap_rows(np.asarray(p), x, index, "probability_of_purchases")

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
            Without covariates as :meth:`BetaGeoModel.expected_purchases_new_customer`;
            with, a Series ``"expected_purchases"`` on the profiles' index.
        """
        self._require_fitted()
        horizon = check_horizon(t)
        names = self._covariate_columns()
        if not names and covariates is None:
            e = np.asarray(
                expected_purchases_new_customer_kernel(
                    self.params_.to_numpy()[:4], horizon, modified=self._modified
                )
            )
            return float(e) if e.ndim == 0 else e
        profiles = self._profiles(covariates, names)
        params = self._row_params(profiles, "covariates")
        e = expected_purchases_new_customer_kernel(params, horizon, modified=self._modified)
        return pd.Series(
            np.broadcast_to(e, (len(profiles),)).copy(),
            index=profiles.index,
            name="expected_purchases",
        )


class ModifiedBetaGeoCovariateModel(BetaGeoCovariateModel):
    r"""MBG/NBD with static covariates (same parametrization as :class:`BetaGeoCovariateModel`).

    The dropout coin is also tossed right after the first purchase (Batislam, Denizel and
    Filiztekin 2007); ``a_i``, ``b_i`` and ``alpha_i`` depend on the covariates as in
    :class:`BetaGeoCovariateModel`.

    Examples
    --------
    >>> from customer_models import load_cdnow_summary
    >>> data = load_cdnow_summary().assign(zero=0.0)
    >>> m = ModifiedBetaGeoCovariateModel(["zero"]).fit(data)
    >>> bool(m.likelihood_ratio_test_["statistic"] == 0.0)
    True
    """

    _modified: ClassVar[bool] = True
    _null_class: ClassVar[type[BetaGeoModel]] = ModifiedBetaGeoModel
    _loglik_kernel = kernel(partial(log_likelihood_kernel, modified=True))
    _loglik_gradient_kernel = kernel(partial(log_likelihood_gradient_kernel, modified=True))
