r"""The shifted-beta-geometric model with static covariates on the churn distribution.

Parametrization: a customer ``i`` with covariates ``z_i`` churns at the end of each period
with probability ``theta_i ~ Beta(alpha_i, beta_i)``, where

.. math::

    \alpha_i = \alpha \exp(\delta_\alpha' z_i), \qquad \beta_i = \beta \exp(\delta_\beta' z_i)

(``dropout_link="separate"``, coefficients ``alpha:<column>`` and ``beta:<column>``), the
analogue of the BG/NBD covariate model's dropout link (``a_i = a exp(delta_a'z)``). The mean
churn probability is ``alpha_i / (alpha_i + beta_i)``, so a **positive** ``alpha:<column>``
(or a **negative** ``beta:<column>``) **raises churn**. With ``dropout_link="shared"`` one
vector ``dropout:<column>`` acts on both, ``alpha_i = alpha exp(delta'z)``,
``beta_i = beta exp(delta'z)``: the mean churn probability stays ``alpha / (alpha + beta)``
and the covariate moves only the concentration ``alpha_i + beta_i`` (a positive coefficient
makes the churn probabilities of those customers more alike).

pymc-marketing's ``ShiftedBetaGeoModel`` (``dropout_covariate_cols``) uses the opposite sign,
``alpha = alpha_scale exp(-dropout_coefficient_alpha'z)`` and
``beta = beta_scale exp(-dropout_coefficient_beta'z)`` (after Fader & Hardie's note 019), so
its ``dropout_coefficient_alpha`` is ``-alpha:<column>`` here and its
``dropout_coefficient_beta`` is ``-beta:<column>``; it is fitted by MCMC or MAP, this model by
maximum likelihood.

References
----------
Fader, P. S. and Hardie, B. G. S. (2007), "How to Project Customer Retention", Journal of
Interactive Marketing, 21 (1), 76-90.

pymc-marketing, ``pymc_marketing/clv/models/shifted_beta_geo.py``
(``ShiftedBetaGeoModel.build_model``: ``alpha_scale * exp(-dot(dropout_data,
dropout_coefficient_alpha))``, the same for ``beta``).

The fit is Newton's method on the exact chain-rule Hessian
(:func:`~customer_models.valuation._covariate_fit.fit_links`) from the per-row derivatives of
:func:`sbg_rows_hessian_kernel` (digamma and trigamma closed forms of the beta-function
likelihood, in :mod:`customer_models.valuation._sbg_covariate_kernels`); the link helpers
shared with the BG/BB covariate model are in :mod:`customer_models.valuation._beta_covariates`.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from customer_models._validation import as_pandas, check_number, require_columns
from customer_models.exceptions import ParameterError
from customer_models.valuation._beta_covariates import (
    BetaCovariateMixin,
    by_prefix,
    link_arguments,
    link_pair,
)
from customer_models.valuation._contractual import ContractualModel, _whole
from customer_models.valuation._covariate_init import CovariateModelInit
from customer_models.valuation._covariates import Link, check_covariate_names
from customer_models.valuation._kernels import kernel
from customer_models.valuation._sbg import (
    ShiftedBetaGeoModel,
    log_likelihood_gradient_kernel,
    log_likelihood_kernel,
)
from customer_models.valuation._sbg_covariate_kernels import (
    sbg_log_likelihood_rows,
    sbg_residual_lifetime_rows,
    sbg_rows_hessian_kernel,
    sbg_survival_rows,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import ArrayLike


__all__ = ["ShiftedBetaGeoCovariateModel"]


_NAMES = ("alpha", "beta", "dropout")


@dataclass(eq=False, repr=False)
class ShiftedBetaGeoCovariateModel(CovariateModelInit, BetaCovariateMixin, ContractualModel):
    r"""sBG with static covariates: churn ``theta_i ~ Beta(alpha_i, beta_i)``.

    ``alpha_i = alpha exp(alpha'z_i)``, ``beta_i = beta exp(beta'z_i)`` (coefficients
    ``alpha:<column>``, ``beta:<column>``): a positive ``alpha:<column>`` or a negative
    ``beta:<column>`` raises the mean churn probability ``alpha_i / (alpha_i + beta_i)``. The
    sign is the opposite of pymc-marketing's ``dropout_coefficient_alpha/beta`` (see
    :mod:`customer_models.valuation._sbg_covariates`).

    Parameters
    ----------
    dropout_covariates : list of str, optional
        Columns of the data acting on the churn distribution.
    dropout_link : {"separate", "shared"}, default "separate"
        ``"separate"``: one coefficient vector on each of ``alpha`` and ``beta``;
        ``"shared"``: one vector ``dropout:<column>`` on both (moves only the concentration).
    penalizer : float or dict, default 0.0
        L2 penalty on the coefficients of the standardized covariates (``{"dropout": ...}``).
    penalizer_coef : float, default 0.0
        The plain model's penalty, applied to the no-covariate fit (start and null model).
    time_unit : str, optional
        Length of one period; default ``data.attrs["time_unit"]``.

    Attributes
    ----------
    params_ : pandas.Series
        ``alpha, beta`` (at ``z = 0``), then the coefficients on the original covariate scale.
    covariance_, summary_, likelihood_ratio_test_, log_likelihood_, aic_, bic_, n_customers_
        As in :class:`~customer_models.valuation._bgnbd_covariates.BetaGeoCovariateModel`;
        the null model of the test is :class:`~customer_models.valuation.ShiftedBetaGeoModel`.

    Notes
    -----
    Every covariate column is standardized for the optimizer and the results mapped back,
    so shifting a column moves only the intercepts; a constant column (e.g. all zeros) has
    its coefficient fixed at 0, and with only such columns the fit is exactly the sBG fit.
    The cohort curves (``survival``, ``retention_rate``, ``expected_lifetime``) take
    ``covariates=`` profiles (a DataFrame of exactly the covariate columns, one row per
    profile or per customer, or a mapping for one profile);
    ``expected_residual_lifetime`` reads each customer's covariates from its data frame.

    Examples
    --------
    >>> import pandas as pd
    >>> m = ShiftedBetaGeoCovariateModel.from_params(
    ...     alpha=0.7, beta=1.2, **{"alpha:web": 0.5, "beta:web": 0.0})
    >>> # S(1) = beta_i / (alpha_i + beta_i): 1.2 / 1.9, then alpha_i = 0.7 exp(0.5)
    >>> m.survival(1, covariates=pd.DataFrame({"web": [0.0, 1.0]})).round(4).tolist()
    [0.6316, 0.5097]
    """

    param_names: ClassVar[tuple[str, ...]] = ("alpha", "beta")
    _link_prefixes: ClassVar[dict[str, str]] = dict.fromkeys(_NAMES, "dropout")
    _default_initial_params: ClassVar[tuple[float, ...]] = (1.0, 1.0)
    # the model's likelihood at z = 0 (contract tests); the fit uses the per-row kernels
    _loglik_kernel = kernel(log_likelihood_kernel)
    _loglik_gradient_kernel = kernel(log_likelihood_gradient_kernel)
    # the fit (CovariateMixin.fit) and log_likelihood
    _null_class = ShiftedBetaGeoModel
    _processes = ("dropout",)
    _rows_hessian_kernel = kernel(sbg_rows_hessian_kernel)
    _rows_loglik_kernel = kernel(sbg_log_likelihood_rows)

    dropout_covariates: Sequence[str] | None = None
    _: KW_ONLY
    dropout_link: str = "separate"

    def _links(self) -> list[Link]:
        columns = check_covariate_names(
            self.dropout_covariates, "dropout_covariates", self.required_columns
        )
        return link_pair(columns, self.dropout_link, "dropout_link", (0, 1), _NAMES)

    @classmethod
    def _init_from_names(cls, names: list[str]) -> dict[str, Any]:
        columns, link = link_arguments(by_prefix(names), _NAMES)
        return {"dropout_covariates": columns, "dropout_link": link}

    # ------------------------------------------------------------------ evaluation
    def survival(self, t: int | ArrayLike, *, covariates: Any = None) -> Any:
        """``S(t) = P(T > t)`` of a new customer at covariate profiles.

        Parameters
        ----------
        t : int or array-like of int
            Periods (>= 0).
        covariates : pandas.DataFrame or mapping, optional
            Profiles with exactly the model's covariate columns (one row per profile or
            per customer; a mapping is one profile). Required when the model has covariates.

        Returns
        -------
        float, numpy.ndarray, pandas.Series or pandas.DataFrame
            Without covariates as :meth:`ShiftedBetaGeoModel.survival`; with, a Series
            ``survival`` per profile for scalar ``t``, else a DataFrame (profiles x t).
        """
        t_arr = _whole(t, "t", minimum=0)
        return self._at_profiles(
            lambda p: sbg_survival_rows(p, t_arr), t_arr, covariates, "survival"
        )

    def retention_rate(self, t: int | ArrayLike, *, covariates: Any = None) -> Any:
        """``r(t) = (beta_i + t - 1) / (alpha_i + beta_i + t - 1)`` at covariate profiles.

        Parameters
        ----------
        t : int or array-like of int
            Periods (>= 1).
        covariates : pandas.DataFrame or mapping, optional
            Profiles, as in :meth:`survival`.

        Returns
        -------
        float, numpy.ndarray, pandas.Series or pandas.DataFrame
            As in :meth:`survival` (named ``retention_rate``).
        """
        t_arr = _whole(t, "t", minimum=1)

        def rate(p: Any) -> np.ndarray:
            a, b = p[0], p[1]
            return np.asarray((b + t_arr - 1.0) / (a + b + t_arr - 1.0))

        return self._at_profiles(rate, t_arr, covariates, "retention_rate")

    def _rate(self, discount_rate: Any, params: np.ndarray, what: str) -> float:
        d = float(check_number(discount_rate, "discount_rate", low=0.0))
        infinite = params[0] <= 1.0
        if d == 0.0 and np.any(infinite):
            raise ParameterError(
                f"The undiscounted {what} is infinite for {int(np.sum(infinite))} of "
                f"{np.size(params[0])} rows (alpha_i <= 1: S(t) ~ t^-alpha_i decays too slowly "
                "for its sum to converge). Pass a discount_rate > 0 (per period)."
            )
        return d

    def expected_lifetime(self, *, discount_rate: float = 0.0, covariates: Any = None) -> Any:
        """DEL ``= 1 + DERL(0) / (1 + d)`` of a new customer at covariate profiles.

        Parameters
        ----------
        discount_rate : float, default 0.0
            Discount rate per period; 0 gives ``E[T] = (alpha_i + beta_i - 1)/(alpha_i - 1)``
            (a ParameterError when it is infinite, ``alpha_i <= 1``).
        covariates : pandas.DataFrame or mapping, optional
            Profiles, as in :meth:`survival`.

        Returns
        -------
        float or pandas.Series
            A float without covariates; else ``expected_lifetime`` per profile.
        """
        params, index = self._profile_params(covariates)
        d = self._rate(discount_rate, params, "expected lifetime")
        derl0 = sbg_residual_lifetime_rows(params, 0.0, d)
        value = 1.0 + derl0 / (1.0 + d)
        if index is None:
            return float(value)
        return pd.Series(value, index=index, name="expected_lifetime")

    def expected_residual_lifetime(
        self, periods_survived: Any, *, discount_rate: float = 0.0
    ) -> Any:
        """DERL of each customer at its own covariates (Fader & Hardie 2010).

        Parameters
        ----------
        periods_survived : pandas.DataFrame, or int / array-like for a model without
            covariates
            ``duration`` (the ``s`` periods survived), the covariate columns, and optionally
            ``churned`` (churned rows get 0).
        discount_rate : float, default 0.0
            Discount rate per period.

        Returns
        -------
        float, numpy.ndarray or pandas.Series
            ``expected_residual_lifetime`` on the frame's index.
        """
        self._require_fitted()
        base, _ = self._base_and_coefs()
        if isinstance(periods_survived, (list, tuple, np.ndarray, int, float, np.number)):
            if self._covariate_columns():
                raise ParameterError(
                    f"{type(self).__name__} has covariates {self._covariate_columns()}: pass "
                    "a DataFrame with duration and the covariate columns per customer."
                )
            s = _whole(periods_survived, "periods_survived", minimum=0)
            d = self._rate(discount_rate, base, "expected residual lifetime")
            out = sbg_residual_lifetime_rows(base, s, d)
            return float(out) if s.ndim == 0 else out
        frame = as_pandas(periods_survived, what="periods_survived")
        require_columns(frame, ["duration"], what="periods_survived")
        if "churned" not in frame.columns:
            frame = frame.assign(churned=0)
        cols, params, index = self._covariate_rows(frame, "periods_survived")
        alive = cols["churned"] != 1  # churned rows get 0 and need no series
        d = self._rate(discount_rate, params[:, alive], "expected residual lifetime")
        values = np.zeros(alive.size)
        values[alive] = sbg_residual_lifetime_rows(params[:, alive], cols["duration"][alive], d)
        return self._wrap(values, index, "expected_residual_lifetime")
