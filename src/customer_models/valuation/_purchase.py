"""The purchase family: continuous-time models on ``frequency``, ``recency`` and ``T``.

BG/NBD, MBG/NBD and Pareto/NBD are :class:`PurchaseModel` subclasses that declare their
prediction kernels; this base validates the summary, calls the kernels and wraps the results
on the caller's index. A model that declares no ``_new_customer_kernel`` gets
:class:`~customer_models.valuation._derivatives.NewCustomerFromConditional`: a new customer
is one observed for no time, so ``E[X(t)] = E[X(T, T + t) | x = 0, t_x = 0, T = 0]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from customer_models.exceptions import ParameterError
from customer_models.valuation._base import ValuationModel
from customer_models.valuation._checks import check_count, check_frequency_recency, check_horizon
from customer_models.valuation._derivatives import complete_new_customer
from customer_models.valuation._optimize import dot

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


__all__ = ["KernelFamily", "PurchaseModel"]


class KernelFamily(ValuationModel):
    """Base of the prediction families that declare kernels (continuous and discrete time).

    A subclass sets ``_alive_kernel``, ``_expected_kernel``, ``_pmf_kernel`` (or None) and,
    optionally, ``_new_customer_kernel``; without one it gets the conditional expectation of
    a customer observed for no time (:func:`._derivatives.complete_new_customer`).

    Examples
    --------
    >>> from customer_models.valuation import BetaGeoBetaBinomModel
    >>> issubclass(BetaGeoBetaBinomModel, KernelFamily)
    True
    """

    _alive_kernel: ClassVar[Any] = None
    _expected_kernel: ClassVar[Any] = None
    _pmf_kernel: ClassVar[Any] = None
    _new_customer_kernel: ClassVar[Any] = None

    @classmethod
    def _derive_hooks(cls) -> None:
        super()._derive_hooks()
        new = complete_new_customer(cls._new_customer_kernel, cls._expected_kernel)
        cls._new_customer_kernel = None if new is None else staticmethod(new)


class PurchaseModel(KernelFamily):
    """Base of the continuous-time purchase models on ``frequency``, ``recency``, ``T``.

    Subclasses set the prediction kernels as staticmethods: ``_alive_kernel(params, x, t_x,
    T)``, ``_expected_kernel(params, x, t_x, T, t)``, ``_pmf_kernel(params, n, x, t_x, T, t)``
    (or None) and, optionally, ``_new_customer_kernel(params, t)`` (default: the conditional
    expectation at ``x = t_x = T = 0``); this class validates the data and wraps the results.

    Examples
    --------
    >>> from customer_models.valuation import BetaGeoModel
    >>> issubclass(BetaGeoModel, PurchaseModel)
    True
    """

    required_columns: ClassVar[tuple[str, ...]] = ("frequency", "recency", "T")
    #: True when E[X(t) | x, t_x, T] = P(alive | x, t_x, T) g(x, T, t): given alive at T the
    #: posterior depends on (x, T) only, so CLV evaluates g once per distinct (x, T) pair.
    _separable_expectation: ClassVar[bool] = False
    #: Closed-form discounted expected residual purchases for CLV, or None (CLV integrates
    #: E[X(t)]); see :mod:`customer_models.valuation._dert` for the signature.
    _dert_kernel: ClassVar[Any] = None

    @classmethod
    def _check_data(cls, columns: Mapping[str, np.ndarray], ids: Any, what: str) -> None:
        check_frequency_recency(columns, ids, what=what, age_column="T")

    @classmethod
    def _initial_params(cls, columns: tuple[np.ndarray, ...], weights: np.ndarray) -> np.ndarray:
        x, _, T = columns
        w = weights / weights.sum()
        mean_x = max(dot(w, x), 0.1)
        mean_T = max(dot(w, T), 1e-3)
        init = np.asarray(cls._default_initial_params, dtype=np.float64).copy()
        init[1] = init[0] * mean_T / mean_x  # rate scale: r / alpha ~ purchases per unit time
        return init

    def _columns_xtt(self, data: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.Index | None]:
        self._require_fitted()
        cols, index = self._prepare(data)
        return cols["frequency"], cols["recency"], cols["T"], index

    def _wrap_rows(
        self, values: np.ndarray, x: np.ndarray, index: pd.Index | None, name: str
    ) -> pd.Series | np.ndarray:
        """Wrap a kernel result, broadcasting a scalar (all-scalar inputs) to the rows of x."""
        return self._wrap(
            np.broadcast_to(values, x.shape).copy() if values.ndim < 1 else values, index, name
        )

    def probability_alive(self, data: Any) -> pd.Series | np.ndarray:
        """Probability that each customer is still active at the end of observation (T).

        Parameters
        ----------
        data : pandas.DataFrame
            Columns ``frequency``, ``recency``, ``T``.

        Returns
        -------
        pandas.Series
            Named ``"probability_alive"``, on ``data``'s index, in [0, 1] (ndarray for array
            input).

        Examples
        --------
        >>> from customer_models import load_cdnow_summary
        >>> from customer_models.valuation import BetaGeoModel
        >>> m = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> m.probability_alive(load_cdnow_summary().head(2)).round(3).tolist()
        [0.727, 0.212]
        """
        x, t_x, T, index = self._columns_xtt(data)
        p = type(self)._alive_kernel(self._params_array(), x, t_x, T)
        return self._wrap(p, index, "probability_alive")

    def expected_purchases(self, data: Any, *, t: float | ArrayLike) -> pd.Series | np.ndarray:
        """Return the expected number of purchases in the next ``t`` time units, given history.

        ``E[X(T, T + t) | frequency, recency, T]``, with ``t`` in ``time_unit_``.

        Parameters
        ----------
        data : pandas.DataFrame
            Columns ``frequency``, ``recency``, ``T``.
        t : float or array-like
            Horizon(s) >= 0, broadcast against the rows.

        Returns
        -------
        pandas.Series
            Named ``"expected_purchases"``, on ``data``'s index (ndarray for array input).

        Examples
        --------
        >>> import pandas as pd
        >>> from customer_models.valuation import BetaGeoModel
        >>> m = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> one = pd.DataFrame({"frequency": [2], "recency": [30.43], "T": [38.86]})
        >>> round(float(m.expected_purchases(one, t=39).iloc[0]), 3)
        1.226
        """
        horizon = check_horizon(t)
        x, t_x, T, index = self._columns_xtt(data)
        e = type(self)._expected_kernel(self._params_array(), x, t_x, T, horizon)
        return self._wrap_rows(e, x, index, "expected_purchases")

    def probability_of_purchases(
        self, data: Any, *, n: int | ArrayLike, t: float | ArrayLike
    ) -> pd.Series | np.ndarray:
        """Probability of exactly ``n`` purchases in the next ``t`` time units, given history.

        ``P(X(T, T + t) = n | frequency, recency, T)``.

        Parameters
        ----------
        data : pandas.DataFrame
            Columns ``frequency``, ``recency``, ``T``.
        n : int or array-like of int
            Number of purchases (>= 0).
        t : float or array-like
            Horizon(s) >= 0, in ``time_unit_``; ``n`` and ``t`` broadcast against the rows.

        Returns
        -------
        pandas.Series
            Named ``"probability_of_purchases"`` on ``data``'s index.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from customer_models.valuation import BetaGeoModel
        >>> m = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> two = pd.DataFrame({"frequency": [2, 0], "recency": [30.43, 0.0], "T": [38.86] * 2})
        >>> p = np.stack([m.probability_of_purchases(two, n=k, t=39) for k in range(60)])
        >>> p.sum(axis=0).round(6).tolist()
        [1.0, 1.0]
        """
        kernel = type(self)._pmf_kernel
        if kernel is None:
            raise ParameterError(
                f"{type(self).__name__} does not provide probability_of_purchases."
            )
        counts = check_count(n)
        horizon = check_horizon(t)
        x, t_x, T, index = self._columns_xtt(data)
        p = kernel(self._params_array(), counts, x, t_x, T, horizon)
        return self._wrap_rows(p, x, index, "probability_of_purchases")

    def expected_purchases_new_customer(self, *, t: float | ArrayLike) -> float | np.ndarray:
        """Return the expected repeat purchases of a new customer in its first ``t`` time units.

        Parameters
        ----------
        t : float or array-like
            Horizon(s) >= 0 in ``time_unit_``.

        Returns
        -------
        float or numpy.ndarray
            A float for scalar ``t``, else an array of the shape of ``t``.

        Examples
        --------
        >>> from customer_models.valuation import BetaGeoModel
        >>> m = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> float(m.expected_purchases_new_customer(t=0))
        0.0
        """
        self._require_fitted()
        horizon = check_horizon(t)
        e = np.asarray(type(self)._new_customer_kernel(self._params_array(), horizon))
        return float(e) if e.ndim == 0 else e
