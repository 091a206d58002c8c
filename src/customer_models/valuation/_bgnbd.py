"""BG/NBD model (Fader, Hardie and Lee 2005): the estimator and its kernels.

The kernels live by concern and are re-exported here: likelihood, derivatives and P(alive)
in :mod:`customer_models.valuation._bgnbd_likelihood`, expectations and the purchase-count
distribution in :mod:`customer_models.valuation._bgnbd_predictions`, the closed-form DERT in
:mod:`customer_models.valuation._dert`. Each takes ``modified=True`` for MBG/NBD
(:mod:`customer_models.valuation._mbgnbd`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from customer_models.valuation._bgnbd_likelihood import (
    log_likelihood_derivatives_kernel,
    log_likelihood_gradient_kernel,
    log_likelihood_kernel,
    probability_alive_kernel,
)
from customer_models.valuation._bgnbd_predictions import (
    expected_purchases_kernel,
    expected_purchases_new_customer_kernel,
    probability_of_purchases_kernel,
)
from customer_models.valuation._dert import bg_family_dert
from customer_models.valuation._kernels import kernel
from customer_models.valuation._purchase import PurchaseModel

__all__ = [  # the model and its kernels under the house names (its hooks: see _kernels)
    "BetaGeoModel",
    "expected_purchases_kernel",
    "expected_purchases_new_customer_kernel",
    "log_likelihood_derivatives_kernel",
    "log_likelihood_gradient_kernel",
    "log_likelihood_kernel",
    "probability_alive_kernel",
    "probability_of_purchases_kernel",
]


class BetaGeoModel(PurchaseModel, kernels=[globals()]):
    r"""BG/NBD model of repeat purchasing (Fader, Hardie and Lee 2005).

    While active, a customer buys at the jumps of a Poisson process with rate
    ``λ ~ Gamma(r, α)``; after each repeat purchase they become inactive with probability
    ``p ~ Beta(a, b)``. Fitted on one row per customer with ``frequency`` (repeat
    purchases), ``recency`` (time from first to last purchase) and ``T`` (time from first
    purchase to the end of observation), all in one time unit.

    Parameters
    ----------
    penalizer_coef : float, default 0.0
        L2 penalty ``penalizer_coef * (r**2 + (alpha / max T)**2 + a**2 + b**2)`` added to
        the mean negative log-likelihood (unit-free: see
        :class:`~customer_models.valuation.ValuationModel`).
    time_unit : str, optional
        Unit of recency/T/t; default ``data.attrs["time_unit"]``.

    Attributes
    ----------
    params_ : pandas.Series
        ``r, alpha, a, b``.
    covariance_, summary_, log_likelihood_, aic_, bic_, n_customers_, convergence_, time_unit_
        See :class:`~customer_models.valuation.ValuationModel`.

    Notes
    -----
    Individual likelihood:

    .. math::

        L = \frac{B(a, b+x)}{B(a, b)} \frac{\Gamma(r+x) \alpha^r}{\Gamma(r) (\alpha+T)^{r+x}}
          + \delta_{x>0} \frac{B(a+1, b+x-1)}{B(a, b)}
            \frac{\Gamma(r+x) \alpha^r}{\Gamma(r) (\alpha+t_x)^{r+x}}

    evaluated in log space with an analytic gradient. The conditional expectation uses the
    Euler transform of the Gaussian hypergeometric function, so it stays finite for any
    frequency.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005), "Counting your customers the easy
    way: an alternative to the Pareto/NBD model", Marketing Science 24(2), 275-284.

    Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005), "Deriving an expression for
    P(X(t) = x) under the Pareto/NBD and BG/NBD models" (note).

    Examples
    --------
    >>> from customer_models import load_cdnow_summary
    >>> from customer_models.valuation import BetaGeoModel
    >>> model = BetaGeoModel().fit(load_cdnow_summary())
    >>> model.params_.round(3).tolist(), round(model.log_likelihood_, 2)
    ([0.243, 4.414, 0.793, 2.426], -9582.43)
    """

    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")
    _default_initial_params: ClassVar[tuple[float, ...]] = (1.0, 1.0, 1.0, 1.0)
    _penalty_scale_columns: ClassVar[Mapping[str, str]] = {"alpha": "T"}
    _separable_expectation = True
    _dert_kernel = kernel(bg_family_dert(0.0))
