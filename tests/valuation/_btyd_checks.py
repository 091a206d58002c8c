"""Checks shared by the BG/NBD, MBG/NBD and Pareto/NBD tests: one copy of what they all ask.

lifetimes (the peer library) is imported here once, its import warnings silenced; the
properties (bounded, finite, monotone predictions) and the recovery of simulated parameters
are the same statement for every model of the family, run on each model's own parameters.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import strategies as st

#: The horizons at which the MBG/NBD and Pareto/NBD tests compare predictions with lifetimes.
LIFETIMES_HORIZONS: dict[str, tuple[float, ...]] = {
    "horizons": (1.0, 39.0, 150.0),
    "new_customer_horizons": (1.0, 39.0, 78.0),
}


def lifetimes_fitter(name: str, params: Mapping[str, float] | None = None) -> Any:
    """lifetimes' fitter class ``name``, or an instance of it with ``params`` set."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import lifetimes
    fitter = getattr(lifetimes, name)
    if params is None:
        return fitter
    instance = fitter()
    instance.params_ = pd.Series(params)
    return instance


#: One valid summary row (frequency, recency, T): recency within [0, T], 0 without repeats.
summary_rows = st.tuples(
    st.integers(min_value=0, max_value=500),
    st.floats(min_value=0.0, max_value=1.0),
    st.floats(min_value=0.0, max_value=1e5),
).map(lambda v: (v[0], 0.0 if v[0] == 0 else v[1] * v[2], v[2]))


def summaries(max_size: int) -> st.SearchStrategy[list[tuple[int, float, float]]]:
    """Summaries of 1 to ``max_size`` customers."""
    return st.lists(summary_rows, min_size=1, max_size=max_size)


def check_predictions_bounded_and_finite(
    model: Any, data: np.ndarray, t: float, later: float, slack: float = 0.0
) -> None:
    """P(alive) in [0, 1]; expected purchases finite, non-negative (to ``slack``) and not fewer
    over the longer horizon ``later`` (to a relative 1e-9 and ``slack``); a finite
    log-likelihood."""
    alive = model.probability_alive(data)
    assert np.all((alive >= 0) & (alive <= 1))
    e1 = model.expected_purchases(data, t=t)
    e2 = model.expected_purchases(data, t=later)
    assert np.all(np.isfinite(e1))
    assert np.all(np.isfinite(e2))
    assert np.all(e1 >= -slack)
    assert np.all(e2 >= e1 * (1 - 1e-9) - slack)
    assert np.isfinite(model.log_likelihood(data))


def check_finite_on(model: Any, rows: Sequence[tuple[float, float, float]]) -> pd.DataFrame:
    """P(alive), expected purchases over 52 and 1e6, P(X = 3) over 10 and the log-likelihood
    are finite on the summary ``rows`` (frequency, recency, T); returns the summary."""
    data = pd.DataFrame(rows, columns=["frequency", "recency", "T"])
    for out in (
        model.probability_alive(data),
        model.expected_purchases(data, t=52),
        model.expected_purchases(data, t=1e6),
        model.probability_of_purchases(data, n=3, t=10),
    ):
        assert np.all(np.isfinite(out.to_numpy()))
    assert np.isfinite(model.log_likelihood(data))
    return data


def check_parameters_recovered(model_class: Any, true: Mapping[str, float], data) -> None:
    """A fit of simulated customers converges to within max(4 se, 10%) of each true value."""
    model = model_class().fit(data)
    assert model.convergence_.success
    for name, value in true.items():
        est, se = model.params_[name], model.summary_.loc[name, "se"]
        assert abs(est - value) < max(4 * se, 0.1 * value), (name, est, se)
