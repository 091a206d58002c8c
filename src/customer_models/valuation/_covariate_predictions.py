"""Predictions of the covariate purchase models, each customer at its own parameters.

:class:`PurchaseCovariatePredictions` (a base of
:class:`~customer_models.valuation._covariate_model.PurchaseCovariateMixin`) reads
``frequency``, ``recency``, ``T`` and the covariate columns of ``data`` once per call
(:meth:`~PurchaseCovariatePredictions._rows`), then evaluates the kernel of the model
without covariates (``_null_class``) at the per-row parameters ``(k, n)``: the
log-likelihood, P(alive), the expected purchases, their pmf and the expectation of a new
customer with a covariate profile.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from customer_models.valuation._checks import check_count, check_horizon
from customer_models.valuation._covariate_params import CovariateParamsMixin
from customer_models.valuation._fit_rows import row_ids

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


__all__ = ["PurchaseCovariatePredictions"]


class PurchaseCovariatePredictions(CovariateParamsMixin):
    """Predictions of the covariate purchase models (see the module docstring).

    Needs ``_null_class``, the model without covariates, whose kernels take per-row
    parameters ``(k, n)``.
    """

    _null_class: ClassVar[type[Any]]

    def _call(self, hook: str, *args: Any) -> np.ndarray:
        return np.asarray(getattr(type(self)._null_class, hook)(*args))

    def _rows(
        self, data: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, pd.Index | None]:
        """Return validated ``x, t_x, T``, the per-row parameters ``(k, n)`` and the index."""
        cols, params, index = self._covariate_rows(data)
        return cols["frequency"], cols["recency"], cols["T"], params, index

    def log_likelihood(self, X: Any, *, sample_weight: str | ArrayLike | None = None) -> float:
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
        w = self._weights(X, sample_weight, x.size, row_ids(index, x.size))  # type: ignore[attr-defined]
        ll = self._call("_loglik_kernel", params, x, t_x, T)
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
        p = self._call("_alive_kernel", params, x, t_x, T)
        return self._wrap(p, index, "probability_alive")  # type: ignore[attr-defined]

    def expected_purchases(self, data: Any, *, t: float | ArrayLike) -> pd.Series | np.ndarray:
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
        e = self._call("_expected_kernel", params, x, t_x, T, horizon)
        return self._wrap_rows(e, x, index, "expected_purchases")  # type: ignore[attr-defined]

    def probability_of_purchases(
        self, data: Any, *, n: int | ArrayLike, t: float | ArrayLike
    ) -> pd.Series | np.ndarray:
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
        p = self._call("_pmf_kernel", params, counts, x, t_x, T, horizon)
        return self._wrap_rows(p, x, index, "probability_of_purchases")  # type: ignore[attr-defined]

    def expected_purchases_new_customer(
        self, *, t: float | ArrayLike, covariates: Any = None
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
            Without covariates as the model without covariates; with, a Series
            ``"expected_purchases"`` on the profiles' index.
        """
        self._require_fitted()  # type: ignore[attr-defined]
        horizon = check_horizon(t)
        params, index = self._profile_params(covariates)
        e = self._call("_new_customer_kernel", params, horizon)
        if index is None:
            return float(e) if e.ndim == 0 else e
        return pd.Series(
            np.broadcast_to(e, (len(index),)).copy(), index=index, name="expected_purchases"
        )
