"""Pareto/NBD model (Schmittlein, Morrison and Colombo 1987): the estimator and its kernels.

The kernels live by concern and are re-exported here: likelihood, P(alive) and the fit's
coordinates in :mod:`customer_models.valuation._pareto_nbd_likelihood` (its ``A_0`` integral
in :mod:`customer_models.valuation._pareto_nbd_integral`), expectations and the purchase-count
distribution in :mod:`customer_models.valuation._pareto_nbd_predictions`, the closed-form
DERT in :mod:`customer_models.valuation._dert`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import numpy as np

from customer_models.valuation._dert import pareto_nbd_dert
from customer_models.valuation._kernels import kernel
from customer_models.valuation._optimize import Coordinates
from customer_models.valuation._pareto_nbd_likelihood import (
    MeanDropoutCoordinates,
    log_likelihood_gradient_kernel,
    log_likelihood_kernel,
    probability_alive_kernel,
)
from customer_models.valuation._pareto_nbd_predictions import (
    expected_purchases_kernel,
    expected_purchases_new_customer_kernel,
    probability_of_purchases_kernel,
)
from customer_models.valuation._purchase import PurchaseModel

__all__ = ["MeanDropoutCoordinates", "ParetoNBDModel"]  # and the kernels above


class ParetoNBDModel(PurchaseModel):
    r"""Pareto/NBD model of repeat purchasing (Schmittlein, Morrison and Colombo 1987).

    While active, a customer buys at the jumps of a Poisson process with rate
    ``λ ~ Gamma(r, α)``; their unobserved lifetime is exponential with rate
    ``μ ~ Gamma(s, β)``. Fitted on ``frequency``, ``recency`` and ``T`` (one time unit).

    Parameters
    ----------
    penalizer_coef : float, default 0.0
        L2 penalty ``penalizer_coef * (r**2 + (alpha / max T)**2 + s**2 + (beta / max T)**2)``
        on the mean negative log-likelihood (unit-free: see
        :class:`~customer_models.valuation.ValuationModel`).
    time_unit : str, optional
        Unit of recency/T/t; default ``data.attrs["time_unit"]``.

    Attributes
    ----------
    params_ : pandas.Series
        ``r, alpha, s, beta``.
    covariance_, summary_, log_likelihood_, aic_, bic_, n_customers_, convergence_, time_unit_
        See :class:`~customer_models.valuation.ValuationModel`.

    Notes
    -----
    .. math::

        L = \frac{\Gamma(r+x)\alpha^r\beta^s}{\Gamma(r)}
            \left[\frac{1}{(\alpha+T)^{r+x}(\beta+T)^s} + \frac{s}{r+s+x} A_0\right]

    with ``A_0`` the difference of two Gaussian hypergeometric terms (see the module
    docstring for the stable Euler-transformed evaluation, finite for any frequency).
    ``probability_of_purchases`` mixes the Pareto/NBD count distribution over the posterior
    given alive (see :func:`probability_of_purchases_kernel`).

    References
    ----------
    Schmittlein, D. C., Morrison, D. G. and Colombo, R. (1987), "Counting your customers: who
    are they and what will they do next?", Management Science 33(1), 1-24.

    Fader, P. S. and Hardie, B. G. S. (2005), "A note on deriving the Pareto/NBD model and
    related expressions".

    Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005), "Deriving an expression for
    P(X(t) = x) under the Pareto/NBD model" (note 028; conditional version, eq. 16).

    Examples
    --------
    >>> from customer_models import load_cdnow_summary
    >>> from customer_models.valuation import ParetoNBDModel
    >>> model = ParetoNBDModel().fit(load_cdnow_summary())
    >>> model.params_.round(2).tolist(), round(model.log_likelihood_, 1)
    ([0.55, 10.58, 0.61, 11.67], -9595.0)
    """

    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "s", "beta")
    _default_initial_params: ClassVar[tuple[float, ...]] = (1.0, 1.0, 1.0, 1.0)
    _penalty_scale_columns: ClassVar[Mapping[str, str]] = {"alpha": "T", "beta": "T"}
    _separable_expectation = True
    _loglik_kernel = kernel(log_likelihood_kernel)
    _loglik_gradient_kernel = kernel(log_likelihood_gradient_kernel)
    _alive_kernel = kernel(probability_alive_kernel)
    _expected_kernel = kernel(expected_purchases_kernel)
    _pmf_kernel = kernel(probability_of_purchases_kernel)
    _new_customer_kernel = kernel(expected_purchases_new_customer_kernel)
    _dert_kernel = kernel(pareto_nbd_dert)

    @classmethod
    def _optimizer_coordinates(cls) -> Coordinates:
        return MeanDropoutCoordinates()

    @classmethod
    def _initial_params(cls, columns: tuple[np.ndarray, ...], weights: np.ndarray) -> np.ndarray:
        init = super()._initial_params(columns, weights)
        init[3] = init[1]  # dropout scale on the same time scale as the purchase rate
        return init
