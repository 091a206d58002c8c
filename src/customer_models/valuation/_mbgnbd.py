"""MBG/NBD model (Batislam, Denizel and Filiztekin 2007): the BG/NBD kernels with ``modified``.

MBG/NBD differs from BG/NBD only in that the dropout coin is also tossed right after the first
purchase, so a customer without repeat purchases may be inactive: the ``[x > 0]`` indicator of
the dropout branch becomes 1 and ``b`` becomes ``b + 1`` in the beta functions of ``x``
(see :mod:`customer_models.valuation._bgnbd_likelihood`). Its kernels are the BG/NBD ones with
``modified=True``, under the same names.
"""

from __future__ import annotations

from functools import partial

from customer_models.valuation import _bgnbd
from customer_models.valuation._bgnbd import BetaGeoModel
from customer_models.valuation._dert import bg_family_dert
from customer_models.valuation._kernels import kernel

__all__ = ["ModifiedBetaGeoModel"]  # and its kernels, under the BG/NBD names

log_likelihood_kernel = partial(_bgnbd.log_likelihood_kernel, modified=True)
log_likelihood_gradient_kernel = partial(_bgnbd.log_likelihood_gradient_kernel, modified=True)
log_likelihood_derivatives_kernel = partial(_bgnbd.log_likelihood_derivatives_kernel, modified=True)
probability_alive_kernel = partial(_bgnbd.probability_alive_kernel, modified=True)
expected_purchases_kernel = partial(_bgnbd.expected_purchases_kernel, modified=True)
expected_purchases_new_customer_kernel = partial(
    _bgnbd.expected_purchases_new_customer_kernel, modified=True
)
probability_of_purchases_kernel = partial(_bgnbd.probability_of_purchases_kernel, modified=True)


class ModifiedBetaGeoModel(BetaGeoModel, kernels=[globals()]):
    r"""MBG/NBD model (Batislam, Denizel and Filiztekin 2007).

    As :class:`~customer_models.valuation.BetaGeoModel` (same columns, constructor
    parameters, model parameters ``r, alpha, a, b``, attributes and methods), but the dropout
    coin ``p ~ Beta(a, b)`` is also tossed right after the first purchase, so customers
    without repeat purchases can be inactive (in BG/NBD they are always alive).

    Notes
    -----
    .. math::

        L = \frac{B(a, b+x+1)}{B(a, b)} \frac{\Gamma(r+x)\alpha^r}{\Gamma(r)}
            \left[\frac{1}{(\alpha+T)^{r+x}} + \frac{a}{b+x} \frac{1}{(\alpha+t_x)^{r+x}}\right]

    References
    ----------
    Batislam, E. P., Denizel, M. and Filiztekin, A. (2007), "Empirical validation and
    comparison of models for customer base analysis", International Journal of Research in
    Marketing 24(3), 201-209.

    Examples
    --------
    >>> from customer_models import load_cdnow_summary
    >>> from customer_models.valuation import ModifiedBetaGeoModel
    >>> model = ModifiedBetaGeoModel().fit(load_cdnow_summary())
    >>> model.convergence_.success
    True
    """

    _dert_kernel = kernel(bg_family_dert(1.0))
