"""Customer lifetime value: discounted expected purchases times expected spend times margin.

Time units are explicit everywhere. The caller states the unit of the horizon and of the
discount rate (``horizon_unit``); the transaction model carries its own unit (``time_unit_``,
recorded at ``fit`` from the summary's ``attrs["time_unit"]``). The two are converted through
their length in days (a month is 365.25/12 days), so a weekly model and a monthly horizon can
never be mixed silently.

The pieces live beside this module: ``_clv_args`` (units, horizon, per-customer values, spend),
``_clv_expectation`` (the model's ``E[X(t)]``, with the separable fast path) and
``_clv_quadrature`` (the discrete sum and the DERT integrals). Here: the choice between a
model's closed-form DERT and quadrature, the point value, its interval and the result.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from customer_models._polars import polars_out
from customer_models._progress import ProgressLike, check_progress
from customer_models._validation import as_generator, as_pandas, check_choice
from customer_models.exceptions import CustomerModelsError
from customer_models.typing import FittedPurchaseModel, FittedSpendModel
from customer_models.valuation._clv_args import (
    check_fitted_model,
    check_infinite_horizon,
    checked_horizon,
    checked_start,
    model_unit,
    per_customer,
    period_days,
    spend_per_purchase,
    units_ratio,
)
from customer_models.valuation._clv_expectation import (
    CumulativeFn,
    alive_probability,
    cumulative_fn,
)
from customer_models.valuation._clv_quadrature import (
    Expectation,
    check_increments,
    discrete_sum,
    finite_dert,
    infinite_dert,
    non_negative,
)
from customer_models.valuation._intervals import chunked_quantiles
from customer_models.valuation._param_draws import check_draw_options, joint_draws, with_params

if TYPE_CHECKING:
    from customer_models.typing import RandomStateLike


__all__ = ["customer_lifetime_value"]

# Former names of this module that evaluation/_tracking.py and the reference tests import.
_model_unit = model_unit
_period_days = period_days
_cumulative_fn = cumulative_fn
_check_increments = check_increments


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
    result = kernel(values, x, T, alive_probability(model, data, params), delta, horizon)
    if result is None or not np.all(np.isfinite(result)):
        return None
    return np.asarray(result, dtype=np.float64)


def _continuous(
    model: Any,
    data: pd.DataFrame,
    cumulative: CumulativeFn,
    horizon: float,
    delta: np.ndarray,
    params: np.ndarray | None = None,
) -> np.ndarray:
    """DERT: the integral of exp(-delta t) dE[X(t)] over [0, horizon] (model units).

    The model's closed form when it has one (``_closed_form_dert``, looked up here so that a
    test can decline it), else quadrature of its ``E[X(t)]`` (see ``_clv_quadrature``); a
    finite horizon beyond ``delta H = 1`` takes the infinite-horizon DERT, closed or not.
    """
    closed = _closed_form_dert(model, data, delta, horizon, params)
    if closed is not None:
        return non_negative(closed)
    expectation = Expectation(model, data, params, cumulative)
    if not np.isfinite(horizon):
        return non_negative(infinite_dert(expectation, delta))

    def infinite() -> np.ndarray:
        return _continuous(model, data, cumulative, math.inf, delta, params)

    return non_negative(finite_dert(expectation, horizon, delta, infinite))


def _window(full: np.ndarray, early: np.ndarray) -> np.ndarray:
    """``full - early`` (both discounted expected purchases), rounding below 0 taken as 0.

    A difference below ``-1e-12 full`` is not rounding and is reported (`non_negative`).
    """
    diff = full - early
    rounding = (diff < 0) & (diff >= -1e-12 * np.abs(full))
    return non_negative(np.where(rounding, 0.0, diff))


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
    start: float = 0.0,
    params: np.ndarray | None = None,
) -> np.ndarray:
    """CLV per row of ``data``; ``params`` replaces the transaction model's parameters."""
    cumulative = cumulative_fn(transaction_model, data, params)
    if discounting == "discrete":
        purchases = discrete_sum(cumulative, horizon, ratio, rate, start)
    else:
        delta = np.log1p(rate) / ratio  # force of interest per model time unit
        purchases = _continuous(transaction_model, data, cumulative, horizon * ratio, delta, params)
        if start > 0:  # the window (start, horizon]: the value from now less that up to start
            early = _continuous(transaction_model, data, cumulative, start * ratio, delta, params)
            purchases = _window(purchases, early)
    spend = spend_per_purchase(spend_model, data)
    return purchases * spend * margin


def _clv_interval(
    transaction_model: Any,
    spend_model: Any,
    data: pd.DataFrame,
    *,
    options: dict[str, Any],
    confidence: float,
    n_draws: int,
    method: str,
    fit_data: pd.DataFrame | None,
    random_state: RandomStateLike,
    chunk_size: int | None,
    progress: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper CLV quantiles over joint draws of both models' parameters.

    The bootstrap refits the transaction model on resamples of ``fit_data`` and the spend
    model on resamples of its rows with ``frequency > 0`` (refused without ``fit_data``).
    """
    check_choice(method, "method", ["laplace", "bootstrap"])
    confidence, n_draws, chunk_size = check_draw_options(
        confidence, n_draws, chunk_size, random_state
    )
    rng = as_generator(random_state)
    tm_draws, sm_draws = joint_draws(
        transaction_model, spend_model, int(n_draws), rng, method, fit_data, progress
    )
    sms: list[Any] = (
        [spend_model] * int(n_draws)
        if sm_draws is None
        else [with_params(spend_model, d) for d in sm_draws]
    )
    rate, margin = options["rate"], options["margin"]
    rest = {k: v for k, v in options.items() if k not in ("rate", "margin")}

    def evaluate(k: int, rows: slice) -> np.ndarray:
        chunk = data.iloc[rows]
        spend = sms[k]
        if isinstance(spend, pd.Series):
            spend = spend.reindex(chunk.index)
        return _clv_point(
            transaction_model,
            spend,
            chunk,
            rate=rate[rows],
            margin=margin[rows],
            params=tm_draws[k],
            **rest,
        )

    return chunked_quantiles(len(data), int(n_draws), evaluate, confidence, chunk_size)


def _checked_finite(values: np.ndarray, index: pd.Index) -> np.ndarray:
    """Return the CLV values; raise naming the customers if one is not finite."""
    bad = ~np.isfinite(values)
    if bad.any():
        raise CustomerModelsError(
            f"CLV is not finite for {int(bad.sum())} customers (first ids: "
            f"{list(index[bad][:5])}); check the models' parameters and the data."
        )
    return values


@polars_out
def customer_lifetime_value(
    transaction_model: FittedPurchaseModel,
    spend_model: FittedSpendModel | pd.Series | None,
    data: Any,
    *,
    horizon: float,
    horizon_unit: str = "M",
    start: float = 0.0,
    discount_rate: float | pd.Series = 0.0,
    discounting: Literal["discrete", "continuous"] = "discrete",
    margin: float | pd.Series = 1.0,
    model_time_unit: str | None = None,
    confidence: float | None = None,
    n_draws: int = 200,
    method: Literal["laplace", "bootstrap"] = "laplace",
    fit_data: Any = None,
    random_state: RandomStateLike = None,
    chunk_size: int | None = None,
    progress: ProgressLike = None,
) -> pd.Series | pd.DataFrame:
    """Discounted customer lifetime value over a horizon, one value per customer.

    ``CLV = margin × expected spend per purchase × discounted expected purchases``, where the
    purchases are the transaction model's conditional expectations given each customer's
    history (frequency, recency, T) and the spend comes from a spend model
    (:class:`GammaGammaModel`), a Series, or the ``monetary_value`` column.

    Parameters
    ----------
    transaction_model : FittedPurchaseModel
        BG/NBD, MBG/NBD, Pareto/NBD, BG/BB or your own model with
        ``expected_purchases(data, t=...)`` (see :mod:`customer_models.typing`).
    spend_model : FittedSpendModel, Series or None
        A model with ``expected_spend(data)`` (conditional mean spend per purchase), a Series of
        spend per purchase on ``data``'s index, or None to use ``data["monetary_value"]`` as
        is (lifetimes' ``_customer_lifetime_value`` convention).
    data : DataFrame
        Customer summary with the columns the models need, indexed by customer id.
    horizon : float
        Length of the projection, in ``horizon_unit`` periods (``numpy.inf`` for the infinite
        horizon, continuous discounting only).
    horizon_unit : str, default "M"
        Unit of ``horizon`` and period of ``discount_rate``: ``"D"``, ``"W"``, ``"M"``
        (365.25/12 days), ``"Q"``, ``"Y"``, optionally with a multiple (``"30D"``,
        ``"4.345W"``, lifetimes' months for daily and weekly models).
    start : float, default 0.0
        Start of the window, in ``horizon_unit`` periods after the end of observation: the
        value of the purchases in ``(start, horizon]``, still discounted from now (the
        purchases of period ``i`` by ``(1 + d)^i``, continuous ``exp(-δt)``), so that
        ``CLV(start=s) = CLV(horizon) - CLV(horizon=s)``. ``0 <= start < horizon``.
    discount_rate : float or Series, default 0.0
        Effective discount rate per ``horizon_unit`` period, a scalar or per customer.
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
    confidence : float, optional
        If given (e.g. 0.9), also return a confidence interval of the (expected) CLV: the
        lower and upper quantiles over parameter draws of both models (see
        :func:`confidence_interval`). This is parameter uncertainty only; a customer's
        realised value varies far more.
    n_draws, method, random_state, chunk_size
        Parameter draws for ``confidence`` (see :func:`confidence_interval`).
    fit_data : DataFrame, optional
        The data the models were fitted on; required by ``method="bootstrap"``, which refits
        the transaction model on resamples of it and the spend model on resamples of its
        rows with ``frequency > 0``. The scored ``data`` is never refitted in its place.
    progress : bool, tqdm-compatible class or callable, optional
        Report the bootstrap refits, as in :func:`confidence_interval`.

    Returns
    -------
    Series or DataFrame
        Series ``"clv"`` on ``data``'s index; with ``confidence``, a DataFrame with columns
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
    ``t_k = k`` periods converted to model units (with ``start``, ``t_k`` is clipped to
    ``[start, H]``). Continuous: ``CLV_i = m_i s_i ∫_start^H exp(−δ_i t) dE[X(t)]``.

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
    ...     def probability_alive(self, data):
    ...         return pd.Series(1.0, index=data.index)
    >>> data = pd.DataFrame({"monetary_value": [10.0, 20.0]}, index=["a", "b"])
    >>> customer_lifetime_value(Constant(), None, data, horizon=1, horizon_unit="Y").round(2)
    a    521.79
    b   1043.57
    Name: clv, dtype: float64
    """
    frame = as_pandas(data, what="data")
    check_progress(progress)
    check_fitted_model(transaction_model, "transaction_model")
    check_choice(discounting, "discounting", ["discrete", "continuous"])
    horizon = checked_horizon(horizon, horizon_unit)
    first = checked_start(start, horizon, horizon_unit)
    ratio = units_ratio(horizon_unit, model_unit(transaction_model, model_time_unit))
    rate = per_customer(discount_rate, frame.index, "discount_rate", non_negative=True)
    margins = per_customer(margin, frame.index, "margin", non_negative=False)
    check_infinite_horizon(horizon, discounting, rate, frame.index)
    options: dict[str, Any] = {
        "horizon": horizon,
        "ratio": ratio,
        "rate": rate,
        "margin": margins,
        "discounting": discounting,
        "start": first,
    }
    values = _checked_finite(
        _clv_point(transaction_model, spend_model, frame, **options), frame.index
    )
    clv = pd.Series(values, index=frame.index, name="clv")
    if confidence is None:
        return clv
    fit_frame = None if fit_data is None else as_pandas(fit_data, what="fit_data")
    lower, upper = _clv_interval(
        transaction_model,
        spend_model,
        frame,
        options=options,
        confidence=confidence,
        n_draws=n_draws,
        method=method,
        fit_data=fit_frame,
        random_state=random_state,
        chunk_size=chunk_size,
        progress=progress,
    )
    return pd.DataFrame({"clv": values, "lower": lower, "upper": upper}, index=frame.index)
