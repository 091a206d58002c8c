"""Coverage of the value (CLV) interval by simulation: refit, predict, count the hits.

Each replication simulates customers from the BG/NBD + Gamma-Gamma generative process
(`test_predictive_value.simulate_value`: rates, dropout and spend rates drawn per customer,
a calibration period of its own length and a 39-week holdout), fits both models on the
calibration summary, asks ``value_distribution`` for the 5% and 95% quantiles of each
customer's holdout value with the parameters' estimation uncertainty mixed in, and counts the
customers whose simulated holdout value falls in ``[q0.05, q0.95]``.

The value has an atom at 0 (no purchase), so a customer's nominal coverage is
``P(lo <= V <= hi) = F(hi) - P(V < lo)``: ``0.95 - 0.05 = 0.9`` when both quantiles are
positive, ``0.95`` when ``lo = 0`` (``P(V < 0) = 0``), and ``P(V = 0)`` when ``hi = 0``. The
test compares the achieved share with the mean nominal coverage; `value_coverage` is shared
with ``benchmarks/bench_uncertainty.py`` (section ``value_coverage``).
"""

from __future__ import annotations

import numpy as np
import pytest
from test_predictive import HOLDOUT
from test_predictive_value import simulate_value

from customer_models.valuation import BetaGeoModel, GammaGammaModel
from customer_models.valuation._clv_distribution import value_distribution

#: A population of frequent, loyal buyers (mean rate 0.25 a week, mean dropout probability
#: 0.029 a purchase): about 40% of customers have a positive lower quantile, so both tails of
#: the interval are tested (with the CDNOW-like `BG` nearly every lower quantile is 0).
FREQUENT = {"r": 3.0, "alpha": 12.0, "a": 0.6, "b": 20.0}


def value_coverage(
    n, reps, *, seed=0, n_draws=50, parameter_uncertainty=True, level=0.9, params=None
):
    """Achieved and nominal coverage of the central ``level`` value interval over ``reps``.

    Returns a dict of per-replication arrays: ``achieved``, ``nominal`` (mean over customers),
    ``below`` / ``above`` (share under the lower bound among customers with ``lo > 0``, share
    over the upper bound among those with ``hi > 0``: nominal ``(1 - level) / 2`` each) and
    ``zero_share`` (customers with ``lo = 0``). ``params``: the simulated BG/NBD population
    (default `test_predictive.BG`).
    """
    tail = (1.0 - level) / 2.0
    names = ("achieved", "nominal", "below", "above", "zero_share")
    out: dict[str, list[float]] = {k: [] for k in names}
    for rep in range(reps):
        data, value = simulate_value(n, seed=seed + rep, params=params)
        bg = BetaGeoModel().fit(data[["frequency", "recency", "T"]])
        gg = GammaGammaModel().fit(data.loc[data["frequency"] > 0])
        res = value_distribution(
            bg,
            gg,
            data,
            t=HOLDOUT,
            quantiles=(tail, 1.0 - tail),
            thresholds=[0.0],
            parameter_uncertainty=parameter_uncertainty,
            n_draws=n_draws,
            random_state=seed + rep,
        )
        lo = res[f"q{tail:g}"].to_numpy()
        hi = res[f"q{1.0 - tail:g}"].to_numpy()
        p_zero = 1.0 - res["p_above_0"].to_numpy()
        nominal = np.where(hi > 0, 1.0 - tail, p_zero) - np.where(lo > 0, tail, 0.0)
        out["achieved"].append(float(((value >= lo) & (value <= hi)).mean()))
        out["nominal"].append(float(nominal.mean()))
        out["below"].append(_share(value < lo, lo > 0))
        out["above"].append(_share(value > hi, hi > 0))
        out["zero_share"].append(float((lo == 0).mean()))
    return {k: np.asarray(v) for k, v in out.items()}


def _share(event, among):
    """Share of ``event`` among the customers of ``among`` (NaN if there are none)."""
    return float(event[among].mean()) if among.any() else float("nan")


@pytest.mark.slow
def test_value_interval_with_parameter_uncertainty_covers():
    res = value_coverage(2_000, 3, seed=101, n_draws=20, params=FREQUENT)
    achieved, nominal = res["achieved"].mean(), res["nominal"].mean()
    assert abs(achieved - nominal) <= 0.03, (achieved, nominal)
    assert 0.9 <= nominal <= 0.95  # the atom at 0 only raises it above 0.9
    # both tails, among the customers where each is a genuine quantile
    assert abs(res["below"].mean() - 0.05) <= 0.03, res["below"]
    assert abs(res["above"].mean() - 0.05) <= 0.03, res["above"]
