r"""Gamma-Gamma spend model with static covariates on the scale of spend.

Fader and Hardie's Gamma-Gamma model (note 025): a customer's transactions are
``Gamma(p, nu_i)`` with ``nu_i ~ Gamma(q, v)`` (rates). Covariates act on the rate of the
mixing distribution,

.. math::

    v_i = v \exp(\theta' z_i) \quad\Longleftrightarrow\quad
    \nu_i = \nu \exp(-\theta' z_i) \text{ in distribution},

so every transaction of a customer with covariates ``z_i`` is ``exp(theta' z_i)`` times
that of a customer at ``z = 0``: a **positive** ``theta`` **raises** spend per transaction
by the factor ``exp(theta)`` per unit of the covariate, and the population mean spend at a
profile is ``p v_i / (q - 1)``. This is the log link of a gamma regression
on the scale of spend (the gamma family is closed under scaling, so the shapes ``p`` and
``q``, the heterogeneity, are common to all customers). No peer library has covariates in the
spend model (pymc-marketing issue #1059 is open); the construction is the one CLVTools uses
for its purchase-process scale (``alpha_i = alpha exp(-gamma'z)``) moved to spend.

References
----------
Fader, P. S. and Hardie, B. G. S. (2013), "The Gamma-Gamma model of monetary value",
http://www.brucehardie.com/notes/025/.

Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005), "RFM and CLV: using iso-value curves
for customer base analysis", Journal of Marketing Research 42(4), 415-430.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd
from scipy.special import gammaln, psi

from customer_models.exceptions import ParameterError
from customer_models.valuation._base import ValuationModel
from customer_models.valuation._covariate_init import CovariateModelInit
from customer_models.valuation._covariate_model import CovariateMixin
from customer_models.valuation._covariate_special import trigamma
from customer_models.valuation._covariates import (
    Link,
    check_covariate_names,
)
from customer_models.valuation._fit_rows import row_ids
from customer_models.valuation._gamma_gamma import GammaGammaModel, log_likelihood_gradient_kernel
from customer_models.valuation._kernels import kernel

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import ArrayLike


__all__ = [
    "GammaGammaCovariateModel",
    "spend_log_likelihood_kernel",
    "spend_rows_hessian_kernel",
]


def spend_log_likelihood_kernel(params: Any, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Per-row log density of the mean spend ``m`` of ``x`` transactions; params ``(3, n)``.

    ``lnΓ(px+q) - lnΓ(px) - lnΓ(q) - px log1p(v/(xm)) - q log1p(xm/v) - ln m`` (equation 1a
    of note 025 rearranged so that no large logarithms cancel).

    Examples
    --------
    >>> import numpy as np
    >>> from customer_models.valuation._gamma_gamma import log_likelihood_kernel
    >>> p, x, m = np.array([6.25, 3.74, 15.44]), np.array([1.0, 3.0]), np.array([5.0, 40.0])
    >>> bool(np.allclose(spend_log_likelihood_kernel(p, x, m), log_likelihood_kernel(p, x, m)))
    True
    """
    p, q, v = (np.asarray(a, dtype=np.float64) for a in np.asarray(params, dtype=np.float64))
    px, xm = p * x, x * m
    return np.asarray(
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        - px * np.log1p(v / xm)
        - q * np.log1p(xm / v)
        - np.log(m)
    )


def spend_rows_hessian_kernel(
    params: Any, x: np.ndarray, m: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-row log-likelihood, gradient ``(n, 3)`` and Hessian ``(n, 3, 3)`` in ``(p, q, v)``.

    Examples
    --------
    >>> import numpy as np
    >>> p, x, m = np.array([6.25, 3.74, 15.44]), np.array([1.0, 3.0]), np.array([5.0, 40.0])
    >>> _, g, h = spend_rows_hessian_kernel(p, x, m)
    >>> g.shape, h.shape
    ((2, 3), (2, 3, 3))
    """
    p, q, v = (np.broadcast_to(a, np.shape(x)) for a in np.asarray(params, dtype=np.float64))
    px, xm = p * x, x * m
    s = v + xm
    psi_pq, tri_pq = psi(px + q), trigamma(px + q)
    ll = spend_log_likelihood_kernel(params, x, m)
    grad = np.stack(
        [
            x * (psi_pq - psi(px) - np.log1p(v / xm)),
            psi_pq - psi(q) - np.log1p(xm / v),
            q / v - (px + q) / s,
        ],
        axis=-1,
    )
    h = np.empty((*np.shape(x), 3, 3))
    h[..., 0, 0] = x**2 * (tri_pq - trigamma(px))
    h[..., 0, 1] = h[..., 1, 0] = x * tri_pq
    h[..., 0, 2] = h[..., 2, 0] = -x / s
    h[..., 1, 1] = tri_pq - trigamma(q)
    h[..., 1, 2] = h[..., 2, 1] = 1.0 / v - 1.0 / s
    h[..., 2, 2] = -q / v**2 + (px + q) / s**2
    return ll, grad, h


@dataclass(eq=False, repr=False)
class GammaGammaCovariateModel(CovariateModelInit, CovariateMixin, ValuationModel):
    r"""Gamma-Gamma spend per transaction with covariates: ``v_i = v exp(theta' z_i)``.

    A positive ``theta`` raises spend per transaction by ``exp(theta)`` per unit of the
    covariate (see :mod:`customer_models.valuation._gamma_gamma_covariates`). Fitted on the
    customers with valid spend (``frequency > 0``, ``monetary_value > 0``), as
    :class:`~customer_models.valuation.GammaGammaModel`.

    Parameters
    ----------
    spend_covariates : list of str, optional
        Columns of the summary acting on spend (``theta``).
    penalizer : float, default 0.0
        L2 penalty on the coefficients of the standardized covariates.
    penalizer_coef : float, default 0.0
        The plain model's penalty, applied to the no-covariate fit (start and null model),
        as in :class:`~customer_models.valuation._bgnbd_covariates.BetaGeoCovariateModel`.
    time_unit : str, optional
        Unit label carried to ``time_unit_`` (spend has no time).

    Attributes
    ----------
    params_ : pandas.Series
        ``p, q, v`` (at ``z = 0``), then ``theta:<column>`` on the original scale.
    covariance_, summary_, likelihood_ratio_test_, log_likelihood_, n_customers_
        As in :class:`~customer_models.valuation._bgnbd_covariates.BetaGeoCovariateModel`.

    Examples
    --------
    >>> import pandas as pd
    >>> m = GammaGammaCovariateModel.from_params(p=6.0, q=4.0, v=15.0, **{"theta:vip": 0.5})
    >>> df = pd.DataFrame({"frequency": [0, 0], "monetary_value": [0.0, 0.0], "vip": [0, 1]})
    >>> m.expected_spend(df).round(2).tolist()  # 6 * 15 / 3 = 30, times exp(0.5)
    [30.0, 49.46]
    """

    param_names: ClassVar[tuple[str, ...]] = ("p", "q", "v")
    required_columns: ClassVar[tuple[str, ...]] = ("frequency", "monetary_value")
    _link_prefixes: ClassVar[dict[str, str]] = {"theta": "spend"}
    # the model's own likelihood at z = 0 (contract tests); the fit uses the per-row kernel
    _loglik_gradient_kernel = kernel(log_likelihood_gradient_kernel)
    _check_data = GammaGammaModel._check_data
    _fit_mask = GammaGammaModel._fit_mask
    # the shared fit (CovariateMixin.fit), on the customers with valid spend
    _processes: ClassVar[tuple[str, ...]] = ("spend",)
    _rows_hessian_kernel = kernel(spend_rows_hessian_kernel)
    _rows_loglik_kernel = kernel(spend_log_likelihood_kernel)
    _masked_fit: ClassVar[bool] = True

    spend_covariates: Sequence[str] | None = None

    def _links(self) -> list[Link]:
        names = check_covariate_names(
            self.spend_covariates, "spend_covariates", self.required_columns
        )
        return [Link("theta", ((2, 1.0),), names, "spend")]

    @classmethod
    def _init_from_names(cls, names: list[str]) -> dict[str, Any]:
        return {"spend_covariates": [n.split(":", 1)[1] for n in names]}

    def _rows(self, data: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.Index | None]:
        cols, params, index = self._covariate_rows(data)  # spend has no time unit to check
        return cols["frequency"], cols["monetary_value"], params, index

    def _null_model(self) -> GammaGammaModel:
        return GammaGammaModel(penalizer_coef=self.penalizer_coef)

    def log_likelihood(self, X: Any, *, sample_weight: str | ArrayLike | None = None) -> float:
        """Total log-likelihood of the customers of ``X`` with valid spend.

        Parameters
        ----------
        X : pandas.DataFrame
            ``frequency``, ``monetary_value`` and the covariate columns.
        sample_weight : None, str or array-like
            Per-row counts.

        Returns
        -------
        float
        """
        x, m, params, index = self._rows(X)
        w = self._weights(X, sample_weight, x.size, row_ids(index, x.size))
        keep = (x > 0) & (m > 0) & (w > 0)
        return float(w[keep] @ spend_log_likelihood_kernel(params[:, keep], x[keep], m[keep]))

    def expected_spend(self, data: Any) -> pd.Series | np.ndarray:
        """Conditional expected spend per transaction, ``p (v_i + x m) / (p x + q - 1)``.

        Customers without valid spend (frequency 0 or ``monetary_value <= 0``) get the mean
        of their profile, ``p v_i / (q - 1)``.

        Parameters
        ----------
        data : pandas.DataFrame
            ``frequency``, ``monetary_value`` and the covariate columns.

        Returns
        -------
        pandas.Series
            ``expected_spend`` on ``data``'s index.
        """
        x, m, params, index = self._rows(data)
        p, q, v = params
        valid = (x > 0) & (m > 0)
        x = np.where(valid, x, 0.0)
        infinite = p * x + q <= 1.0
        if np.any(infinite):
            raise ParameterError(
                f"expected_spend is infinite for {int(infinite.sum())} of {x.size} rows "
                f"(p * frequency + q <= 1 with q = {float(q[0]):.4g}): the fitted spend "
                "distribution has no mean for customers without repeat purchases."
            )
        values = p * (v + x * np.where(valid, m, 0.0)) / (p * x + q - 1.0)
        return self._wrap(values, index, "expected_spend")

    def population_mean_spend(self, covariates: Any = None) -> float | pd.Series:
        """Mean spend per transaction ``p v_i / (q - 1)`` of covariate profiles.

        Parameters
        ----------
        covariates : pandas.DataFrame or mapping, optional
            Profiles with exactly the model's covariate columns (required when it has any).

        Returns
        -------
        float or pandas.Series
            A float without covariates; else ``population_mean_spend`` per profile.
        """
        self._require_fitted()
        base, _ = self._base_and_coefs()
        if base[1] <= 1.0:
            raise ParameterError(f"q = {base[1]:.4g} <= 1: the population mean is infinite.")
        params, index = self._profile_params(covariates)
        p, q, v = params
        value = p * v / (q - 1.0)
        if index is None:
            return float(value)
        return pd.Series(value, index=index, name="population_mean_spend")
