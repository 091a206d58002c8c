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

from dataclasses import KW_ONLY, dataclass
from functools import partial
from typing import Any, ClassVar

from customer_models.exceptions import ParameterError
from customer_models.valuation._beta_covariates import by_prefix, link_pair
from customer_models.valuation._bgnbd import BetaGeoModel
from customer_models.valuation._bgnbd_likelihood import (
    log_likelihood_rows_hessian_kernel,
)
from customer_models.valuation._covariate_model import PurchaseCovariateMixin
from customer_models.valuation._covariates import (
    Link,
)
from customer_models.valuation._kernels import kernel
from customer_models.valuation._mbgnbd import ModifiedBetaGeoModel
from customer_models.valuation._purchase import PurchaseModel

__all__ = ["BetaGeoCovariateModel", "ModifiedBetaGeoCovariateModel"]

#: The dropout coefficients of each beta parameter and the shared one (see :func:`link_pair`).
_DROPOUT = ("delta_a", "delta_b", "delta")


@dataclass(eq=False, repr=False)
class BetaGeoCovariateModel(PurchaseCovariateMixin, PurchaseModel):
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
    shared_covariates : list of str, optional
        Columns whose effect is constrained equal in both processes (CLVTools' equality
        constraint): one coefficient ``shared:<column>``, ``alpha_i = alpha exp(-c z)``,
        ``a_i = a exp(c z)``, ``b_i = b exp(c z)``. Not also in the two lists above.
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
        "shared": "purchase",  # shared_covariates: the penalty of the purchase process
    }
    _null_class: ClassVar[type[BetaGeoModel]] = BetaGeoModel
    _rows_hessian_kernel = kernel(log_likelihood_rows_hessian_kernel)

    _: KW_ONLY
    dropout_link: str = "separate"

    # ------------------------------------------------------------------ declaration
    def _links(self) -> list[Link]:
        purchase, dropout = self._process_columns()
        links = link_pair(
            dropout, self.dropout_link, "dropout_link", (2, 3), _DROPOUT, process="dropout"
        )
        # CLVTools' equality constraint: alpha_i = alpha e^(-g z), a_i = a e^(g z), b_i = b e^(g z)
        return [
            Link("gamma", ((1, -1.0),), purchase, "purchase"),
            *links,
            *self._shared_link(((1, -1.0), (2, 1.0), (3, 1.0))),
        ]

    @classmethod
    def _init_from_names(cls, names: list[str]) -> dict[str, Any]:
        prefixes = by_prefix(names)
        shared = "delta" in prefixes
        if shared and ("delta_a" in prefixes or "delta_b" in prefixes):
            raise ParameterError("give either delta:<column> or delta_a:/delta_b:, not both.")
        if not shared and prefixes.get("delta_a", []) != prefixes.get("delta_b", []):
            raise ParameterError(
                "delta_a and delta_b need the same columns in the same order; got "
                f"{prefixes.get('delta_a', [])} and {prefixes.get('delta_b', [])}."
            )
        return {
            "purchase_covariates": prefixes.get("gamma", []),
            "dropout_covariates": prefixes.get("delta" if shared else "delta_a", []),
            "dropout_link": "shared" if shared else "separate",
            "shared_covariates": prefixes.get("shared", []),
        }


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

    _null_class: ClassVar[type[BetaGeoModel]] = ModifiedBetaGeoModel
    _rows_hessian_kernel = kernel(partial(log_likelihood_rows_hessian_kernel, modified=True))
