"""Whom to contact with a budget: rank by expected incremental value, choose within the budget.

The value of contacting a customer is ``uplift x CLV - cost`` (:func:`incremental_value`): the
extra purchases the contact causes, valued, minus what it costs. :func:`allocate_budget`
chooses the customers that maximise the summed value with the summed cost within the
budget: an exact 0/1 knapsack (``scipy.optimize.milp``) for up to ``exact_limit`` candidates,
else the greedy value-per-cost rule, which is within one customer's value of the optimum.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from customer_models._validation import check_choice, check_number
from customer_models.exceptions import ParameterError

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["BudgetPlan", "allocate_budget", "incremental_value"]


def _series(values: Any, name: str, index: Any = None) -> pd.Series:
    series = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values), index=index)
    numeric = pd.to_numeric(series, errors="coerce")
    bad = ~np.isfinite(numeric.to_numpy(dtype=np.float64))
    if bad.any():
        raise ParameterError(
            f"{name} must be finite numbers; {int(bad.sum())} of {bad.size} are not "
            f"(first ids: {list(series.index[bad][:5])})."
        )
    return numeric.astype(np.float64)


def _aligned(values: Any, index: pd.Index, name: str) -> pd.Series:
    """Return a per-customer Series on ``index`` from a scalar, an array or a Series."""
    if np.ndim(values) == 0:
        return _series(np.full(len(index), values, dtype=object), name, index)
    if isinstance(values, pd.Series):
        missing = index.difference(values.index)
        if len(missing):
            raise ParameterError(
                f"{name} has no value for {len(missing)} customers (first ids: "
                f"{list(missing[:5])})."
            )
        return _series(values.reindex(index), name)
    if len(values) != len(index):
        raise ParameterError(f"{name} must have one value per customer ({len(index)}).")
    return _series(values, name, index)


def incremental_value(uplift: ArrayLike, value: ArrayLike, cost: ArrayLike = 0.0) -> pd.Series:
    """Return the expected net value of contacting each customer: ``uplift x value - cost``.

    Parameters
    ----------
    uplift : Series or array-like
        Estimated uplift per customer (e.g. :class:`TwoModelUplift` ``predict``: the change in
        the probability of staying, or of buying).
    value : Series, array-like or float
        What that change is worth per customer (e.g. the CLV of a customer who stays).
    cost : Series, array-like or float, default 0
        Cost of one contact.

    Examples
    --------
    >>> incremental_value([0.1, 0.0, 0.3], [100.0, 500.0, 10.0], cost=2.0).tolist()
    [8.0, -2.0, 1.0]
    """
    lift = _series(uplift, "uplift")
    worth = _aligned(value, lift.index, "value")
    price = _aligned(cost, lift.index, "cost")
    return (lift * worth - price).rename("incremental_value")


@dataclass(frozen=True)
class BudgetPlan:
    """The customers chosen by :func:`allocate_budget` and what they are expected to bring.

    Attributes
    ----------
    selected : Series of bool
        On the customer index: contact or not.
    expected_value : float
        Summed net value of the selected customers.
    lower, upper : float
        Normal interval of ``expected_value`` at ``confidence`` from the values' standard
        deviations (NaN without them).
    spent : float
        Summed cost of the selected customers (<= the budget).
    method : str
        ``"exact"`` (0/1 knapsack) or ``"greedy"``.
    confidence : float
    """

    selected: pd.Series
    expected_value: float
    lower: float
    upper: float
    spent: float
    method: str
    confidence: float

    @property
    def n_selected(self) -> int:
        """Number of customers to contact."""
        return int(self.selected.sum())


def _greedy(value: np.ndarray, cost: np.ndarray, budget: float) -> np.ndarray:
    """Take the best value per cost while it fits (skipping what does not)."""
    chosen = np.zeros(value.size, dtype=bool)
    free = cost == 0
    chosen[free] = True
    paid = np.flatnonzero(~free)
    order = paid[np.argsort(-(value[paid] / cost[paid]), kind="stable")]
    fits = np.cumsum(cost[order]) <= budget
    if fits.all():
        chosen[order] = True
        return chosen
    # Then, in rounds: drop who no longer fits, take the longest prefix that fits. Each round
    # takes a prefix in one array step and drops at least the customer that ended it.
    left = budget
    rest = order
    while rest.size:
        rest = rest[cost[rest] <= left]
        if not rest.size:
            break
        prefix = np.cumsum(cost[rest]) <= left
        k = rest.size if prefix.all() else int(np.argmin(prefix))
        chosen[rest[:k]] = True
        left -= float(cost[rest[:k]].sum())
        rest = rest[k:]
    return chosen


def _exact(value: np.ndarray, cost: np.ndarray, budget: float) -> np.ndarray:
    result = optimize.milp(
        c=-value,
        constraints=optimize.LinearConstraint(cost[np.newaxis, :], -np.inf, budget),
        integrality=np.ones(value.size),
        bounds=optimize.Bounds(0, 1),
    )
    if not result.success:  # pragma: no cover - a 0/1 knapsack with x = 0 feasible
        raise ParameterError(f"the exact allocation failed: {result.message}")
    return np.asarray(result.x) > 0.5


def allocate_budget(
    value: ArrayLike,
    cost: ArrayLike,
    budget: float,
    *,
    value_sd: ArrayLike | None = None,
    method: str = "auto",
    exact_limit: int = 2_000,
    confidence: float = 0.95,
) -> BudgetPlan:
    """Choose whom to contact: the most net value within the budget.

    Parameters
    ----------
    value : Series or array-like
        Expected net value of contacting each customer (:func:`incremental_value`); only
        customers with a positive value are candidates.
    cost : Series, array-like or float
        Cost of contacting each customer (>= 0).
    budget : float
        Total that may be spent (>= 0).
    value_sd : Series or array-like, optional
        Standard deviation of each value (e.g. from bootstrap refits of the uplift model);
        gives the interval, treating customers as independent.
    method : {"auto", "exact", "greedy"}, default "auto"
        ``"auto"``: exact for at most ``exact_limit`` candidates, else greedy.
    exact_limit : int, default 2,000
    confidence : float, default 0.95

    Returns
    -------
    BudgetPlan

    Examples
    --------
    >>> plan = allocate_budget([10.0, 6.0, 6.0, -1.0], cost=[5.0, 3.0, 3.0, 1.0], budget=6.0)
    >>> plan.selected.tolist(), plan.expected_value, plan.spent, plan.method
    ([False, True, True, False], 12.0, 6.0, 'exact')
    """
    worth = _series(value, "value")
    price = _aligned(cost, worth.index, "cost")
    if (price < 0).any():
        raise ParameterError("cost must be >= 0 for every customer.")
    budget = check_number(budget, "budget", low=0.0, high=1e300)
    method = check_choice(method, "method", ("auto", "exact", "greedy"))
    exact_limit = check_number(exact_limit, "exact_limit", low=1, high=100_000, integer=True)
    confidence = check_number(
        confidence, "confidence", low=0.0, high=1.0, low_inclusive=False, high_inclusive=False
    )
    v, c = worth.to_numpy(), price.to_numpy()
    candidates = np.flatnonzero((v > 0) & (c <= budget))
    use_exact = method == "exact" or (method == "auto" and candidates.size <= exact_limit)
    chosen = np.zeros(v.size, dtype=bool)
    if candidates.size:
        pick = _exact if use_exact else _greedy
        chosen[candidates] = pick(v[candidates], c[candidates], budget)
    total = float(v[chosen].sum())
    if value_sd is None:
        lower = upper = float("nan")
    else:
        sd = _aligned(value_sd, worth.index, "value_sd").to_numpy()
        if (sd < 0).any():
            raise ParameterError("value_sd must be >= 0.")
        half = float(stats.norm.ppf(0.5 + confidence / 2.0)) * float(
            np.sqrt(np.sum(sd[chosen] ** 2))
        )
        lower, upper = total - half, total + half
    return BudgetPlan(
        selected=pd.Series(chosen, index=worth.index, name="contact"),
        expected_value=total,
        lower=lower,
        upper=upper,
        spent=float(c[chosen].sum()),
        method="exact" if use_exact else "greedy",
        confidence=confidence,
    )
