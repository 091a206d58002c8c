r"""Pareto/NBD with static covariates in the purchase and the dropout process.

Parametrization (Fader and Hardie 2007, note 019; CLVTools' ``pnbd_staticcov``): each
customer ``i`` with covariates ``z_i`` has

.. math::

    \alpha_i = \alpha \exp(-\gamma' z_i), \qquad \beta_i = \beta \exp(-\delta' z_i),

and ``r``, ``s`` common to all. ``alpha`` and ``beta`` are the scales of the gamma-distributed
purchase rate ``lambda ~ Gamma(r, alpha_i)`` (mean ``r / alpha_i``) and dropout rate
``mu ~ Gamma(s, beta_i)`` (mean ``s / beta_i``), so a **positive** ``gamma`` **raises** the
purchase rate and a **positive** ``delta`` **raises** the dropout rate (shorter lifetimes),
each by the factor ``exp(coefficient)`` per unit of the covariate.

The per-customer likelihood is the Pareto/NBD one at ``(r, alpha_i, s, beta_i)``
(:func:`customer_models.valuation._pareto_nbd_likelihood.log_likelihood_gradient_kernel`, its
``A_0`` term an Euler-transformed 2F1 with an analytic gradient). Its Hessian in the four
parameters is the forward difference of that analytic gradient, per row, with relative
step ``1e-6`` (the 2F1 has no cheap closed-form second derivatives): error about ``1e-6``
relative, far below what Newton's steps and the standard errors need (the tests check it
against second differences of the log-likelihood itself, and the fit against an
independent closed-form likelihood optimized by scipy). A row Hessian costs four gradients,
so above 200,000 customers the full-data phase takes chord Newton steps with the Hessian of
the 100,000-customer sample start (gradients only) and evaluates the row Hessian once, for
the standard errors (:func:`~customer_models.valuation._covariate_fit.fit_links`).

References
----------
Fader, P. S. and Hardie, B. G. S. (2007), "Incorporating time-invariant covariates into the
Pareto/NBD and BG/NBD models", http://www.brucehardie.com/notes/019/.

Bachmann, P., Meierer, M. and Naef, J., CLVTools (R package), ``pnbd_staticcov``
(``alpha_i = alpha_0 exp(-gamma_trans' z_trans)``, ``beta_i = beta_0 exp(-gamma_life' z_life)``).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from customer_models.valuation._covariate_model import PurchaseCovariateMixin
from customer_models.valuation._covariates import Link
from customer_models.valuation._kernels import kernel
from customer_models.valuation._pareto_nbd import ParetoNBDModel
from customer_models.valuation._pareto_nbd_likelihood import (
    log_likelihood_gradient_kernel,
)
from customer_models.valuation._purchase import PurchaseModel

__all__ = ["ParetoNBDCovariateModel", "log_likelihood_rows_hessian_kernel"]

#: Relative step of the forward differences of the analytic gradient (the row Hessian):
#: truncation error about this, rounding error about the gradient's (~1e-12) over it.
HESSIAN_STEP = 1e-6


def log_likelihood_rows_hessian_kernel(
    params: Any, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-row Pareto/NBD log-likelihood, gradient ``(n, 4)`` and Hessian ``(n, 4, 4)``.

    In the natural parameters ``(r, alpha, s, beta)``, given per row (shape ``(4, n)``) or
    once (``(4,)``). The gradient is analytic; the Hessian column ``j`` is the forward
    difference of it in parameter ``j`` with step ``HESSIAN_STEP * theta_j``, symmetrized
    (four gradient evaluations beside the one at ``params``).

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([[0.55, 0.55], [10.6, 8.0], [0.61, 0.61], [11.7, 14.0]])
    >>> ll, g, h = log_likelihood_rows_hessian_kernel(p, np.array([2.0, 0.0]),
    ...                                               np.array([30.4, 0.0]), np.array([38.9, 39.0]))
    >>> g.shape, h.shape, bool(np.allclose(h, h.transpose(0, 2, 1)))
    ((2, 4), (2, 4, 4), True)
    """
    x = np.asarray(x, dtype=np.float64)
    p = np.asarray(params, dtype=np.float64)
    if p.ndim == 1:
        p = np.repeat(p[:, None], x.size, axis=1)
    ll, g = log_likelihood_gradient_kernel(p, x, t_x, T)
    g = np.ascontiguousarray(g)
    h = np.empty((x.size, 4, 4))
    for j in range(4):
        step = HESSIAN_STEP * p[j]
        up = p.copy()
        up[j] += step
        step = up[j] - p[j]  # the step actually taken, after rounding
        h[:, :, j] = (log_likelihood_gradient_kernel(up, x, t_x, T)[1] - g) / step[:, None]
    h = 0.5 * (h + h.transpose(0, 2, 1))
    return ll, g, h


class ParetoNBDCovariateModel(PurchaseCovariateMixin, PurchaseModel):
    r"""Pareto/NBD with static covariates: ``alpha_i = alpha exp(-gamma'z_i)``, ``beta_i``.

    Each customer's purchase-rate scale ``alpha_i = alpha exp(-gamma'z_i)`` and dropout-rate
    scale ``beta_i = beta exp(-delta'z_i)`` depend on columns of the customer summary; ``r``
    and ``s`` are common (Fader and Hardie 2007, note 019; CLVTools' ``pnbd_staticcov``). A
    positive ``gamma`` raises the purchase rate, a positive ``delta`` raises the dropout
    rate (see :mod:`customer_models.valuation._pareto_nbd_covariates`).

    Parameters
    ----------
    purchase_covariates : list of str, optional
        Columns of the summary acting on the purchase process (``gamma``).
    dropout_covariates : list of str, optional
        Columns acting on the dropout process (``delta``).
    shared_covariates : list of str, optional
        Columns whose effect is constrained equal in both processes (CLVTools' equality
        constraint): one coefficient ``shared:<column>`` with ``alpha_i`` and ``beta_i`` both
        multiplied by ``exp(-shared * z)``. Not also in the two lists above.
    penalizer : float or dict, default 0.0
        Per process (``{"purchase": ..., "dropout": ...}``) or one number for both: the
        coefficient of the L2 penalty ``sum(beta_std ** 2)`` on the standardized
        covariates' coefficients, added to ``-LL / n``.
    penalizer_coef : float, default 0.0
        Penalty of the plain :class:`~customer_models.valuation.ParetoNBDModel` fit that
        starts this fit and is the null model of ``likelihood_ratio_test_``.
    time_unit : str, optional
        Unit of recency/T/t; default ``data.attrs["time_unit"]``.

    Attributes
    ----------
    params_ : pandas.Series
        ``r, alpha, s, beta`` (at ``z = 0``), then ``gamma:<column>`` and ``delta:<column>``
        on the original covariate scale.
    covariance_ : pandas.DataFrame or None
        Covariance of all of them.
    summary_ : pandas.DataFrame
        ``coef, se, lower, upper, z, p_value`` (95% intervals).
    likelihood_ratio_test_ : pandas.Series
        ``statistic, df, p_value, log_likelihood, null_log_likelihood`` against the
        Pareto/NBD without covariates fitted on the same customers.
    log_likelihood_, aic_, bic_, n_customers_, convergence_, time_unit_
        As in :class:`~customer_models.valuation.ParetoNBDModel`.

    Notes
    -----
    Fitted by Newton's method on the chain-rule Hessian (per-row Hessian: central
    differences of the analytic gradient), from the no-covariate fit; covariates are
    standardized for the optimizer and the results mapped back, so shifting a column moves
    only ``alpha`` and ``beta``. A constant column is not identified beside the intercept:
    its coefficient is fixed at 0 (NaN standard error), and with only such columns the fit
    is exactly the Pareto/NBD fit. Predictions read each customer's covariates from the same
    columns of ``data``; ``customer_lifetime_value`` uses them through
    :meth:`expected_purchases`. Categorical columns: see
    :func:`~customer_models.valuation._covariates.one_hot_covariates`.

    Examples
    --------
    >>> import pandas as pd
    >>> m = ParetoNBDCovariateModel.from_params(r=0.55, alpha=10.6, s=0.61, beta=11.7,
    ...                                         **{"gamma:web": 0.5, "delta:web": -0.4})
    >>> two = pd.DataFrame({"frequency": [2, 2], "recency": [30.0, 30.0], "T": [39.0, 39.0],
    ...                     "web": [0.0, 1.0]})
    >>> bool(m.probability_alive(two).iloc[1] > m.probability_alive(two).iloc[0])
    True
    >>> from customer_models import load_cdnow_summary
    >>> cdnow = load_cdnow_summary().assign(zero=0.0)  # a constant covariate: the plain fit
    >>> ParetoNBDCovariateModel(dropout_covariates=["zero"]).fit(cdnow).params_.round(2).tolist()
    [0.55, 10.58, 0.61, 11.67, 0.0]
    """

    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "s", "beta")
    _link_prefixes: ClassVar[dict[str, str]] = {
        "gamma": "purchase",
        "delta": "dropout",
        "shared": "purchase",  # shared_covariates: the penalty of the purchase process
    }
    _null_class: ClassVar[type[ParetoNBDModel]] = ParetoNBDModel
    _rows_hessian_kernel = kernel(log_likelihood_rows_hessian_kernel)
    _chord_gradient_kernel = kernel(log_likelihood_gradient_kernel)

    # ------------------------------------------------------------------ declaration
    def _links(self) -> list[Link]:
        purchase, dropout = self._process_columns()
        return [
            Link("gamma", ((1, -1.0),), purchase, "purchase"),
            Link("delta", ((3, -1.0),), dropout, "dropout"),
            *self._shared_link(((1, -1.0), (3, -1.0))),  # gamma = delta for these columns
        ]

    @classmethod
    def _init_from_names(cls, names: list[str]) -> dict[str, Any]:
        by_prefix: dict[str, list[str]] = {"gamma": [], "delta": [], "shared": []}
        for n in names:
            prefix, column = n.split(":", 1)
            by_prefix[prefix].append(column)
        return {
            "purchase_covariates": by_prefix["gamma"],
            "dropout_covariates": by_prefix["delta"],
            "shared_covariates": by_prefix["shared"],
        }
