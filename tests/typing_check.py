"""Static check, not a test: mypy must accept the shipped models where the Protocols are expected.

Run ``mypy tests/typing_check.py``. The functions are never called; the module only has to
type-check (``tests/test_typing.py`` runs the same calls at runtime). scikit-learn ships no type
hints, so mypy sees the shipped models' base ``BaseEstimator`` as ``Any`` and would accept them
anywhere; the duck-typed ``WeeklyRate`` below is what mypy really checks member by member
(drop its ``expected_purchases`` and the module fails to type-check).
"""

from __future__ import annotations

import datetime
import pathlib
from typing import Any

import numpy as np
import pandas as pd

from customer_models import (
    BetaGeoBetaBinomModel,
    BetaGeoModel,
    ChurnClassifier,
    GammaGammaModel,
    HealthScore,
    KMeansSegmenter,
    LifecycleStageClassifier,
    LoyaltyProgram,
    ModifiedBetaGeoModel,
    PAliveChurnScorer,
    ParetoNBDModel,
    Scorecard,
    ShiftedBetaGeoModel,
    TwoModelUplift,
    allocate_budget,
    auuc,
    calibration_holdout_split,
    ces,
    churn_dataset,
    churn_features,
    cohort_retention,
    csat,
    customer_lifetime_value,
    evaluate_churn,
    evaluate_holdout,
    explain_segments,
    feedback_summary,
    incremental_value,
    kaplan_meier,
    key_drivers,
    make_transactions,
    nps,
    nps_test,
    qini_curve,
    retention_targets,
    rfm_summary,
    segment_profile,
    stage_transitions,
    stages_at,
)
from customer_models.sql import probability_alive_expression, write_scores
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


def date_parameters(tx: pd.DataFrame) -> None:
    """Every date-like kind where one cut-off is taken, and lists where several are."""
    # One call per kind: a loop over them would check only their join.
    rfm_summary(tx, observation_end="1997-09-30")
    rfm_summary(tx, observation_end=datetime.date(1997, 9, 30))
    rfm_summary(tx, observation_end=datetime.datetime(1997, 9, 30, 12))
    rfm_summary(tx, observation_end=np.datetime64("1997-09-30"))
    rfm_summary(tx, observation_end=pd.Timestamp("1997-09-30"))
    rfm_summary(tx, observation_end=pd.Period("1997-09", freq="M"))
    cohort_retention(tx, observation_end=np.datetime64("1997-09-30"))
    cohort_retention(tx, observation_end=datetime.date(1997, 9, 30))
    churn_features(tx, as_of=None, trend_window=90)
    churn_features(tx, as_of=datetime.date(1997, 9, 30), trend_window=np.int64(90))
    calibration_holdout_split(tx, calibration_end=np.datetime64("1997-06-30"))
    calibration_holdout_split(
        tx, calibration_end=datetime.date(1997, 6, 30), observation_end="1997-09-30"
    )
    for horizon in (90, 90.5, np.int64(90), "90D", datetime.timedelta(days=90)):
        churn_dataset(tx, as_of="1997-06-30", horizon=horizon)
    churn_dataset(
        tx, as_of=["1997-03-31", datetime.date(1997, 6, 30)], horizon=pd.Timedelta(days=90)
    )
    churn_dataset(tx, as_of=pd.date_range("1997-03-31", periods=2, freq="ME"), horizon=90)
    cutoffs = [pd.Timestamp("1997-03-31"), "1997-06-30", datetime.date(1997, 9, 30)]
    stages_at(tx, cutoffs)
    stage_transitions(tx, (np.datetime64(d) for d in ("1997-03-31", "1997-06-30")))
    program = LoyaltyProgram(
        tiers=[("Base", 0), ("Gold", 2000)], multipliers={"channel": {"app": 2.0}}
    )
    program.tiers_at(tx, as_of=np.datetime64("1997-09-30"))
    program.tiers_at(tx)
    history = program.history(tx, ["1997-06-30", datetime.date(1997, 9, 30)])
    history.matrix(from_date=datetime.date(1997, 6, 30), to_date=pd.Period("1997-09", "M"))
    LoyaltyProgram(tiers={"Base": 0, "Gold": np.float64(2e3)}, bonuses={"type": {"referral": 250}})


def seeds_and_arrays(summary: pd.DataFrame, answers: pd.DataFrame) -> None:
    """Seeds, labels and arrays of every accepted kind."""
    for seed in (None, 0, np.int64(0), np.random.RandomState(0)):
        KMeansSegmenter(random_state=seed)
        ChurnClassifier(random_state=seed)
        make_transactions(10, random_state=seed)
        explain_segments(summary, np.array(["a", "b"]), random_state=seed)
    for stream in (np.random.default_rng(0), np.random.RandomState(0), np.uint32(7)):
        nps([9, 10, 3], random_state=stream, method="bootstrap")
        key_drivers(answers, target="ltr", drivers=["speed"], random_state=stream)
        make_transactions(10, random_state=stream)
    # scikit-learn's samplers seed a RandomState: a Generator is refused.
    KMeansSegmenter(random_state=np.random.default_rng(0))  # type: ignore[arg-type]
    ChurnClassifier(random_state=np.random.default_rng(0))  # type: ignore[arg-type]
    make_transactions(10, random_state="42")  # type: ignore[arg-type]
    ChurnClassifier(pos_label="Yes")
    ChurnClassifier(pos_label=np.int64(1)).fit(summary, np.array([0, 1]))
    evaluate_churn(["No", "Yes"], np.array([0.2, 0.7]), pos_label="Yes")
    evaluate_churn(pd.Series([0, 1]), [0.2, 0.7])
    HealthScore().fit(summary, [True, False], pos_label=True).evaluate(summary, np.array([0, 1]))
    kaplan_meier([1.0, 2.5], np.array([True, False]), by=["a", "b"])
    retention_targets(np.array([0.2, 0.7]), [10.0, 5.0], cost_per_contact=2.0)
    retention_targets([0.2, 0.7], pd.Series([10.0, 5.0]), cost_per_contact=np.array([1.0, 2.0]))
    value = incremental_value([0.1, 0.3], np.array([100.0, 10.0]), cost=np.float64(2.0))
    allocate_budget(value, cost=2.0, budget=6.0, value_sd=[1.0, 0.5])
    TwoModelUplift().fit(summary, [0, 1], treatment=np.array([True, False]))
    qini_curve([0, 1], [1, 0], np.array([0.4, 0.1]))
    auuc(np.array([0, 1]), [True, False], [0.4, 0.1], curve="uplift")
    nps(np.array([9, 10, 3]), sample_weight=[1.0, 2.0, 1.0])
    nps_test([9, 10, 3], np.array([7, 8]))
    for satisfied in (4, np.int64(4), (4, 5), [4.0, 5.0]):
        csat([5, 4, 2], satisfied=satisfied, sample_weight=np.ones(3))
    ces(pd.Series([5, 7, 6]), sample_weight=None)
    feedback_summary(answers, score_col="ltr", by="segment", satisfied=(9, 10))
    feedback_summary(answers, score_col="ltr", by=["segment", pd.Grouper(key="date", freq="MS")])
    explain_segments(summary, np.array(["a", "b"]))
    segment_profile(summary, ["a", "b"])


def tables_and_models(customers: pd.DataFrame, con: Any, table: Any) -> None:
    """Rule tables, grade tables and the concrete models the SQL scorer takes."""
    crit = [{"name": "recency", "bands": [(None, 30, 10), (30, None, 0)]}]
    Scorecard(criteria=crit, grades=[("A", 80), ("B", None)]).score(customers)
    Scorecard(criteria=crit, grade_shares={"A": 0.2, "B": np.float64(0.8)})
    Scorecard(criteria=crit, grade_shares=pd.Series({"A": 0.2, "B": 0.8}))
    Scorecard.from_dict(Scorecard(criteria=crit).to_dict())
    Scorecard(criteria=["recency"])  # type: ignore[list-item]
    model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
    probability_alive_expression(model, table, time_unit="W")
    probability_alive_expression(ModifiedBetaGeoModel(), table, time_unit="W")
    write_scores(con, "scores", customers, model=GammaGammaModel())
    LifecycleStageClassifier(method="probabilistic", model=WeeklyRate(1.0)).fit(customers)


def valuation_parameters(s: pd.DataFrame, tx: pd.DataFrame) -> None:
    """Weights, progress, paths, times, seeds and models of the valuation functions."""
    import customer_models as cm
    from customer_models.plotting import plot_clv_distribution, plot_tracking
    from customer_models.valuation import save_model

    BetaGeoModel().fit(s, sample_weight="w", progress=True)
    BetaGeoModel().fit(s, sample_weight=np.ones(3), progress=print)
    BetaGeoModel().save(pathlib.Path("m.json"))
    save_model(BetaGeoModel(), "m.json")
    BetaGeoModel().expected_purchases(s, t=np.float32(1.0))
    BetaGeoModel().probability_of_purchases(s, n=np.arange(3), t=[1.0, 2.0])
    ShiftedBetaGeoModel().survival(np.arange(3))
    ShiftedBetaGeoModel.cohort_to_data([1000, 631, 468])
    rs = np.random.RandomState(0)
    customer_lifetime_value(BetaGeoModel(), None, s, horizon=12, random_state=rs, progress=True)
    customer_lifetime_value(BetaGeoModel(), None, s, horizon=12, random_state=np.int64(3))
    cm.value_distribution(BetaGeoModel(), GammaGammaModel(), s, t=10, random_state=0)
    cm.probability_alive_at(BetaGeoModel(), s, t=1.0)
    cm.next_purchase_cdf(BetaGeoBetaBinomModel(), s, t=3)
    cm.next_purchase_quantile(ParetoNBDModel(), s)
    cm.profile_likelihood_intervals(BetaGeoModel(), s, sample_weight="w")
    cm.transaction_tracking(BetaGeoModel(), s, tx, start="1997-01-01", end=pd.Timestamp("1998"))
    cm.compare_models([BetaGeoModel, ParetoNBDModel()], calibration_end="1997-09-30")
    cm.compare_models({"bg": BetaGeoModel()}, observation_end=pd.Period("1998-06", freq="M"))
    cm.split_customers(s, random_state=np.uint32(2))
    plot_tracking(BetaGeoModel(), s, tx, period="W", start="1997-01-01")
    plot_clv_distribution(pd.Series([1.0]))
    plot_tracking(BetaGeoModel(), s, tx, perod="W")  # type: ignore[call-arg]
