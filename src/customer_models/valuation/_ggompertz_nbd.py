"""GGompertz/NBD model (Bemmaor and Glady 2012): the estimator and its kernels.

The kernels live by concern: likelihood and P(alive) in
:mod:`customer_models.valuation._ggompertz_likelihood`, expectations and the purchase-count
distribution in :mod:`customer_models.valuation._ggompertz_predictions`, the fixed-grid
quadrature both use in :mod:`customer_models.valuation._ggompertz_integral`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import numpy as np

from customer_models.valuation import _ggompertz_likelihood, _ggompertz_predictions
from customer_models.valuation._purchase import PurchaseModel

__all__ = ["GGompertzNBDModel"]


class GGompertzNBDModel(PurchaseModel, kernels=(_ggompertz_likelihood, _ggompertz_predictions)):
    r"""GGompertz/NBD model of repeat purchasing (Bemmaor and Glady 2012).

    While active, a customer buys at the jumps of a Poisson process with rate
    ``λ ~ Gamma(r, α)``; their lifetime has the Gompertz hazard ``b η e^(bτ)`` with
    ``η ~ Gamma(s, β)`` across customers (the gamma/Gompertz distribution), so that
    ``P(τ > t) = (β / (β + e^(bt) − 1))^s``. Unlike Pareto/NBD's exponential lifetimes, the
    lifetime density can have an interior mode; as ``b → 0`` with ``β / b`` fixed the model
    becomes Pareto/NBD with dropout scale ``β / b``. Fitted on ``frequency``, ``recency``
    and ``T`` (one time unit).

    Parameters
    ----------
    penalizer_coef : float, default 0.0
        L2 penalty ``penalizer_coef * (r**2 + (alpha / max T)**2 + b**2 + s**2 + beta**2)``
        on the mean negative log-likelihood (``b`` is per time unit, so its penalty, unlike
        the others, depends on the unit).
    time_unit : str, optional
        Unit of recency/T/t; default ``data.attrs["time_unit"]``.

    Attributes
    ----------
    params_ : pandas.Series
        ``r, alpha, b, s, beta`` (the order of CLVTools' ``ggomnbd``).
    covariance_, summary_, log_likelihood_, aic_, bic_, n_customers_, convergence_, time_unit_
        See :class:`~customer_models.valuation.ValuationModel`.

    Notes
    -----
    .. math::

        L = \frac{\Gamma(r+x)\alpha^r}{\Gamma(r)} \left[
            \frac{1}{(\alpha+T)^{r+x}} \left(\frac{\beta}{\beta + e^{bT} - 1}\right)^s
            + s b \beta^s \int_{t_x}^{T}
              \frac{e^{b\tau}\,d\tau}{(\alpha+\tau)^{r+x}(\beta + e^{b\tau} - 1)^{s+1}}
            \right]

    The integrals (likelihood, expectation, count distribution) are evaluated on a fixed
    tanh-sinh grid (two panels of 101 nodes, split where the lifetime changes regime) after
    a change of variable that makes their steepest factor
    exactly exponential (see :mod:`customer_models.valuation._ggompertz_integral`), for all
    rows at once. The gradient is analytic (the integral's derivative on the same nodes);
    the Hessian comes from differences of it. There is no closed-form DERT:
    ``customer_lifetime_value`` integrates the expectation, once per distinct
    ``(frequency, T)`` (``_separable_expectation``).

    The likelihood integral is the difference of two tails, ``∫_{t_x}^H − ∫_T^H`` (``H`` the
    power of two at or above ``T``), each integrated once for all the customers that share it.

    References
    ----------
    Bemmaor, A. C. and Glady, N. (2012), "Modeling purchasing behavior with sudden 'death':
    a flexible customer lifetime model", Management Science 58(5), 1012-1021.

    Adler, J. (2022), "Comment on 'Modeling purchasing behavior with sudden death'",
    Management Science 69(3), 1929-1930.

    Examples
    --------
    >>> from customer_models.valuation._ggompertz_nbd import GGompertzNBDModel
    >>> m = GGompertzNBDModel.from_params(r=0.553, alpha=10.578, b=0.0002, s=0.603, beta=0.0026)
    >>> round(float(m.expected_purchases_new_customer(t=39)), 4)
    1.2555
    """

    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "b", "s", "beta")
    _default_initial_params: ClassVar[tuple[float, ...]] = (1.0, 1.0, 1.0, 1.0, 1.0)
    _penalty_scale_columns: ClassVar[Mapping[str, str]] = {"alpha": "T"}
    _separable_expectation = True  # given alive, the lifetime posterior depends on T only

    @classmethod
    def _initial_params(cls, columns: tuple[np.ndarray, ...], weights: np.ndarray) -> np.ndarray:
        init = super()._initial_params(columns, weights)
        _, _, T = columns
        horizon = max(float(np.max(T)), 1e-3)
        init[2] = 1.0 / horizon  # hazard growth e^(bT) = e at the longest observation
        init[4] = 1.0
        return init
