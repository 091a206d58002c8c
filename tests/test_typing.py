"""customer_models.typing: the Protocols match the shipped models and a model of one's own."""

from __future__ import annotations

import datetime
import inspect
import math

import numpy as np
import pandas as pd
import pytest

import customer_models as cm
from customer_models import typing as cm_typing
from customer_models.typing import (
    FittedPurchaseModel,
    FittedSpendModel,
    SupportsProbabilityAlive,
    SupportsSurvival,
)

PURCHASE_MODELS = [
    (cm.BetaGeoModel, {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}),
    (cm.ModifiedBetaGeoModel, {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}),
    (cm.ParetoNBDModel, {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}),
    (cm.BetaGeoBetaBinomModel, {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}),
]
GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "v": 15.44}


class WeeklyRate:
    """A purchase model of one's own: ``rate`` purchases per week, every customer alive."""

    time_unit_ = "W"

    def __init__(self, rate: float) -> None:
        self.params_ = pd.Series({"rate": rate})

    def expected_purchases(self, data, *, t):
        return pd.Series(float(self.params_["rate"]) * float(t), index=data.index)

    def probability_alive(self, data):
        return pd.Series(1.0, index=data.index)


@pytest.mark.parametrize(("model_cls", "params"), PURCHASE_MODELS)
def test_every_fitted_purchase_model_is_a_fitted_purchase_model(model_cls, params):
    model = model_cls.from_params(time_unit="W", **params)
    assert isinstance(model, FittedPurchaseModel)
    assert isinstance(model, SupportsProbabilityAlive)
    assert not isinstance(model, FittedSpendModel)
    assert not isinstance(model_cls(), FittedPurchaseModel)  # no params_ before fit


@pytest.mark.parametrize(("model_cls", "params"), PURCHASE_MODELS)
def test_purchase_models_accept_the_protocol_calls(model_cls, params):
    """isinstance checks names only: the calls the Protocol makes must bind to the methods."""
    model = model_cls.from_params(time_unit="W", **params)
    data = pd.DataFrame({"x": [0]})
    inspect.signature(model.expected_purchases).bind(data, t=1.0)
    inspect.signature(model.probability_alive).bind(data)


def test_gamma_gamma_is_a_fitted_spend_model_and_sbg_has_survival():
    spend = cm.GammaGammaModel.from_params(**GAMMA_GAMMA)
    assert isinstance(spend, FittedSpendModel)
    assert not isinstance(spend, FittedPurchaseModel)
    assert not isinstance(cm.GammaGammaModel(), FittedSpendModel)
    inspect.signature(spend.expected_spend).bind(pd.DataFrame({"x": [0]}))
    sbg = cm.ShiftedBetaGeoModel.from_params(alpha=0.704, beta=1.182)
    assert isinstance(sbg, SupportsSurvival)
    assert not isinstance(sbg, FittedPurchaseModel)


def test_a_model_of_ones_own_satisfies_the_protocol_and_gets_its_clv():
    """12 months at 2 purchases a week, spend 10 and 1% a month: the sum in closed form."""
    model = WeeklyRate(2.0)
    assert isinstance(model, FittedPurchaseModel)
    data = pd.DataFrame({"monetary_value": [10.0, 25.0]}, index=["a", "b"])
    clv = cm.customer_lifetime_value(
        model, None, data, horizon=12, horizon_unit="M", discount_rate=0.01
    )
    weeks_per_month = 365.25 / 12 / 7
    discounted = sum(2.0 * weeks_per_month / 1.01**i for i in range(1, 13))
    np.testing.assert_allclose(clv.to_numpy(), [10.0 * discounted, 25.0 * discounted], rtol=1e-12)


def test_a_model_of_ones_own_gets_the_continuous_clv_by_quadrature():
    """The integral of exp(-delta t) d(rate t) over [0, H] is rate (1 - exp(-delta H)) / delta."""
    model = WeeklyRate(2.0)
    data = pd.DataFrame({"monetary_value": [10.0]}, index=["a"])
    clv = cm.customer_lifetime_value(
        model,
        None,
        data,
        horizon=52,
        horizon_unit="W",
        discount_rate=0.01,
        discounting="continuous",
    )
    delta = math.log1p(0.01)
    expected = 10.0 * 2.0 * (1.0 - math.exp(-delta * 52)) / delta
    assert clv.iloc[0] == pytest.approx(expected, rel=1e-10)


def test_a_model_of_ones_own_scores_churn():
    class HalfAlive(WeeklyRate):
        def probability_alive(self, data):
            return pd.Series(0.25, index=data.index)

    model = HalfAlive(1.0)
    assert isinstance(model, SupportsProbabilityAlive)
    summary = pd.DataFrame({"frequency": [0, 2], "recency": [0.0, 5.0], "T": [9.0, 9.0]})
    risk = cm.PAliveChurnScorer(model).churn_probability(summary)
    assert risk.tolist() == [0.75, 0.75]


def test_an_object_without_the_methods_is_no_purchase_model():
    class SpendOnly:
        params_ = pd.Series({"p": 1.0})

        def expected_spend(self, data):
            return pd.Series(1.0, index=data.index)

    assert isinstance(SpendOnly(), FittedSpendModel)
    assert not isinstance(SpendOnly(), FittedPurchaseModel)
    assert not isinstance(SpendOnly(), SupportsProbabilityAlive)


def test_typing_names_are_public_there_not_at_the_top_level():
    for name in cm_typing.__all__:
        assert getattr(cm_typing, name) is not None
        assert name not in cm.__all__


# The annotations of the public parameters admit these kinds (tests/typing_check.py): each one
# must work at runtime too.
TX = pd.DataFrame(
    {
        "customer_id": ["a", "a", "b", "b", "c"],
        "date": pd.to_datetime(
            ["1997-01-05", "1997-03-01", "1997-02-10", "1997-08-20", "1997-04-01"]
        ),
        "amount": [10.0, 20.0, 5.0, 7.5, 30.0],
    }
)
DATE_KINDS = [
    "1997-09-30",
    datetime.date(1997, 9, 30),
    datetime.datetime(1997, 9, 30, 12),
    np.datetime64("1997-09-30"),
    pd.Timestamp("1997-09-30"),
    pd.Period("1997-09", freq="M"),
]


@pytest.mark.parametrize("end", DATE_KINDS, ids=lambda v: type(v).__name__)
def test_every_date_like_kind_is_a_cutoff(end):
    expected = cm.rfm_summary(TX, observation_end="1997-09-30")
    pd.testing.assert_frame_equal(cm.rfm_summary(TX, observation_end=end), expected)
    split = cm.calibration_holdout_split(TX, calibration_end=end, observation_end="1997-12-31")
    assert len(split) == 3
    assert len(cm.churn_features(TX, as_of=end, trend_window=30)) == 3
    program = cm.LoyaltyProgram(tiers=[("Base", 0), ("Gold", 25)])
    assert program.tiers_at(TX, as_of=end)["tier"].tolist() == ["Gold", "Base", "Gold"]
    stages = cm.stages_at(TX, [end, "1997-06-30"])
    assert len(stages) == 3


@pytest.mark.parametrize(
    "horizon",
    [
        30,
        30.0,
        np.int64(30),
        np.float64(30.0),
        "30D",
        datetime.timedelta(days=30),
        pd.Timedelta(days=30),
        np.timedelta64(30, "D"),
        np.timedelta64(720, "h"),
    ],
    ids=lambda v: f"{type(v).__name__}-{v}",
)
def test_every_duration_kind_is_a_horizon(horizon):
    X, y = cm.churn_dataset(TX, as_of=["1997-03-31", datetime.date(1997, 6, 30)], horizon=horizon)
    X30, y30 = cm.churn_dataset(TX, as_of=["1997-03-31", "1997-06-30"], horizon=30)
    pd.testing.assert_frame_equal(X, X30)
    pd.testing.assert_series_equal(y, y30)


@pytest.mark.parametrize(
    "seed", [None, 0, np.int64(3), np.random.RandomState(0)], ids=lambda v: type(v).__name__
)
def test_every_seed_kind_of_the_scikit_learn_samplers(seed):
    summary = cm.make_holdout_summary(
        200, {"r": 0.5, "alpha": 4.0, "a": 0.8, "b": 2.5}, random_state=seed
    )
    segmenter = cm.KMeansSegmenter(n_clusters=2, random_state=seed).fit(summary)
    assert len(segmenter.assign(summary)) == len(summary)


@pytest.mark.parametrize(
    "seed",
    [None, 0, np.uint32(7), np.random.default_rng(0), np.random.RandomState(0)],
    ids=lambda v: type(v).__name__,
)
def test_every_seed_kind_of_the_numpy_generators(seed):
    assert len(cm.make_transactions(5, random_state=seed)) > 0
    result = cm.nps([9, 10, 3, 7], method="bootstrap", n_draws=100, random_state=seed)
    assert -100 <= result.lower <= result.upper <= 100


@pytest.mark.parametrize("satisfied", [4, np.int64(4), (4, 5), [4.0, 5.0], np.array([4, 5])])
def test_every_satisfied_kind(satisfied):
    assert cm.csat([5, 4, 2, 1], satisfied=satisfied).score == pytest.approx(50.0)


@pytest.mark.parametrize(
    "grades",
    [[("A", 80), ("B", None)], [["A", 80.0], ["B", None]], {"A": np.float64(80), "B": None}],
    ids=["pairs", "lists", "dict"],
)
def test_every_grade_table_kind(grades):
    crit = [{"name": "recency", "bands": [(None, 30, 100), (30, None, 0)]}]
    customers = pd.DataFrame({"recency": [10.0, 50.0]})
    card = cm.Scorecard(criteria=crit, grades=grades)
    assert card.score(customers)["grade"].tolist() == ["A", "B"]


def _options_cases():
    from customer_models.evaluation._regularity import RegularityOptions
    from customer_models.evaluation._tracking import TrackingOptions

    return [
        (TrackingOptions, cm.transaction_tracking),
        (RegularityOptions, cm.estimate_regularity),
    ]


@pytest.mark.parametrize(("options", "function"), _options_cases(), ids=["tracking", "regularity"])
def test_keyword_typeddicts_name_the_keywords_of_their_function(options, function):
    """A TypedDict that types a function's keywords (for **options) lists exactly them, so a
    keyword added to the function cannot be missing from the plot's or engine's type."""
    keywords = [
        p.name for p in inspect.signature(function).parameters.values() if p.kind is p.KEYWORD_ONLY
    ]
    assert list(options.__annotations__) == keywords
