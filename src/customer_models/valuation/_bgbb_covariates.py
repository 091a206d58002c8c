r"""BG/BB with static covariates in the transaction and the dropout process.

Parametrization: a customer ``i`` with covariates ``z_i`` transacts at each opportunity it
is alive for with probability ``p_i ~ Beta(alpha_i, beta_i)`` and dies at the start of an
opportunity with probability ``theta_i ~ Beta(gamma_i, delta_i)`` (Fader, Hardie and Shang
2010), where (``purchase_link="separate"``, ``dropout_link="separate"``)

.. math::

    \alpha_i = \alpha e^{\kappa_\alpha' z_i}, \quad \beta_i = \beta e^{\kappa_\beta' z_i},
    \quad \gamma_i = \gamma e^{\kappa_\gamma' z_i}, \quad \delta_i = \delta e^{\kappa_\delta' z_i},

with coefficients named after the parameter they act on (``alpha:<column>``,
``beta:<column>``, ``gamma:<column>``, ``delta:<column>``): the log-linear link of the BG/NBD
covariate model's dropout process (``a_i = a exp(delta_a'z)``) on each beta distribution.
Signs: ``E[p_i] = alpha_i / (alpha_i + beta_i)``, so a **positive** ``alpha:<column>`` (or a
negative ``beta:<column>``) **raises the transaction probability**;
``E[theta_i] = gamma_i / (gamma_i + delta_i)``, so a **positive** ``gamma:<column>`` (or a
negative ``delta:<column>``) **raises dropout**. A ``"shared"`` link puts one vector on both
parameters of a process (``purchase:<column>`` on ``alpha`` and ``beta``, ``dropout:<column>``
on ``gamma`` and ``delta``): the mean stays and only the concentration moves.

The per-row likelihood, its derivatives and the prediction kernels are in
:mod:`customer_models.valuation._bgbb_covariate_kernels`.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from customer_models.exceptions import ParameterError
from customer_models.valuation._beta_covariates import (
    BetaCovariateMixin,
    by_prefix,
    link_arguments,
    link_pair,
)
from customer_models.valuation._bgbb import (
    BetaGeoBetaBinomModel,
    log_likelihood_gradient_kernel,
    log_likelihood_kernel,
)
from customer_models.valuation._bgbb_covariate_kernels import (
    bgbb_log_likelihood_rows,
    bgbb_rows_gradient_kernel,
    bgbb_rows_hessian_kernel,
    expected_purchases_new_customer_rows,
    expected_purchases_rows,
    probability_alive_rows,
    probability_of_purchases_rows,
)
from customer_models.valuation._covariate_init import CovariateModelInit
from customer_models.valuation._covariates import Link, check_covariate_names
from customer_models.valuation._discrete import (
    DiscretePurchaseModel,
    whole_period_ends,
    whole_periods,
)
from customer_models.valuation._kernels import kernel

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import ArrayLike


# the per-row kernels are also imported from here (benchmarks/bench_covariates_discrete.py)
__all__ = [
    "BetaGeoBetaBinomCovariateModel",
    "bgbb_log_likelihood_rows",
    "bgbb_rows_gradient_kernel",
    "bgbb_rows_hessian_kernel",
]


_PURCHASE = ("alpha", "beta", "purchase")
_DROPOUT = ("gamma", "delta", "dropout")


@dataclass(eq=False, repr=False)
class BetaGeoBetaBinomCovariateModel(CovariateModelInit, BetaCovariateMixin, DiscretePurchaseModel):
    r"""BG/BB with static covariates on ``p_i ~ Beta(alpha_i, beta_i)``, ``theta_i ~ Beta(...)``.

    ``theta_i ~ Beta(gamma_i, delta_i)``; each parameter is ``base * exp(coefficients' z_i)``.

    A positive ``alpha:<column>`` (negative ``beta:<column>``) raises the transaction
    probability; a positive ``gamma:<column>`` (negative ``delta:<column>``) raises dropout (see
    :mod:`customer_models.valuation._bgbb_covariates`).

    Parameters
    ----------
    purchase_covariates : list of str, optional
        Columns acting on the transaction probability (``alpha:``, ``beta:``; or
        ``purchase:``).
    dropout_covariates : list of str, optional
        Columns acting on the dropout probability (``gamma:``, ``delta:``; or ``dropout:``).
    purchase_link, dropout_link : {"separate", "shared"}, default "separate"
        One coefficient vector per beta parameter, or one on both of the process (which
        moves the concentration, not the mean).
    penalizer : float or dict, default 0.0
        L2 penalty on the coefficients of the standardized covariates, one number or
        ``{"purchase": ..., "dropout": ...}``.
    penalizer_coef : float, default 0.0
        The plain model's penalty, applied to the no-covariate fit (start and null model).
    time_unit : str, optional
        Name of one transaction opportunity; default ``data.attrs["time_unit"]``.

    Attributes
    ----------
    params_ : pandas.Series
        ``alpha, beta, gamma, delta`` (at ``z = 0``), then the coefficients on the original
        covariate scale.
    covariance_, summary_, likelihood_ratio_test_, log_likelihood_, aic_, bic_, n_customers_
        As in :class:`~customer_models.valuation._bgnbd_covariates.BetaGeoCovariateModel`;
        the null model is :class:`~customer_models.valuation.BetaGeoBetaBinomModel`.

    Notes
    -----
    Covariates are standardized for the optimizer and the results mapped back; a constant
    column has its coefficient fixed at 0, and with only such columns the fit is exactly the
    BG/BB fit. Rows are compressed on ``(x, t_x, n, z)`` when the covariates take few
    values (categorical). Predictions read each customer's covariates from the same columns
    of ``data``; ``expected_purchases_new_customer`` takes ``covariates=`` profiles.

    Examples
    --------
    >>> import pandas as pd
    >>> m = BetaGeoBetaBinomCovariateModel.from_params(
    ...     alpha=1.2, beta=0.75, gamma=0.66, delta=2.8,
    ...     **{"alpha:web": 0.5, "beta:web": 0.0})
    >>> e = m.expected_purchases_new_customer(t=6, covariates=pd.DataFrame({"web": [0, 1]}))
    >>> e.round(3).tolist()
    [2.217, 2.612]
    >>> import numpy as np  # only E[p] = alpha_i / (alpha_i + beta) moves with web
    >>> a1 = 1.2 * np.exp(0.5)
    >>> bool(np.isclose(e[1] / e[0], (a1 / (a1 + 0.75)) / (1.2 / 1.95)))
    True
    """

    param_names: ClassVar[tuple[str, ...]] = ("alpha", "beta", "gamma", "delta")
    _link_prefixes: ClassVar[dict[str, str]] = {
        **dict.fromkeys(_PURCHASE, "purchase"),
        **dict.fromkeys(_DROPOUT, "dropout"),
    }
    _default_initial_params: ClassVar[tuple[float, ...]] = (1.0, 1.0, 1.0, 1.0)
    # the model's likelihood at z = 0 (contract tests); fit and predictions use the per-row
    # kernels of _bgbb_covariate_kernels, so the class declares no prediction kernels
    _loglik_kernel = kernel(log_likelihood_kernel)
    _loglik_gradient_kernel = kernel(log_likelihood_gradient_kernel)
    # the fit (CovariateMixin.fit) and log_likelihood
    _null_class = BetaGeoBetaBinomModel
    _processes = ("purchase", "dropout")
    _rows_hessian_kernel = kernel(bgbb_rows_hessian_kernel)
    _rows_loglik_kernel = kernel(bgbb_log_likelihood_rows)
    _chord_gradient_kernel = kernel(bgbb_rows_gradient_kernel)

    purchase_covariates: Sequence[str] | None = None
    _: KW_ONLY
    dropout_covariates: Sequence[str] | None = None
    purchase_link: str = "separate"
    dropout_link: str = "separate"

    def _links(self) -> list[Link]:
        reserved = self.required_columns
        purchase = check_covariate_names(self.purchase_covariates, "purchase_covariates", reserved)
        dropout = check_covariate_names(self.dropout_covariates, "dropout_covariates", reserved)
        return link_pair(purchase, self.purchase_link, "purchase_link", (0, 1), _PURCHASE) + (
            link_pair(dropout, self.dropout_link, "dropout_link", (2, 3), _DROPOUT)
        )

    @classmethod
    def _init_from_names(cls, names: list[str]) -> dict[str, Any]:
        prefixes = by_prefix(names)
        purchase, purchase_link = link_arguments(prefixes, _PURCHASE)
        dropout, dropout_link = link_arguments(prefixes, _DROPOUT)
        return {
            "purchase_covariates": purchase,
            "dropout_covariates": dropout,
            "purchase_link": purchase_link,
            "dropout_link": dropout_link,
        }

    # ------------------------------------------------------------------ evaluation
    def _rows(
        self, data: Any
    ) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], np.ndarray, pd.Index | None]:
        cols, params, index = self._covariate_rows(data)
        return (cols["frequency"], cols["recency"], cols["n_periods"]), params, index

    def probability_alive(self, data: Any, *, periods_ahead: int = 1) -> pd.Series | np.ndarray:
        """P(alive at opportunity ``n + periods_ahead``) of each customer at its covariates.

        Parameters
        ----------
        data : pandas.DataFrame
            ``frequency``, ``recency``, ``n_periods`` and the covariate columns.
        periods_ahead : int, default 1
            Whole number of opportunities after ``n``.

        Returns
        -------
        pandas.Series
            ``probability_alive`` on ``data``'s index.
        """
        m = whole_periods(periods_ahead, "periods_ahead", scalar=True)
        histories, params, index = self._rows(data)
        return self._wrap(probability_alive_rows(params, *histories, m), index, "probability_alive")

    def expected_purchases(self, data: Any, *, t: int | ArrayLike) -> pd.Series | np.ndarray:
        """``E[X(n, n + t) | history, covariates]``: transactions in the next ``t`` opportunities.

        Parameters
        ----------
        data : pandas.DataFrame
            ``frequency``, ``recency``, ``n_periods`` and the covariate columns.
        t : int or array-like of int
            Future opportunities (a scalar, or one value per row).

        Returns
        -------
        pandas.Series
            ``expected_purchases`` on ``data``'s index.
        """
        t_arr = whole_periods(t, "t")
        histories, params, index = self._rows(data)
        size = histories[0].size
        if t_arr.size != 1 and t_arr.size != size:
            raise ParameterError(
                f"t must be a scalar or have one value per row ({size}); got {t_arr.size}."
            )
        horizon = t_arr.reshape(()) if t_arr.size == 1 else t_arr
        e = expected_purchases_rows(params, *histories, horizon)
        return self._wrap(np.broadcast_to(e, (size,)).copy(), index, "expected_purchases")

    def _expected_over_times(self, data: Any) -> Any:
        """Return ``times -> E[X(n, n + t)]`` per row at its covariates, validated once (CLV)."""
        histories, params, _ = self._rows(data)
        size = histories[0].size

        def expected(times: Any) -> np.ndarray:
            t_arr = whole_period_ends(times, type(self).__name__)
            if not (t_arr.ndim == 2 and t_arr.shape[1] == size):
                t_arr = t_arr[..., None]
            return np.broadcast_to(
                expected_purchases_rows(params, *histories, t_arr), (*t_arr.shape[:-1], size)
            ).copy()

        return expected

    def probability_of_purchases(self, data: Any, *, n: int, t: int) -> pd.Series | np.ndarray:
        """``P(X(n_periods, n_periods + t) = n | history, covariates)`` per customer.

        Parameters
        ----------
        data : pandas.DataFrame
            ``frequency``, ``recency``, ``n_periods`` and the covariate columns.
        n : int
            Number of future transactions (whole number >= 0).
        t : int
            Future transaction opportunities (whole number >= 0).

        Returns
        -------
        pandas.Series
            ``probability_of_purchases`` on ``data``'s index.
        """
        k = float(whole_periods(n, "n", scalar=True))
        horizon = int(whole_periods(t, "t", scalar=True))
        histories, params, index = self._rows(data)
        p = probability_of_purchases_rows(params, *histories, horizon, k)
        return self._wrap(p, index, "probability_of_purchases")

    def expected_purchases_new_customer(
        self, *, t: int | ArrayLike, covariates: Any = None
    ) -> float | np.ndarray | pd.Series:
        """Return the expected transactions of a new customer in its first ``t`` opportunities.

        Parameters
        ----------
        t : int or array-like of int
            Transaction opportunities.
        covariates : pandas.DataFrame or mapping, optional
            Covariate profiles, one row each, with exactly the model's covariate columns
            (required when the model has covariates; a mapping is one profile).

        Returns
        -------
        float, numpy.ndarray, pandas.Series or pandas.DataFrame
            Without covariates as :meth:`BetaGeoBetaBinomModel.expected_purchases_new_customer`;
            with, a Series ``expected_purchases`` per profile (scalar ``t``) or a DataFrame
            (profiles x t).
        """
        self._require_fitted()
        t_arr = whole_periods(t, "t")
        return self._at_profiles(
            lambda p: expected_purchases_new_customer_rows(p, t_arr),
            t_arr,
            covariates,
            "expected_purchases",
        )
