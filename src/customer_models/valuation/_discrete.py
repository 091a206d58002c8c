"""Base of the discrete-time purchase models on ``frequency``, ``recency``, ``n_periods``.

A model (BG/BB) is a subclass that declares ``param_names``, ``_default_initial_params`` and
its kernels, plain numpy functions of the parameter vector and the arrays ``x`` (repeat
transactions), ``t_x`` (opportunity of the last one) and ``n`` (opportunities observed):

``_loglik_kernel(params, x, t_x, n)``, ``_loglik_gradient_kernel(params, x, t_x, n)``
    The likelihood, as for every :class:`~customer_models.valuation._base.ValuationModel`.
``_alive_kernel(params, x, t_x, n, m)``
    ``P(alive at opportunity n + m | x, t_x, n)``.
``_expected_kernel(params, x, t_x, n, t)``
    ``E[X(n, n + t) | x, t_x, n]``; ``t`` broadcasts against the rows.
``_pmf_kernel(params, x, t_x, n, t, k)``
    ``P(X(n, n + t) = k | x, t_x, n)`` for whole numbers ``t`` and ``k``.
``_new_customer_kernel(params, t)`` (optional)
    ``E[X(0, t)]`` of a new customer; default: ``_expected_kernel`` at the empty history
    ``x = t_x = n = 0`` (a new customer has had no opportunity yet).

This class checks the data once (the discrete-time rules), compresses identical histories
into patterns, calls the kernel once per pattern and puts the values back on the caller's
index, so every method below comes from it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from customer_models._validation import check_number, check_numbers, check_rule
from customer_models.exceptions import ParameterError
from customer_models.valuation._checks import check_frequency_recency, check_whole
from customer_models.valuation._patterns import compress_patterns
from customer_models.valuation._purchase import KernelFamily

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


__all__ = ["DiscretePurchaseModel", "whole_period_ends", "whole_periods"]

Kernel = Callable[..., np.ndarray]


def whole_periods(value: Any, name: str, *, scalar: bool = False) -> np.ndarray:
    """Validate a number (or array) of transaction opportunities: whole numbers >= 0.

    Examples
    --------
    >>> whole_periods([0, 2], "t").tolist()
    [0.0, 2.0]
    >>> whole_periods(1.5, "t")
    Traceback (most recent call last):
    ...
    customer_models.exceptions.ParameterError: t must be a whole number...
    """
    if scalar:
        return np.asarray(float(check_number(value, name, low=0, integer=True)))
    arr = check_numbers(value, name, low=0, integer=True)
    if arr.size == 0:
        raise ParameterError(
            f"{name} counts future transaction opportunities and must not be empty; got {value!r}."
        )
    return arr


def whole_period_ends(times: Any, model_name: str) -> np.ndarray:
    """Return ``times`` as floats; refuse any that is not a whole number of periods >= 0.

    Examples
    --------
    >>> whole_period_ends([0, 3], "BetaGeoBetaBinomModel").tolist()
    [0.0, 3.0]
    """
    t_arr = np.asarray(times, dtype=np.float64)
    bad = (t_arr < 0) | (t_arr != np.floor(t_arr))
    if bad.any():
        raise ParameterError(
            f"{model_name} counts whole transaction opportunities: the horizon must be a whole "
            f"number of model periods ({int(bad.sum())} period ends are not, e.g. "
            f"{float(t_arr[bad].ravel()[0]):g}); use the model's time_unit."
        )
    return t_arr


class DiscretePurchaseModel(KernelFamily):
    """Discrete-time purchase model: predictions per history ``(frequency, recency, n_periods)``.

    Subclasses declare the kernels listed in the module docstring; validation, pattern
    compression and wrapping are done here.

    Examples
    --------
    >>> from customer_models.valuation import BetaGeoBetaBinomModel as BGBB
    >>> BGBB.required_columns, issubclass(BGBB, DiscretePurchaseModel)
    (('frequency', 'recency', 'n_periods'), True)
    """

    required_columns: ClassVar[tuple[str, ...]] = ("frequency", "recency", "n_periods")

    @classmethod
    def _check_data(cls, columns: Mapping[str, np.ndarray], ids: Any, what: str) -> None:
        check_frequency_recency(columns, ids, what=what, age_column="n_periods")
        x, t_x, n = columns["frequency"], columns["recency"], columns["n_periods"]
        for name, values in (("recency", t_x), ("n_periods", n)):
            hint = "a discrete-time model counts transaction opportunities."
            check_whole(values, ids, column=name, what=what, hint=hint)
        check_rule(
            x > t_x,
            ids,
            rule="frequency <= recency",
            column="frequency",
            what=what,
            hint="x repeat transactions need at least x opportunities up to the last one (t_x).",
        )

    # ------------------------------------------------------------------ the shared path
    def _histories(self, data: Any) -> tuple[tuple[np.ndarray, ...], pd.Index | None]:
        columns, index = self._prepare(data)
        return tuple(columns[c] for c in self.required_columns), index

    def _per_pattern(
        self, kernel: Kernel, params: np.ndarray, data: Any, *args: Any, name: str
    ) -> pd.Series | np.ndarray:
        """Validate ``data``, evaluate ``kernel`` once per distinct history and wrap."""
        histories, index = self._histories(data)
        patterns = compress_patterns(histories)
        values = np.asarray(kernel(params, *patterns.columns, *args))[..., patterns.inverse]
        return self._wrap(values, index, name)

    # ------------------------------------------------------------------ predictions
    def probability_alive(self, data: Any, *, periods_ahead: int = 1) -> pd.Series | np.ndarray:
        """Probability that each customer is still alive at opportunity ``n + periods_ahead``.

        The default ``periods_ahead=1`` is alive at the next transaction opportunity
        (equation 11 of Fader, Hardie & Shang 2010 for BG/BB); ``periods_ahead=0`` gives the
        probability of having been alive through the last observed opportunity ``n``.
        (lifetimes calls this argument ``m_periods_in_future`` and has no default.)

        Parameters
        ----------
        data : pandas.DataFrame
            ``frequency``, ``recency``, ``n_periods`` per customer.
        periods_ahead : int, default 1
            Whole number of opportunities after ``n``.

        Returns
        -------
        pandas.Series
            ``probability_alive`` on ``data``'s index (ndarray for array input), in [0, 1].

        Examples
        --------
        >>> import pandas as pd
        >>> from customer_models.valuation import BetaGeoBetaBinomModel
        >>> m = BetaGeoBetaBinomModel.from_params(alpha=1.204, beta=0.75, gamma=0.657,
        ...                                       delta=2.783)
        >>> df = pd.DataFrame({"frequency": [6, 0], "recency": [6, 0], "n_periods": [6, 6]})
        >>> m.probability_alive(df).round(3).tolist()
        [0.93, 0.108]
        """
        params = self._params_array()
        m = whole_periods(periods_ahead, "periods_ahead", scalar=True)
        return self._per_pattern(
            type(self)._alive_kernel, params, data, m, name="probability_alive"
        )

    def expected_purchases(self, data: Any, *, t: int | ArrayLike) -> pd.Series | np.ndarray:
        """Return the expected transactions in the next ``t`` opportunities, ``E[X(n, n+t)]``.

        Parameters
        ----------
        data : pandas.DataFrame
            ``frequency``, ``recency``, ``n_periods`` per customer.
        t : int or array-like of int
            Future transaction opportunities (a scalar, or one value per row).

        Returns
        -------
        pandas.Series
            ``expected_purchases`` on ``data``'s index (ndarray for array input).

        Examples
        --------
        >>> import pandas as pd
        >>> from customer_models.valuation import BetaGeoBetaBinomModel
        >>> params = {"alpha": 1.204, "beta": 0.75, "gamma": 0.657, "delta": 2.783}
        >>> df = pd.DataFrame({"frequency": [6, 0], "recency": [6, 0], "n_periods": [6, 6]})
        >>> BetaGeoBetaBinomModel.from_params(**params).expected_purchases(df, t=5).round(3)
        0    3.752
        1    0.073
        Name: expected_purchases, dtype: float64
        """
        params = self._params_array()
        t_arr = whole_periods(t, "t")
        kernel = type(self)._expected_kernel
        name = "expected_purchases"
        if t_arr.size == 1:
            return self._per_pattern(kernel, params, data, t_arr.reshape(()), name=name)
        histories, index = self._histories(data)
        n_rows = histories[0].size
        if t_arr.size != n_rows:
            raise ParameterError(
                f"t must be a scalar or have one value per row ({n_rows}); got {t_arr.size}."
            )
        return self._wrap(kernel(params, *histories, t_arr), index, name)

    def _expected_over_times(self, data: Any) -> Callable[[Any], np.ndarray]:
        """Return ``times -> E[X(n, n + t)]`` for every row of ``data``, validated once (CLV).

        ``times`` of shape ``(k,)`` give ``(k, n_rows)`` (one kernel call over the distinct
        patterns); times of shape ``(k, n_rows)`` give one time per row and node. Times must
        be whole numbers of opportunities.
        """
        params = self._params_array()
        kernel = type(self)._expected_kernel
        histories, _ = self._histories(data)
        patterns = compress_patterns(histories)
        n_rows = histories[0].size

        def expected(times: Any) -> np.ndarray:
            t_arr = whole_period_ends(times, type(self).__name__)
            if t_arr.ndim == 2 and t_arr.shape[1] == n_rows:  # one time per row and node
                return np.asarray(kernel(params, *histories, t_arr))
            values = kernel(params, *patterns.columns, t_arr[..., None])
            return np.asarray(values)[..., patterns.inverse]

        return expected

    def probability_of_purchases(self, data: Any, *, n: int, t: int) -> pd.Series | np.ndarray:
        """Probability of exactly ``n`` transactions in the next ``t`` opportunities.

        ``P(X(n_periods, n_periods + t) = n | x, t_x, n_periods)``; sums to 1 over
        ``n = 0 .. t``.

        Parameters
        ----------
        data : pandas.DataFrame
            ``frequency``, ``recency``, ``n_periods`` per customer.
        n : int
            The number of transactions in those opportunities (a whole number >= 0).
        t : int
            Future transaction opportunities (whole number >= 0).

        Returns
        -------
        pandas.Series
            ``P(X = n)`` per customer, named ``probability_of_purchases``, on ``data``'s
            index (ndarray for array input).

        Examples
        --------
        >>> import pandas as pd
        >>> from customer_models.valuation import BetaGeoBetaBinomModel
        >>> df = pd.DataFrame({"frequency": [3], "recency": [5], "n_periods": [6]})
        >>> m = BetaGeoBetaBinomModel.from_params(alpha=1.204, beta=0.75, gamma=0.657,
        ...                                       delta=2.783)
        >>> round(float(sum(m.probability_of_purchases(df, n=j, t=3).iloc[0] for j in range(4))), 9)
        1.0
        """
        params = self._params_array()
        n_arr = whole_periods(n, "n", scalar=True)
        t_arr = whole_periods(t, "t", scalar=True)
        return self._per_pattern(
            type(self)._pmf_kernel,
            params,
            data,
            int(t_arr),
            n_arr,
            name="probability_of_purchases",
        )

    def expected_purchases_new_customer(self, *, t: int | ArrayLike) -> float | np.ndarray:
        """Return the expected transactions of a new customer in its first ``t`` opportunities.

        Parameters
        ----------
        t : int or array-like of int
            Transaction opportunities.

        Returns
        -------
        float or numpy.ndarray
            A float for scalar ``t``, an array otherwise.

        Examples
        --------
        >>> from customer_models.valuation import BetaGeoBetaBinomModel
        >>> m = BetaGeoBetaBinomModel.from_params(alpha=1.204, beta=0.75, gamma=0.657,
        ...                                       delta=2.783)
        >>> round(m.expected_purchases_new_customer(t=6), 3)
        2.22
        """
        params = self._params_array()
        t_arr = whole_periods(t, "t")
        values = np.asarray(type(self)._new_customer_kernel(params, t_arr), dtype=np.float64)
        return float(values) if t_arr.ndim == 0 else values
