"""compare_models on data simulated from each candidate: the true model should rank first."""

from __future__ import annotations

import warnings

import pytest

from customer_models.datasets import make_holdout_summary
from customer_models.evaluation._compare import compare_models
from customer_models.valuation import (
    BetaGeoModel,
    ModifiedBetaGeoModel,
    NegativeBinomialModel,
    ParetoNBDModel,
)

CANDIDATES = {
    "nbd": NegativeBinomialModel,
    "bgnbd": BetaGeoModel,
    "mbgnbd": ModifiedBetaGeoModel,
    "pareto_nbd": ParetoNBDModel,
}
TRUTH = {
    "nbd": {"r": 0.8, "alpha": 4.0},
    "bgnbd": {"r": 0.8, "alpha": 4.0, "a": 0.8, "b": 2.5},
    "mbgnbd": {"r": 0.8, "alpha": 4.0, "a": 0.8, "b": 2.5},
    "pareto_nbd": {"r": 0.8, "alpha": 4.0, "s": 0.6, "beta": 12.0},
}
REPS, N = 5, 3000


def share_of_wins(process: str, reps: int = REPS, n: int = N, seed: int = 100) -> float:
    """Share of seeded replications in which ``process``'s model ranks first on the holdout."""
    wins = 0
    for rep in range(reps):
        data = make_holdout_summary(n, TRUTH[process], process=process, random_state=seed + rep)
        with warnings.catch_warnings():  # a nested model may hit its boundary: not the point
            warnings.simplefilter("ignore")
            table = compare_models(CANDIDATES, data).table
        wins += int(table["rank"].idxmin() == process)
    return wins / reps


@pytest.mark.slow
@pytest.mark.parametrize("process", list(TRUTH))
def test_true_model_ranks_first_in_most_replications(process):
    assert share_of_wins(process) > 0.5
