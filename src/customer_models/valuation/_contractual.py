"""Base of the contractual retention models on ``duration`` and ``churned``.

A model (sBG) is a subclass that declares ``param_names``, ``_default_initial_params``, its
likelihood kernels ``_loglik_kernel(params, duration, churned)`` and
``_loglik_gradient_kernel(params, duration, churned)``, and its prediction kernels, plain
numpy functions of the parameter vector:

``_survival_kernel(params, t)``
    ``S(t) = P(T > t)`` for whole periods ``t >= 0``.
``_retention_kernel(params, t)`` (optional)
    ``r(t) = S(t) / S(t - 1)`` for ``t >= 1``; default: that ratio of ``_survival_kernel``.
``_residual_lifetime_kernel(params, s, d)``
    DERL: ``sum_{k>=1} P(T > s + k | T > s) (1 + d)^-(k - 1)`` for whole ``s >= 0``.
``_lifetime_kernel(params, d)`` (optional)
    DEL: ``sum_{t>=0} S(t) (1 + d)^-t``; default ``1 + DERL(0) / (1 + d)`` (the same sum).
``_infinite_lifetime_reason(params)`` (classmethod, optional)
    Why the undiscounted lifetime is infinite at ``params``, or None when it is finite.

This class checks the data (the contractual rules), validates the periods and the discount
rate, and wraps the results, so every method below comes from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from customer_models._validation import (
    as_pandas,
    check_number,
    check_numbers,
    check_rule,
    require_columns,
)
from customer_models.exceptions import ParameterError
from customer_models.valuation._base import ValuationModel
from customer_models.valuation._checks import check_whole

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


__all__ = ["ContractualModel", "lifetime_from_residual", "retention_from_survival"]


def _whole(value: Any, name: str, *, minimum: int) -> np.ndarray:
    """Whole numbers of periods >= ``minimum`` (strings, None, booleans refused)."""
    arr = check_numbers(value, name, low=minimum, integer=True)
    if arr.size == 0:
        raise ParameterError(f"{name} counts periods and must not be empty; got {value!r}.")
    return arr


def retention_from_survival(survival: Any, params: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``r(t) = S(t) / S(t - 1)``, the default retention of a model that declares ``S`` only.

    The ratio of two survival values loses a few digits for large ``t``; a model with a
    closed form for ``r(t)`` (sBG) declares it.

    Examples
    --------
    >>> import numpy as np
    >>> from customer_models.valuation._sbg import retention_rate_kernel, survival_kernel
    >>> params, t = np.array([0.704, 1.182]), np.array([1.0, 2.0, 12.0, 1000.0])
    >>> got = retention_from_survival(survival_kernel, params, t)
    >>> bool(np.allclose(got, retention_rate_kernel(params, t), rtol=1e-11, atol=0))
    True
    """
    return np.asarray(survival(params, t) / survival(params, t - 1.0))


def lifetime_from_residual(residual: Any, params: np.ndarray, d: float) -> float:
    """``DEL = S(0) + sum_{t>=1} S(t) x^t = 1 + x DERL(0)`` with ``x = 1 / (1 + d)``.

    The default DEL of a model that declares DERL only.

    Examples
    --------
    >>> import numpy as np
    >>> from customer_models.valuation._sbg import (
    ...     discounted_expected_residual_lifetime_kernel, survival_kernel)
    >>> params, d = np.array([0.704, 1.182]), 0.1
    >>> t = np.arange(800.0)  # the tail after 800 terms is below 1e-32
    >>> direct = float(np.sum(survival_kernel(params, t) / (1 + d) ** t))
    >>> got = lifetime_from_residual(discounted_expected_residual_lifetime_kernel, params, d)
    >>> abs(got - direct) < 1e-12
    True
    """
    return 1.0 + float(residual(params, np.float64(0.0), d)) / (1.0 + d)


def _out(values: np.ndarray, like: np.ndarray) -> float | np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    return float(values) if like.ndim == 0 else values


class ContractualModel(ValuationModel):
    """Contractual model: a lifetime ``T`` in whole periods, observed as ``(duration, churned)``.

    Data: one row per customer (or per group, with ``sample_weight``) with ``duration`` (whole
    periods observed, >= 0) and ``churned`` (1 if the customer churned in period
    ``duration``, which must then be >= 1; 0 if still a customer after ``duration``
    periods). Subclasses declare the kernels listed in the module docstring.

    Examples
    --------
    >>> from customer_models.valuation import ShiftedBetaGeoModel
    >>> issubclass(ShiftedBetaGeoModel, ContractualModel)
    True
    """

    required_columns: ClassVar[tuple[str, ...]] = ("duration", "churned")
    _survival_kernel: ClassVar[Any] = None
    _retention_kernel: ClassVar[Any] = None
    _residual_lifetime_kernel: ClassVar[Any] = None
    _lifetime_kernel: ClassVar[Any] = None

    @classmethod
    def _infinite_lifetime_reason(cls, params: np.ndarray) -> str | None:
        """Why the undiscounted lifetime is infinite at ``params`` (None: it is finite)."""
        return None

    @classmethod
    def _check_data(cls, columns: Mapping[str, np.ndarray], ids: Any, what: str) -> None:
        d, c = columns["duration"], columns["churned"]
        check_rule(d < 0, ids, rule="duration must be >= 0", column="duration", what=what)
        hint = "duration counts the periods a customer was observed."
        check_whole(d, ids, column="duration", what=what, hint=hint)
        check_rule(
            (c != 0) & (c != 1),
            ids,
            rule="churned must be 0 or 1",
            column="churned",
            what=what,
            hint="1 = churned in period `duration`, 0 = still a customer after it.",
        )
        check_rule(
            (c == 1) & (d < 1),
            ids,
            rule="duration >= 1 when churned == 1",
            column="duration",
            what=what,
            hint="a customer who churned in period t has duration t >= 1.",
        )

    @staticmethod
    def cohort_to_data(survivors: ArrayLike) -> pd.DataFrame:
        """Turn a cohort's survivor counts into weighted ``(duration, churned)`` rows.

        Parameters
        ----------
        survivors : array-like of int
            Customers still active at the start (period 0, the cohort size) and after each
            of periods 1, 2, ..., e.g. ``[1000, 631, 468, ...]``. Must not increase.

        Returns
        -------
        pandas.DataFrame
            Columns ``duration``, ``churned`` and ``weight``: for each period t, the
            ``S(t-1) - S(t)`` customers who churned in it (``churned=1, duration=t``), then the
            ``S(last)`` customers still active (``churned=0, duration=last``). Rows of weight 0
            are left out. Fit with ``fit(rows, sample_weight="weight")``.

        Examples
        --------
        >>> ContractualModel.cohort_to_data([1000, 631, 468])
           duration  churned  weight
        0         1        1     369
        1         2        1     163
        2         2        0     468
        """
        s = check_numbers(survivors, "survivors")  # types; the rules below name the periods
        ids = np.arange(s.size)
        if s.ndim != 1 or s.size < 2:
            raise ParameterError(
                "survivors must be a 1-D sequence of at least 2 counts (the cohort size at "
                f"period 0 and the survivors after each period); got {survivors!r}."
            )
        rules = (
            (~np.isfinite(s), "survivors must be finite", ""),
            ((s < 0) | (s != np.floor(s)), "survivors must be whole numbers >= 0", ""),
            (
                np.r_[False, np.diff(s) > 0],
                "survivors must not increase",
                "survivor counts of one cohort can only go down (ids are period numbers).",
            ),
        )
        for bad, rule, hint in rules:
            check_rule(bad, ids, rule=rule, column="survivors", what="survivors", hint=hint)
        if not s[0] > 0:
            raise ParameterError("survivors[0], the cohort size, must be > 0.")
        last = s.size - 1
        churned = s[:-1] - s[1:]
        frame = pd.DataFrame(
            {
                "duration": np.r_[np.arange(1, s.size), last].astype(np.int64),
                "churned": np.r_[np.ones(last), 0.0].astype(np.int64),
                "weight": np.r_[churned, s[-1]].astype(np.int64),
            }
        )
        return frame.loc[frame["weight"] > 0].reset_index(drop=True)

    # ------------------------------------------------------------------ curves
    def survival(self, t: int | ArrayLike) -> float | np.ndarray:
        """Share of a new cohort still active after ``t`` periods, ``S(t) = P(T > t)``.

        Parameters
        ----------
        t : int or array-like of int
            Periods (>= 0).

        Returns
        -------
        float or numpy.ndarray

        Examples
        --------
        >>> from customer_models.valuation import ShiftedBetaGeoModel
        >>> m = ShiftedBetaGeoModel.from_params(alpha=0.704, beta=1.182)
        >>> m.survival([0, 12]).round(3).tolist()
        [1.0, 0.17]
        """
        params = self._params_array()
        t_arr = _whole(t, "t", minimum=0)
        return _out(type(self)._survival_kernel(params, t_arr), t_arr)

    def retention_rate(self, t: int | ArrayLike) -> float | np.ndarray:
        """Share of the customers active after period ``t - 1`` who renew in period ``t``.

        ``r(t) = S(t) / S(t - 1)``; with heterogeneous churn it rises with ``t`` (survivors
        are increasingly the loyal customers).

        Parameters
        ----------
        t : int or array-like of int
            Periods (>= 1).

        Returns
        -------
        float or numpy.ndarray

        Examples
        --------
        >>> from customer_models.valuation import ShiftedBetaGeoModel
        >>> m = ShiftedBetaGeoModel.from_params(alpha=0.704, beta=1.182)
        >>> m.retention_rate([1, 2, 12]).round(3).tolist()
        [0.627, 0.756, 0.945]
        """
        params = self._params_array()
        t_arr = _whole(t, "t", minimum=1)
        kernel = type(self)._retention_kernel
        if kernel is None:
            return _out(retention_from_survival(type(self)._survival_kernel, params, t_arr), t_arr)
        return _out(kernel(params, t_arr), t_arr)

    # ------------------------------------------------------------------ lifetimes
    def _discount(self, discount_rate: float, *, what: str) -> float:
        params = self._params_array()
        d = float(check_number(discount_rate, "discount_rate", low=0.0))
        reason = self._infinite_lifetime_reason(params) if d == 0 else None
        if reason is not None:
            raise ParameterError(
                f"The undiscounted {what} is infinite: {reason}. Pass a discount_rate > 0 (per "
                "period) for the discounted expected lifetime."
            )
        return d

    def expected_lifetime(self, *, discount_rate: float = 0.0) -> float:
        """Return the expected (discounted) number of periods a new customer stays.

        ``DEL = sum_{t>=0} S(t) / (1 + d)^t`` (Fader & Hardie 2010), counting the first
        period undiscounted. With ``d = 0`` this is ``E[T]``; where that is infinite a
        :class:`~customer_models.exceptions.ParameterError` says so.

        Parameters
        ----------
        discount_rate : float, default 0.0
            Discount rate per period (e.g. 0.1).

        Returns
        -------
        float

        Examples
        --------
        >>> from customer_models.valuation import ShiftedBetaGeoModel
        >>> m = ShiftedBetaGeoModel.from_params(alpha=0.704, beta=1.182)
        >>> round(m.expected_lifetime(discount_rate=0.1), 3)
        3.695
        """
        d = self._discount(discount_rate, what="expected lifetime")
        params = self._params_array()
        kernel = type(self)._lifetime_kernel
        if kernel is None:
            return lifetime_from_residual(type(self)._residual_lifetime_kernel, params, d)
        return float(kernel(params, d))

    def expected_residual_lifetime(
        self, periods_survived: Any, *, discount_rate: float = 0.0
    ) -> float | np.ndarray | pd.Series:
        """Return the expected (discounted) number of future renewals of an active customer.

        DERL of Fader & Hardie (2010): for a customer who has been active for ``s`` periods
        (``T > s``; their ``n - 1`` renewals),
        ``sum_{k>=1} P(T > s + k | T > s) / (1 + d)^(k - 1)``. Multiply by the margin per
        period for the residual value.

        Parameters
        ----------
        periods_survived : int, array-like of int, or DataFrame
            ``s`` per customer; a DataFrame uses its ``duration`` column and gives 0 to the
            rows with ``churned == 1`` when it has that column.
        discount_rate : float, default 0.0
            Discount rate per period. With 0 the result may be infinite (then a
            ParameterError says so).

        Returns
        -------
        float, numpy.ndarray, or pandas.Series (named ``expected_residual_lifetime``, on the
        DataFrame's index)

        Examples
        --------
        >>> from customer_models.valuation import ShiftedBetaGeoModel
        >>> m = ShiftedBetaGeoModel.from_params(alpha=0.704, beta=1.182)
        >>> m.expected_residual_lifetime([0, 4], discount_rate=0.1).round(3).tolist()
        [2.965, 5.894]
        """
        d = self._discount(discount_rate, what="expected residual lifetime")
        params = self._params_array()
        kernel = type(self)._residual_lifetime_kernel
        if isinstance(periods_survived, (list, tuple, np.ndarray, int, float, np.number)):
            s = _whole(periods_survived, "periods_survived", minimum=0)
            return _out(kernel(params, s, d), s)
        frame = as_pandas(periods_survived, what="periods_survived")
        require_columns(frame, ["duration"], what="periods_survived")
        if "churned" not in frame.columns:
            frame = frame.assign(churned=0)
        columns, index = self._prepare(frame, columns=("duration", "churned"))
        values = kernel(params, columns["duration"], d)
        values = np.where(columns["churned"] == 1, 0.0, values)
        return self._wrap(values, index, "expected_residual_lifetime")
