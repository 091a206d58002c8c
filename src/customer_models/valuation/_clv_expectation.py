"""The expectation CLV discounts: ``t -> E[X(T, T + t) | history]`` for every customer.

A shipped purchase model exposes its array kernels (``_expected_kernel``, ``_alive_kernel``):
the data is validated once and the kernels are called directly, optionally at other parameters
(draws for intervals). A model that declares its expectation separable gets the fast path that
evaluates the expensive part once per distinct (frequency, T) pair. A duck-typed model goes
through its public ``expected_purchases`` (one call per time).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from customer_models.valuation._param_draws import with_params as _with_params
from customer_models.valuation._patterns import distinct_rows

__all__ = ["CumulativeFn", "alive_probability", "cumulative_fn", "per_row_fn"]

#: ``t -> E[X(t)]`` per row: a number gives one value per row, an array of times the shape
#: ``t.shape + (n_rows,)``.
CumulativeFn = Callable[[Any], np.ndarray]


def _has_kernels(model: Any) -> bool:
    return getattr(type(model), "_expected_kernel", None) is not None and hasattr(
        model, "_columns_xtt"
    )


def _params_of(model: Any, params: np.ndarray | None) -> np.ndarray:
    return model._params_array() if params is None else np.asarray(params, dtype=float)


def cumulative_fn(model: Any, data: pd.DataFrame, params: np.ndarray | None = None) -> CumulativeFn:
    """``t -> E[X(T, T + t) | history]`` for every row of ``data`` (t in model units).

    ``t`` is a number (result: one value per row) or an array of times (result: shape
    ``t.shape + (n_rows,)``, evaluated in one vectorized kernel call).

    Purchase models expose their array kernel (``_expected_kernel``): the data is validated
    once and the kernel is called directly, optionally with other parameters (``params``, for
    parameter draws). Other models go through their public ``expected_purchases``.
    """
    n_rows = len(data)
    if _has_kernels(model):
        kernel = type(model)._expected_kernel
        x, t_x, T, _ = model._columns_xtt(data)
        values = _params_of(model, params)
        separable = separable_fn(model, values, x, t_x, T)
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


def per_row_fn(
    model: Any, data: pd.DataFrame, params: np.ndarray | None
) -> Callable[[np.ndarray], np.ndarray] | None:
    """Return ``times -> E[X_j(times[i, j])]`` for times of shape ``(k, n_rows)``: one call.

    None for a model without an array kernel (a duck-typed model's public method takes one t
    for all rows); its callers then loop over the distinct times instead.
    """
    if _has_kernels(model):
        kernel = type(model)._expected_kernel
        x, t_x, T, _ = model._columns_xtt(data)
        values = _params_of(model, params)

        def per_row(times: np.ndarray) -> np.ndarray:
            out = np.asarray(kernel(values, x, t_x, T, times), dtype=np.float64)
            return np.where(times > 0, out, 0.0)

        return per_row
    if params is not None:
        model = _with_params(model, params)
    over_times = getattr(model, "_expected_over_times", None)
    return None if over_times is None else over_times(data)


def separable_fn(
    model: Any, params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> CumulativeFn | None:
    """Fast ``E[X(t)]`` evaluating the expensive part once per distinct (x, T) pair.

    ``g(x, T, t) = E[X(t) | x, t_x = T, T] / P(alive | x, t_x = T, T)`` is computed on the
    distinct (frequency, T) pairs (typically 1% of the customers of a daily summary) and
    multiplied by each customer's P(alive); exact, not an approximation. None unless the model
    declares ``_separable_expectation`` and has an ``_alive_kernel``.
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


def alive_probability(model: Any, data: pd.DataFrame, params: np.ndarray | None) -> np.ndarray:
    """P(alive) of every row, at the model's parameters or at ``params``."""
    kernel = getattr(type(model), "_alive_kernel", None)
    if params is not None and kernel is not None and hasattr(model, "_columns_xtt"):
        x, t_x, T, _ = model._columns_xtt(data)
        return np.asarray(kernel(np.asarray(params, dtype=float), x, t_x, T), dtype=np.float64)
    if params is not None:
        model = _with_params(model, params)
    return np.asarray(model.probability_alive(data), dtype=np.float64)
