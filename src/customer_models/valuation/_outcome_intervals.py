"""Prediction intervals of the *outcome*: the purchase count a customer makes in the next ``t``.

:func:`prediction_interval` reads the interval off each customer's predictive distribution of
``X(T, T+t)`` (process uncertainty: the Poisson purchasing, the dropout, the posterior of the
customer's own rates given the history), optionally mixed over parameter draws (parameter
uncertainty). It is the interval to compare with what a customer actually does; the confidence
interval of the expectation (:func:`confidence_interval`) is far narrower and covers the
*expected* count, not the count.

Counts are whole numbers, so an interval cannot have exact coverage. With ``a = (1 -
confidence) / 2``, ``lower`` is the smallest count with ``P(X <= lower) >= a`` and ``upper``
the smallest with ``P(X <= upper) >= 1 - a``; then ``P(lower <= X <= upper) = F(upper) -
F(lower - 1) >= (1 - a) - a = confidence`` by construction. The probability the model gives to
each customer's interval is returned as ``coverage`` (often well above ``confidence``: a
customer with ``P(X = 0) = 0.97`` gets the interval [0, 0], covering 97%).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from customer_models._polars import polars_out
from customer_models._progress import ProgressLike, check_progress
from customer_models._validation import as_generator, as_pandas, check_bool, check_choice
from customer_models.valuation._param_draws import check_draw_options, draw_params
from customer_models.valuation._predictive import per_customer_frame
from customer_models.valuation._predictive_source import MAX_COUNT, pmf_source, scan

if TYPE_CHECKING:
    from customer_models.typing import RandomStateLike


__all__ = ["prediction_interval"]


@polars_out
def prediction_interval(
    model: Any,
    data: Any,
    *,
    t: float,
    confidence: float = 0.9,
    parameter_uncertainty: bool = False,
    method: Literal["laplace", "bootstrap"] = "laplace",
    n_draws: int = 100,
    fit_data: Any = None,
    random_state: RandomStateLike = None,
    max_count: int = MAX_COUNT,
    progress: ProgressLike = None,
) -> pd.DataFrame:
    """Per-customer interval of the purchase count in the next ``t`` (the outcome).

    Parameters
    ----------
    model, data, t
        The fitted model, the customer summary and the horizon, as in :func:`purchase_pmf`.
    confidence : float, default 0.9
        Each interval holds at least this probability under the model (see Notes).
    parameter_uncertainty : bool, default False
        Mix the predictive distribution over ``n_draws`` parameter draws (``method``), so
        that the interval also carries the estimation uncertainty of the parameters. With
        thousands of fitted customers this changes little; with a few hundred it matters.
    method : {"laplace", "bootstrap"}, default "laplace"
        Parameter draws, as in :func:`confidence_interval` (``"bootstrap"`` needs
        ``fit_data``).
    n_draws : int, default 100
        Parameter draws of the mixture (each is one walk over the counts).
    fit_data : DataFrame, optional
        The data the model was fitted on (bootstrap only).
    random_state : int, numpy Generator or RandomState, optional
        Seed of the parameter draws.
    max_count : int, default 100,000
        Refuse rather than walk the counts past this.
    progress : bool, tqdm-compatible class or callable, optional
        Report the bootstrap refits, as in :func:`confidence_interval`.

    Returns
    -------
    DataFrame
        ``expected_purchases`` (at the fitted parameters, when the model has it),
        ``lower``, ``upper`` (whole counts) and ``coverage`` (the model's probability of
        ``lower <= X <= upper``, at least ``confidence``), on ``data``'s index.

    Notes
    -----
    With ``a = (1 - confidence)/2``: ``lower`` is the smallest ``k`` with ``F(k) >= a``,
    ``upper`` the smallest ``k`` with ``F(k) >= 1 - a``, so ``F(upper) - F(lower - 1) >=
    confidence``. Checked in the test suite by simulation from each model's generative
    process: the share of simulated holdout counts inside their interval matches the mean
    ``coverage`` (see docs/uncertainty.md).

    Examples
    --------
    >>> import pandas as pd
    >>> from customer_models.valuation import BetaGeoModel, prediction_interval
    >>> history = pd.DataFrame({"frequency": [2], "recency": [30.43], "T": [38.86]})
    >>> bg = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> out = prediction_interval(bg, history, t=39)
    >>> out[["lower", "upper"]].iloc[0].tolist(), bool(out["coverage"].iloc[0] >= 0.9)
    ([0.0, 4.0], True)
    """
    frame = as_pandas(data, what="data")
    check_bool(parameter_uncertainty, "parameter_uncertainty")
    check_progress(progress)
    check_choice(method, "method", ["laplace", "bootstrap"])
    level, draws_n, _ = check_draw_options(confidence, n_draws, None, random_state)
    source = pmf_source(model, frame, t)
    pmf = source.fixed()
    if parameter_uncertainty:
        fit_frame = None if fit_data is None else as_pandas(fit_data, what="fit_data")
        rng = as_generator(random_state)
        draws = draw_params(model, int(draws_n), rng, method, fit_frame, progress=progress)

        def pmf(k: np.ndarray, rows: np.ndarray) -> np.ndarray:
            total = np.zeros((rows.size, k.size))
            for d in draws:
                total += source.pmf(d, k, rows)
            return total / len(draws)

    a = (1.0 - level) / 2.0
    res = scan(source, pmf, levels=[a, 1.0 - a], max_count=max_count)
    coverage = res.cdf_at[1] - (res.cdf_at[0] - res.pmf_at[0])
    columns = {"lower": res.quantile[0], "upper": res.quantile[1]}
    columns["coverage"] = np.clip(coverage, 0.0, 1.0)
    return per_customer_frame(model, frame, t, source, columns)
