"""Customer lifetime value: discounted expected purchases times expected spend times margin.

Time units are explicit everywhere. The caller states the unit of the horizon and of the
discount rate (``time_unit``); the transaction model carries its own unit (``time_unit_``,
recorded at ``fit`` from the summary's ``attrs["time_unit"]``). The two are converted through
their length in days (a month is 365.25/12 days), so a weekly model and a monthly horizon can
never be mixed silently.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.special import (
    roots_laguerre,
    roots_legendre,
)

from customer_models._time import TIME_UNIT_DAYS, normalize_unit
from customer_models._validation import (
    as_pandas,
    check_choice,
    check_fitted,
    check_number,
    check_rule,
    require_columns,
)
from customer_models.exceptions import CustomerModelsError, ParameterError
from customer_models.valuation._patterns import distinct_rows

__all__ = ["customer_lifetime_value"]

_PERIOD_RE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)?\s*([A-Za-z]+)\s*$")

#: Quadrature sizes: Gauss-Legendre over a finite horizon; over an infinite one (in u = delta t)
#: Gauss-Legendre panels in log u on [e^-36, 1] and Gauss-Laguerre on [1, inf).
_N_LEGENDRE = 32
_N_LAGUERRE = 48
_LOG_U_MIN = -36.0
_N_LOG_U_PANELS = 12


def _infinite_horizon_rule() -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights u_i, w_i with ``Σ w_i f(u_i) ≈ ∫_0^∞ exp(-u) f(u) du``.

    ``f(u) = E[X(u/δ)]`` bends where ``u ~ δ (α + T)``, which can be 1e-9: plain
    Gauss-Laguerre puts no node there (1e-4 errors). Below ``u = 1`` the integral is taken in
    ``s = log u`` (``exp(-e^s) f(e^s) e^s``, analytic in ``|Im s| < π/2``: 12 panels of 16
    Gauss-Legendre nodes of width 3); below ``e^-36`` an increasing concave ``f`` holds less
    than ``1e-16`` of the total. Above 1, ``e^-1 ∫_0^∞ e^-v f(1 + v) dv`` by Gauss-Laguerre,
    where ``f`` is smooth on the scale of 1.

    Examples
    --------
    >>> u, w = _infinite_horizon_rule()
    >>> round(float(w @ u), 12), round(float(w @ np.sqrt(u)), 12)  # Γ(2), Γ(3/2)
    (1.0, 0.886226925453)
    """
    x, w = np.polynomial.legendre.leggauss(16)
    edges = np.linspace(_LOG_U_MIN, 0.0, _N_LOG_U_PANELS + 1)
    half = 0.5 * (edges[1] - edges[0])
    s = ((edges[:-1, None] + edges[1:, None]) / 2 + half * x[None, :]).ravel()
    low_weights = np.tile(half * w, _N_LOG_U_PANELS) * np.exp(s - np.exp(s))
    v, wv = roots_laguerre(_N_LAGUERRE)
    nodes = np.concatenate([np.exp(s), 1.0 + v])
    return nodes, np.concatenate([low_weights, np.exp(-1.0) * wv])


def _period_days(value: Any, argument: str) -> float | None:
    """Length of ``value`` in days; ``"4.345W"`` is 4.345 weeks. None for unknown units."""
    if not isinstance(value, str):
        raise ParameterError(f"{argument} must be a string such as 'D', 'W', 'M' or 'Y'.")
    match = _PERIOD_RE.match(value)
    if match is None:
        return None
    multiple = float(match.group(1)) if match.group(1) else 1.0
    try:  # the one unit table of the library (_time), with its aliases
        unit = normalize_unit(match.group(2), argument)
    except ParameterError:
        return None
    if multiple <= 0:
        return None
    return multiple * TIME_UNIT_DAYS[unit]


def _units_ratio(time_unit: str, model_unit: str) -> float:
    """How many model time units one caller period lasts."""
    caller = _period_days(time_unit, "time_unit")
    model = _period_days(model_unit, "model_time_unit")
    if caller is None or model is None:
        if time_unit == model_unit:
            return 1.0
        bad = time_unit if caller is None else model_unit
        raise ParameterError(
            f"Cannot convert between time_unit={time_unit!r} and the model's unit "
            f"{model_unit!r}: unit {bad!r} is not one of {list(TIME_UNIT_DAYS)} (optionally with a "
            "multiple, e.g. '4.345W'). Use the model's own unit as time_unit."
        )
    return caller / model


def _model_unit(model: Any, model_time_unit: str | None) -> str:
    unit = model_time_unit if model_time_unit is not None else getattr(model, "time_unit_", None)
    if unit is None:
        raise ParameterError(
            f"{type(model).__name__} does not know its time unit (time_unit_ is None), so "
            "the horizon cannot be converted. Pass model_time_unit= (the unit of recency/T the "
            "model was fitted on, e.g. 'W'), or fit the model with time_unit= or on a summary "
            "whose attrs['time_unit'] is set."
        )
    return str(unit)


def _check_fitted(model: Any, what: str) -> None:
    check_fitted(model, "params_", how=f"fit the {what} (or use from_params(...)) first")


def _per_customer(value: Any, index: pd.Index, name: str, *, non_negative: bool) -> np.ndarray:
    """Broadcast a scalar or align a Series on ``index``, validating every value."""
    if isinstance(value, pd.Series):
        aligned = value.reindex(index)
        missing = aligned.isna().to_numpy()
        check_rule(
            missing,
            index,
            rule=f"{name} must be given for every customer",
            column=name,
            what=name,
            hint=f"The {name} Series must be indexed by the customer ids of data.",
        )
        arr = aligned.to_numpy(dtype=np.float64)
    else:
        scalar = float(check_number(value, name, finite=False))  # finiteness checked below
        arr = np.full(len(index), scalar)
    check_rule(~np.isfinite(arr), index, rule=f"{name} must be finite", column=name, what=name)
    if non_negative:
        check_rule(arr < 0, index, rule=f"{name} must be >= 0", column=name, what=name)
    return arr


def _cumulative_fn(
    model: Any, data: pd.DataFrame, params: np.ndarray | None = None
) -> Callable[[Any], np.ndarray]:
    """``t -> E[X(T, T + t) | history]`` for every row of ``data`` (t in model units).

    ``t`` is a number (result: one value per row) or an array of times (result: shape
    ``t.shape + (n_rows,)``, evaluated in one vectorized kernel call).

    Purchase models expose their array kernel (``_expected_kernel``): the data is validated
    once and the kernel is called directly, optionally with other parameters (``params``, for
    parameter draws). Other models go through their public ``expected_purchases``.
    """
    n_rows = len(data)
    kernel = getattr(type(model), "_expected_kernel", None)
    if kernel is not None and hasattr(model, "_columns_xtt"):
        x, t_x, T, _ = model._columns_xtt(data)
        values = model._params_array() if params is None else np.asarray(params, dtype=float)
        separable = _separable_fn(model, values, x, t_x, T)
        if separable is not None:
            return separable

        def from_kernel(t: Any) -> np.ndarray:
            times = np.asarray(t, dtype=np.float64)
            shape = (*times.shape, n_rows)
            if times.ndim == 0 and times <= 0:
                return np.zeros(n_rows)
            out = np.asarray(kernel(values, x, t_x, T, times[..., None]), dtype=np.float64)
            return np.where(times[..., None] > 0, np.broadcast_to(out, shape), 0.0)

        return from_kernel
    if params is not None:
        from customer_models.valuation._intervals import _with_params

        model = _with_params(model, params)
    over_times = getattr(model, "_expected_over_times", None)
    if over_times is not None:  # a discrete-time model evaluating many times in one call
        return over_times(data)

    def one(t: float) -> np.ndarray:
        if t <= 0:
            return np.zeros(n_rows)
        return np.asarray(model.expected_purchases(data, t=float(t)), dtype=np.float64)

    def from_method(t: Any) -> np.ndarray:
        times = np.asarray(t, dtype=np.float64)
        if times.ndim == 0:
            return one(float(times))
        # A duck-typed model's public method takes one t at a time: one call per time. The
        # callers cap the number of times (MAX_DISCRETE_PERIODS period ends, 64 nodes per
        # distinct discount rate).
        return np.stack([one(float(v)) for v in times.ravel()]).reshape(*times.shape, n_rows)

    return from_method


def _per_row_fn(
    model: Any, data: pd.DataFrame, params: np.ndarray | None
) -> Callable[[np.ndarray], np.ndarray] | None:
    """Return ``times -> E[X_j(times[i, j])]`` for times of shape ``(k, n_rows)``: one call.

    None for a model without an array kernel (a duck-typed model's public method takes one t
    for all rows); its callers then loop over the distinct times instead.
    """
    kernel = getattr(type(model), "_expected_kernel", None)
    if kernel is not None and hasattr(model, "_columns_xtt"):
        x, t_x, T, _ = model._columns_xtt(data)
        values = model._params_array() if params is None else np.asarray(params, dtype=float)

        def per_row(times: np.ndarray) -> np.ndarray:
            out = np.asarray(kernel(values, x, t_x, T, times), dtype=np.float64)
            return np.where(times > 0, out, 0.0)

        return per_row
    if params is not None:
        from customer_models.valuation._intervals import _with_params

        model = _with_params(model, params)
    over_times = getattr(model, "_expected_over_times", None)
    return None if over_times is None else over_times(data)


def _separable_fn(
    model: Any, params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> Callable[[Any], np.ndarray] | None:
    """Fast ``E[X(t)]`` evaluating the expensive part once per distinct (x, T) pair.

    ``g(x, T, t) = E[X(t) | x, t_x = T, T] / P(alive | x, t_x = T, T)`` is computed on the
    distinct (frequency, T) pairs (typically 1% of the customers of a daily summary) and
    multiplied by each customer's P(alive); exact, not an approximation.
    """
    alive_kernel = getattr(type(model), "_alive_kernel", None)
    kernel = type(model)._expected_kernel
    if not getattr(type(model), "_separable_expectation", False) or alive_kernel is None:
        return None
    distinct = distinct_rows([x, T], min_rows=0)
    if distinct is None:
        return None
    (x_u, T_u), pair_codes = distinct
    alive = np.asarray(alive_kernel(params, x, t_x, T), dtype=np.float64)
    alive_u = np.asarray(alive_kernel(params, x_u, T_u, T_u), dtype=np.float64)
    if not np.all(alive_u > 0):
        return None
    n_rows = len(x)

    def separable(t: Any) -> np.ndarray:
        times = np.asarray(t, dtype=np.float64)
        if times.ndim == 0 and times <= 0:
            return np.zeros(n_rows)
        given_alive = np.asarray(kernel(params, x_u, T_u, T_u, times[..., None])) / alive_u
        given_alive = np.where(times[..., None] > 0, given_alive, 0.0)
        return alive * given_alive[..., pair_codes]

    return separable


def _spend(spend_model: Any, data: pd.DataFrame) -> np.ndarray:
    if spend_model is None:
        require_columns(data, ["monetary_value"], what="data")
        return _per_customer(
            data["monetary_value"], data.index, "monetary_value", non_negative=False
        )
    if isinstance(spend_model, pd.Series):
        return _per_customer(spend_model, data.index, "spend", non_negative=False)
    if not hasattr(spend_model, "expected_spend"):
        raise ParameterError(
            "spend_model must be a fitted spend model with expected_spend() (e.g. "
            "GammaGammaModel), a Series of expected spend per transaction on data's index, or "
            f"None to use data['monetary_value']; got {type(spend_model).__name__}."
        )
    _check_fitted(spend_model, "spend_model")
    return np.asarray(spend_model.expected_spend(data), dtype=np.float64)


#: Most periods a discrete CLV sums (one expectation per period end and customer).
MAX_DISCRETE_PERIODS = 100_000
#: Elements (period ends x customers) evaluated per kernel call in the discrete sum.
_DISCRETE_BLOCK = 1 << 20
#: An increment of E[X(t)] below -this x E[X(t)] is a defect of the model's kernel, not rounding.
_INCREMENT_TOL = 1e-9


def _check_increments(increment: np.ndarray, current: np.ndarray) -> None:
    """Raise when expected cumulative purchases decrease (an invariant of every model).

    Rounding can make an increment a few ulps negative; a decrease larger than
    ``_INCREMENT_TOL`` of the expectation is a numerical defect, reported rather than
    clipped away.
    """
    bad = increment < -_INCREMENT_TOL * np.abs(current) - 1e-300
    if bad.any():
        worst = float(increment[bad].min())
        raise CustomerModelsError(
            f"Expected cumulative purchases decrease over time for {int(bad.any(axis=0).sum())}"
            f" customers (largest decrease {worst:.6g}): a numerical defect of the transaction "
            "model's expectation at these parameters. Please report it with the model's "
            "parameters; CLV is not computed from a decreasing expectation."
        )


def _discrete(
    cumulative: Callable[[Any], np.ndarray], horizon: float, ratio: float, rate: np.ndarray
) -> np.ndarray:
    """Sum over periods i of (E[X(t_i)] - E[X(t_(i-1))]) / (1 + d)^i (lifetimes' convention).

    Vectorized over blocks of period ends (one kernel call per block, not per period); the
    number of periods is capped at `MAX_DISCRETE_PERIODS`. Increments are never clipped: a
    decreasing expectation raises (see `_check_increments`).
    """
    n_periods = math.ceil(horizon - 1e-9)
    if n_periods > MAX_DISCRETE_PERIODS:
        raise ParameterError(
            f"A discrete CLV over {n_periods} periods exceeds the limit of "
            f"{MAX_DISCRETE_PERIODS} periods (one expectation per period end and customer). "
            "Use a longer time_unit (e.g. 'Y' instead of 'D'), or discounting='continuous', "
            "whose cost does not grow with the horizon."
        )
    log_growth = np.log1p(rate)
    total = np.zeros_like(rate)
    previous = np.zeros_like(rate)
    step = max(1, _DISCRETE_BLOCK // max(rate.size, 1))
    for first in range(1, n_periods + 1, step):
        ends = np.minimum(np.arange(first, min(first + step, n_periods + 1), dtype=float), horizon)
        current = np.asarray(cumulative(ends * ratio), dtype=np.float64).reshape(ends.size, -1)
        increment = np.diff(current, axis=0, prepend=previous[None, :])
        _check_increments(increment, current)
        total += np.einsum("ij,ij->j", increment, np.exp(-ends[:, None] * log_growth[None, :]))
        previous = current[-1]
    return total


def _alive(model: Any, data: pd.DataFrame, params: np.ndarray | None) -> np.ndarray:
    kernel = getattr(type(model), "_alive_kernel", None)
    if params is not None and kernel is not None and hasattr(model, "_columns_xtt"):
        x, t_x, T, _ = model._columns_xtt(data)
        return np.asarray(kernel(np.asarray(params, dtype=float), x, t_x, T), dtype=np.float64)
    if params is not None:
        from customer_models.valuation._intervals import _with_params

        model = _with_params(model, params)
    return np.asarray(model.probability_alive(data), dtype=np.float64)


def _closed_form_dert(
    model: Any,
    data: pd.DataFrame,
    delta: np.ndarray,
    horizon: float,
    params: np.ndarray | None = None,
) -> np.ndarray | None:
    """Return the model's own closed-form DERT (its ``_dert_kernel``), or None if it has none."""
    kernel = getattr(type(model), "_dert_kernel", None)
    if kernel is None or not {"frequency", "T"} <= set(data.columns):
        return None
    values = model.params_.to_numpy() if params is None else params
    x = data["frequency"].to_numpy(dtype=np.float64)
    T = data["T"].to_numpy(dtype=np.float64)
    result = kernel(values, x, T, _alive(model, data, params), delta, horizon)
    if result is None or not np.all(np.isfinite(result)):
        return None
    return np.asarray(result, dtype=np.float64)


def _non_negative(values: np.ndarray) -> np.ndarray:
    """Return discounted expected purchases unchanged; raise if one is negative (a defect).

    Every term of these quadratures and closed forms is non-negative, so a negative result
    can only come from a broken expectation; it is reported, never clipped.
    """
    if np.any(values < 0):
        raise CustomerModelsError(
            f"Discounted expected purchases are negative for {int((values < 0).sum())} "
            f"customers (smallest {float(values.min()):.6g}): a numerical defect of the "
            "transaction model's expectation at these parameters. Please report it with the "
            "model's parameters."
        )
    return values


def _discounted_average(
    model: Any,
    data: pd.DataFrame,
    params: np.ndarray | None,
    cumulative: Callable[[Any], np.ndarray],
    delta: np.ndarray,
    nodes: np.ndarray,
    weights: np.ndarray,
    start: float = 0.0,
) -> np.ndarray:
    """``sum_k w_k E[X(start + u_k / delta)]`` per customer (a rule for ``int e^-u ... du``)."""
    rates = np.unique(delta)
    per_row = _per_row_fn(model, data, params) if rates.size > 1 else None
    if per_row is not None:  # every customer's own nodes in one kernel call, not one per rate
        return np.asarray(weights @ per_row(start + nodes[:, None] / delta[None, :]))
    total = np.zeros_like(delta)
    for value in rates:  # one rate, or a duck-typed model (one call per distinct rate)
        rows = delta == value
        values = np.asarray(cumulative(start + nodes / value), dtype=np.float64)
        total[rows] = weights @ values[:, rows]
    return total


def _continuous(
    model: Any,
    data: pd.DataFrame,
    cumulative: Callable[[Any], np.ndarray],
    horizon: float,
    delta: np.ndarray,
    params: np.ndarray | None = None,
) -> np.ndarray:
    """DERT: the integral of exp(-delta t) dE[X(t)] over [0, horizon] (model units).

    By parts and with u = delta t it is ``e^-U E[X(H)] + int_0^U e^-u E[X(u / delta)] du``,
    U = delta H. Up to U = 1 a Gauss-Legendre rule over [0, H] is exact to rounding; beyond,
    the exponential is too steep for it, so the finite horizon is the infinite one minus what
    comes after H: ``DERT_inf - e^-U int_0^inf e^-v (E[X(H + v / delta)] - E[X(H)]) dv``
    (Gauss-Laguerre; a difference of terms within a factor e^-1 of each other, no cancellation).
    """
    closed = _closed_form_dert(model, data, delta, horizon, params)
    if closed is not None:
        return _non_negative(closed)
    if not np.isfinite(horizon):
        nodes, weights = _infinite_horizon_rule()
        return _non_negative(
            _discounted_average(model, data, params, cumulative, delta, nodes, weights)
        )
    near = delta * horizon <= 1.0
    total = np.empty_like(delta)
    if near.any():
        nodes, weights = roots_legendre(_N_LEGENDRE)
        times = 0.5 * horizon * (nodes + 1.0)
        values = np.asarray(cumulative(np.append(times, horizon)), dtype=np.float64)
        factors = delta[None, :] * np.exp(-delta[None, :] * times[:, None])
        by_legendre = np.exp(-delta * horizon) * values[-1] + np.einsum(
            "ij,ij,i->j", factors, values[:-1], 0.5 * horizon * weights
        )
        total[near] = by_legendre[near]
    if not near.all():
        infinite = _continuous(model, data, cumulative, math.inf, delta, params)
        nodes, weights = roots_laguerre(_N_LAGUERRE)
        after = _discounted_average(
            model, data, params, cumulative, delta, nodes, weights, start=horizon
        )
        at_horizon = np.asarray(cumulative(horizon), dtype=np.float64)
        beyond = np.exp(-delta * horizon) * (after - at_horizon * weights.sum())
        total[~near] = (infinite - beyond)[~near]
    return _non_negative(total)


def _clv_point(
    transaction_model: Any,
    spend_model: Any,
    data: pd.DataFrame,
    *,
    horizon: float,
    ratio: float,
    rate: np.ndarray,
    margin: np.ndarray,
    discounting: str,
    params: np.ndarray | None = None,
) -> np.ndarray:
    """CLV per row of ``data``; ``params`` replaces the transaction model's parameters."""
    cumulative = _cumulative_fn(transaction_model, data, params)
    if discounting == "discrete":
        purchases = _discrete(cumulative, horizon, ratio, rate)
    else:
        delta = np.log1p(rate) / ratio  # force of interest per model time unit
        purchases = _continuous(transaction_model, data, cumulative, horizon * ratio, delta, params)
    spend = _spend(spend_model, data)
    return purchases * spend * margin


def customer_lifetime_value(
    transaction_model: Any,
    spend_model: Any,
    data: Any,
    *,
    horizon: float,
    time_unit: str = "M",
    discount_rate: float | pd.Series = 0.0,
    discounting: Literal["discrete", "continuous"] = "discrete",
    margin: float | pd.Series = 1.0,
    model_time_unit: str | None = None,
    interval: float | None = None,
    n_draws: int = 200,
    method: Literal["laplace", "bootstrap"] = "laplace",
    random_state: int | np.random.Generator | None = None,
    chunk_size: int | None = None,
) -> pd.Series | pd.DataFrame:
    """Discounted customer lifetime value over a horizon, one value per customer.

    ``CLV = margin × expected spend per purchase × discounted expected purchases``, where the
    purchases are the transaction model's conditional expectations given each customer's
    history (frequency, recency, T) and the spend comes from a spend model
    (:class:`GammaGammaModel`), a Series, or the ``monetary_value`` column.

    Parameters
    ----------
    transaction_model : fitted valuation model
        BG/NBD, MBG/NBD, Pareto/NBD, ... (anything with ``expected_purchases(data, t=...)``).
    spend_model : fitted spend model, Series or None
        A model with ``expected_spend(data)`` (conditional mean spend per purchase), a Series of
        spend per purchase on ``data``'s index, or None to use ``data["monetary_value"]`` as
        is (lifetimes' ``_customer_lifetime_value`` convention).
    data : DataFrame
        Customer summary with the columns the models need, indexed by customer id.
    horizon : float
        Length of the projection, in ``time_unit`` periods (``numpy.inf`` for the infinite
        horizon, continuous discounting only).
    time_unit : str, default "M"
        Unit of ``horizon`` and period of ``discount_rate``: ``"D"``, ``"W"``, ``"M"``
        (365.25/12 days), ``"Q"``, ``"Y"``, optionally with a multiple (``"30D"``,
        ``"4.345W"``, lifetimes' months for daily and weekly models).
    discount_rate : float or Series, default 0.0
        Effective discount rate per ``time_unit`` period, a scalar or per customer.
    discounting : {"discrete", "continuous"}, default "discrete"
        ``"discrete"``: purchases of period i (i = 1..horizon) are discounted by
        ``(1 + d)^i``, as in lifetimes. ``"continuous"``: the discounted expected residual
        transactions (DERT) of CLVTools, ``∫ exp(-δt) dE[X(t)]`` with force of interest
        ``δ = log(1 + d)`` per period (CLVTools' ``continuous.discount.factor`` is δ per model
        unit). Closed form for Pareto/NBD; quadrature over the model's expectation otherwise.
    margin : float or Series, default 1.0
        Profit margin applied to spend, a scalar or per customer (may be negative).
    model_time_unit : str, optional
        Unit of the transaction model's recency/T; default ``transaction_model.time_unit_``.
    interval : float, optional
        If given (e.g. 0.9), also return the lower and upper quantiles of CLV over parameter
        draws of both models (see :func:`prediction_interval`).
    n_draws, method, random_state, chunk_size
        Parameter draws for ``interval`` (see :func:`prediction_interval`).

    Returns
    -------
    Series or DataFrame
        Series ``"clv"`` on ``data``'s index; with ``interval``, a DataFrame with columns
        ``clv``, ``lower`` and ``upper``. Never NaN; negative only with negative margins.

    Raises
    ------
    ParameterError
        Unknown or inconvertible units, a model without a time unit, a negative horizon or
        rate, an infinite discrete horizon, or an infinite horizon without discounting.
    NotFittedError
        A model is not fitted.

    Notes
    -----
    Discrete: ``CLV_i = m_i s_i Σ_{k=1}^{n} (E[X(t_k)] − E[X(t_{k−1})]) (1 + d_i)^{−k}`` with
    ``t_k = k`` periods converted to model units. Continuous:
    ``CLV_i = m_i s_i ∫_0^H exp(−δ_i t) dE[X(t)]``.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005), "RFM and CLV: using iso-value curves
    for customer base analysis", Journal of Marketing Research 42(4), 415-430.

    Examples
    --------
    >>> import pandas as pd
    >>> class Constant:  # one purchase per week, forever
    ...     params_ = pd.Series({"rate": 1.0})
    ...     time_unit_ = "W"
    ...     def expected_purchases(self, data, *, t):
    ...         return pd.Series(t, index=data.index)
    >>> data = pd.DataFrame({"monetary_value": [10.0, 20.0]}, index=["a", "b"])
    >>> customer_lifetime_value(Constant(), None, data, horizon=1, time_unit="Y").round(2)
    a    521.79
    b   1043.57
    Name: clv, dtype: float64
    """
    frame = as_pandas(data, what="data")
    _check_fitted(transaction_model, "transaction_model")
    check_choice(discounting, "discounting", ["discrete", "continuous"])
    horizon = float(
        check_number(
            horizon, f"horizon ({time_unit} periods)", low=0.0, low_inclusive=False, finite=False
        )
    )
    ratio = _units_ratio(time_unit, _model_unit(transaction_model, model_time_unit))
    rate = _per_customer(discount_rate, frame.index, "discount_rate", non_negative=True)
    margins = _per_customer(margin, frame.index, "margin", non_negative=False)
    if not np.isfinite(horizon):
        if discounting == "discrete":
            raise ParameterError(
                "An infinite horizon needs discounting='continuous' (discrete periods never "
                "end); or give a finite horizon."
            )
        check_rule(
            rate <= 0,
            frame.index,
            rule="discount_rate must be > 0 for an infinite horizon",
            column="discount_rate",
            what="discount_rate",
            hint="Without discounting the value over an infinite horizon is unbounded.",
        )
    options: dict[str, Any] = {
        "horizon": horizon,
        "ratio": ratio,
        "rate": rate,
        "margin": margins,
        "discounting": discounting,
    }
    values = _clv_point(transaction_model, spend_model, frame, **options)
    bad = ~np.isfinite(values)
    if bad.any():
        raise CustomerModelsError(
            f"CLV is not finite for {int(bad.sum())} customers (first ids: "
            f"{list(frame.index[bad][:5])}); check the models' parameters and the data."
        )
    clv = pd.Series(values, index=frame.index, name="clv")
    if interval is None:
        return clv
    from customer_models.valuation._intervals import _clv_interval

    lower, upper = _clv_interval(
        transaction_model,
        spend_model,
        frame,
        options=options,
        level=interval,
        n_draws=n_draws,
        method=method,
        random_state=random_state,
        chunk_size=chunk_size,
    )
    return pd.DataFrame({"clv": values, "lower": lower, "upper": upper}, index=frame.index)
