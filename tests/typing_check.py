"""Static check, not a test: mypy must accept the shipped models where the Protocols are expected.

Run ``mypy tests/typing_check.py``. The functions are never called; the module only has to
type-check (``tests/test_typing.py`` runs the same calls at runtime). scikit-learn ships no type
hints, so mypy sees the shipped models' base ``BaseEstimator`` as ``Any`` and would accept them
anywhere; the duck-typed ``WeeklyRate`` below is what mypy really checks member by member
(drop its ``expected_purchases`` and the module fails to type-check).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from customer_models import (
    BetaGeoBetaBinomModel,
    BetaGeoModel,
    GammaGammaModel,
    LifecycleStageClassifier,
    ModifiedBetaGeoModel,
    PAliveChurnScorer,
    ParetoNBDModel,
    ShiftedBetaGeoModel,
    customer_lifetime_value,
    evaluate_holdout,
)
from customer_models.typing import (
    DateLike,
    FittedPurchaseModel,
    FittedSpendModel,
    SupportsProbabilityAlive,
    SupportsSurvival,
)


class WeeklyRate:
    """A purchase model of one's own: a Poisson rate per week, everyone alive."""

    time_unit_ = "W"

    def __init__(self, rate: float) -> None:
        self.params_ = pd.Series({"rate": rate})

    def expected_purchases(self, data: Any, *, t: Any) -> pd.Series:
        return pd.Series(float(self.params_["rate"]) * np.asarray(t), index=data.index)

    def probability_alive(self, data: Any) -> np.ndarray:
        return np.ones(len(data))


def purchase_models() -> list[FittedPurchaseModel]:
    return [
        BetaGeoModel(),
        ModifiedBetaGeoModel(),
        ParetoNBDModel(),
        BetaGeoBetaBinomModel(),
        WeeklyRate(1.0),
    ]


def spend_model() -> FittedSpendModel:
    return GammaGammaModel()


def alive_models() -> list[SupportsProbabilityAlive]:
    return [*purchase_models()]


def survival_model() -> SupportsSurvival:
    return ShiftedBetaGeoModel()


def dates() -> list[DateLike]:
    return ["1997-09-30", pd.Timestamp("1997-09-30"), pd.Period("1997-09", freq="M")]


def uses(summary: pd.DataFrame) -> None:
    for model in purchase_models():
        customer_lifetime_value(model, spend_model(), summary, horizon=12)
        evaluate_holdout(model, summary, spend_model=spend_model())
        PAliveChurnScorer(model).churn_probability(summary)
        LifecycleStageClassifier("probabilistic", model=model).fit(summary)
