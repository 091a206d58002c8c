"""LifecycleStageClassifier: hand-worked rules in every mode, an independent oracle, contracts."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse
from sklearn.base import clone

from customer_models import load_cdnow_summary
from customer_models.exceptions import (
    CustomerModelsError,
    DataValidationError,
    MissingColumnError,
    NotFittedError,
    ParameterError,
)
from customer_models.lifecycle import STAGE_DTYPE, STAGES, LifecycleStageClassifier


def summary_of(rows: dict[str, tuple[float, float, float]], unit: str = "D") -> pd.DataFrame:
    """Summary from {id: (frequency, recency, T)}."""
    df = pd.DataFrame.from_dict(rows, orient="index", columns=["frequency", "recency", "T"])
    df.index.name = "customer_id"
    df.attrs["time_unit"] = unit
    return df


# ---------------------------------------------------------------- absolute mode, by hand
ABSOLUTE_CASES = {
    # id: (frequency, recency, T) in days -> stage with the defaults
    # (new_days=30, at_risk_days=90, lapsed_days=180, loyal_min_purchases=4)
    "fresh": ((0, 0, 10), "new"),  # first purchase 10 days ago
    "fresh_repeat": ((2, 20, 25), "new"),  # 3 purchases, but within the first 30 days
    "single_60": ((0, 0, 60), "new"),  # one purchase, silent 60 <= 90 days
    "single_91": ((0, 0, 91), "at_risk"),  # silent 91 > 90
    "single_181": ((0, 0, 181), "lapsed"),  # silent 181 > 180
    "repeat": ((1, 40, 70), "repeat"),  # 2 purchases, silent 30
    "loyal": ((3, 100, 120), "loyal"),  # 4 purchases, silent 20
    "loyal_at_risk": ((5, 100, 200), "at_risk"),  # silent 100: risk beats loyalty
    "repeat_lapsed": ((1, 10, 200), "lapsed"),  # silent 190
    "edge_90": ((1, 10, 100), "repeat"),  # silent exactly 90: not yet > 90
    "edge_new": ((1, 5, 30), "new"),  # T exactly 30: still within new_days
}


def test_absolute_mode_matches_hand_worked_stages():
    summary = summary_of({k: v[0] for k, v in ABSOLUTE_CASES.items()})
    stages = LifecycleStageClassifier().fit(summary).assign(summary)
    expected = pd.Series({k: v[1] for k, v in ABSOLUTE_CASES.items()})
    assert stages.tolist() == expected.tolist()
    assert stages.index.equals(summary.index)
    assert stages.name == "stage"
    assert stages.dtype == STAGE_DTYPE
    assert list(stages.cat.categories) == list(STAGES)
    assert stages.cat.ordered


def test_weekly_summary_thresholds_are_converted_from_days():
    # 13 weeks = 91 days > 90 -> at risk; 12.8 weeks = 89.6 days -> not yet.
    summary = summary_of({1: (1, 1.0, 14.0), 2: (1, 1.0, 13.8)}, unit="W")
    clf = LifecycleStageClassifier().fit(summary)
    assert clf.at_risk_threshold_ == pytest.approx(90 / 7)
    assert clf.assign(summary).tolist() == ["at_risk", "repeat"]


def test_time_unit_parameter_overrides_attrs():
    summary = summary_of({1: (1, 31.0, 44.0)}, unit="W")  # silent 13 weeks = 91 days
    assert LifecycleStageClassifier().fit(summary).assign(summary).tolist() == ["at_risk"]
    clf = LifecycleStageClassifier(time_unit="D").fit(summary)  # read as 13 days of silence
    assert clf.assign(summary).tolist() == ["repeat"]


def test_prospects_from_missing_frequency_zero_transactions_and_customers_list():
    summary = summary_of({1: (0, 0, 10), 2: (np.nan, np.nan, np.nan), 3: (1, 5, 40)})
    summary["n_transactions"] = [1, 0, 2]
    summary.loc[3, "n_transactions"] = 0  # an explicit "no transactions" row
    summary.loc[3, ["frequency", "recency", "T"]] = [0, 0, 0]
    clf = LifecycleStageClassifier().fit(summary)
    stages = clf.assign(summary, customers=[5, 1, 4, 5])
    assert stages.index.tolist() == [1, 2, 3, 5, 4]
    assert stages.tolist() == ["new", "prospect", "prospect", "prospect", "prospect"]


def test_loyal_requires_promoter_when_nps_column_is_given():
    summary = summary_of({1: (5, 50, 60), 2: (5, 50, 60), 3: (5, 50, 60), 4: (0, 0, 5)})
    summary["nps"] = [10, 7, np.nan, 9]
    plain = LifecycleStageClassifier().fit(summary).assign(summary)
    assert plain.tolist() == ["loyal", "loyal", "loyal", "new"]
    clf = LifecycleStageClassifier(nps_col="nps").fit(summary)
    assert clf.assign(summary).tolist() == ["loyal", "repeat", "repeat", "new"]
    explained = clf.explain(summary)
    assert explained["rule"].tolist()[:2] == [
        "purchases >= loyal_min_purchases and promoter",
        "repeat buyer, active",
    ]
    assert explained["nps"].tolist()[:2] == [10.0, 7.0]
    stricter = LifecycleStageClassifier(nps_col="nps", promoter_min=10).fit(summary)
    assert stricter.assign(summary).tolist()[0] == "loyal"


def test_explain_reports_the_numbers_behind_each_rule():
    summary = summary_of({"a": (3, 100, 120), "b": (0, 0, 181), "c": (0, 0, 10)})
    explained = LifecycleStageClassifier().fit(summary).explain(summary)
    assert list(explained.columns) == [
        "stage",
        "rule",
        "n_purchases",
        "tenure",
        "silence",
        "at_risk_threshold",
        "lapsed_threshold",
    ]
    assert explained["stage"].tolist() == ["loyal", "lapsed", "new"]
    assert explained["rule"].tolist() == [
        "purchases >= loyal_min_purchases",
        "silence > lapsed threshold",
        "first purchase within new_days",
    ]
    assert explained["n_purchases"].tolist() == [4, 1, 1]
    assert explained["silence"].tolist() == [20.0, 181.0, 10.0]
    assert explained["tenure"].tolist() == [120.0, 181.0, 10.0]
    assert (explained["at_risk_threshold"] == 90.0).all()
    assert (explained["lapsed_threshold"] == 180.0).all()
    assert explained.attrs["time_unit"] == "D"


# ---------------------------------------------------------------- adaptive mode, by hand
def test_adaptive_weekly_buyer_is_at_risk_and_yearly_buyer_is_not():
    # Both silent for 35 days (5 weeks). At risk past t_x * (0.05 ** (-1 / x) - 1), lapsed
    # past t_x * (0.01 ** (-1 / x) - 1).
    weekly = (10, 70.0, 105.0)  # 70 * (20 ** 0.1 - 1) = 24.45 < 35 <= 70 * (100 ** 0.1 - 1)
    yearly = (2, 730.0, 765.0)  # 730 * (20 ** 0.5 - 1) = 2534.7: 35 days is nothing
    weekly_gone = (10, 70.0, 113.0)  # silent 43 > 40.94 -> lapsed
    summary = summary_of({"weekly": weekly, "yearly": yearly, "weekly_gone": weekly_gone})
    absolute = LifecycleStageClassifier().fit(summary).assign(summary)
    assert absolute.tolist() == ["loyal", "repeat", "loyal"]  # 35-43 days < 90 days
    clf = LifecycleStageClassifier("adaptive").fit(summary)
    assert clf.assign(summary).tolist() == ["at_risk", "repeat", "lapsed"]
    explained = clf.explain(summary)
    assert explained["own_gap"].tolist() == pytest.approx([7.0, 365.0, 7.0])
    at_risk = [70 * (20**0.1 - 1), 730 * (20**0.5 - 1), 70 * (20**0.1 - 1)]
    lapsed = [70 * (100**0.1 - 1), 730 * (100**0.5 - 1), 70 * (100**0.1 - 1)]
    assert explained["at_risk_threshold"].tolist() == pytest.approx(at_risk, rel=1e-12)
    assert explained["lapsed_threshold"].tolist() == pytest.approx(lapsed, rel=1e-12)
    # (t_x / T) ** x: the chance a still-active buyer is silent this long
    probability = [(70 / 105) ** 10, (730 / 765) ** 2, (70 / 113) ** 10]
    assert explained["silence_probability"].tolist() == pytest.approx(probability, rel=1e-12)
    assert explained["rule"].tolist() == [
        "silence this long has probability < at_risk_false_alarm if active",
        "repeat buyer, active",
        "silence this long has probability < lapsed_false_alarm if active",
    ]


def test_adaptive_false_alarm_parameters_move_the_thresholds():
    summary = summary_of({1: (4, 100.0, 150.0)})  # P(silence >= 50 | active) = (2/3) ** 4
    p = (100 / 150) ** 4  # 0.1975
    lenient = LifecycleStageClassifier("adaptive").fit(summary)
    assert lenient.assign(summary).tolist() == ["loyal"]
    eager = LifecycleStageClassifier("adaptive", at_risk_false_alarm=0.2, lapsed_false_alarm=0.1)
    assert eager.fit(summary).assign(summary).tolist() == ["at_risk"]  # 0.1975 < 0.2
    on_edge = LifecycleStageClassifier("adaptive", at_risk_false_alarm=0.19)
    assert on_edge.fit(summary).assign(summary).tolist() == ["loyal"]
    assert eager.explain(summary)["silence_probability"].iloc[0] == pytest.approx(p)


def test_adaptive_one_time_buyers_are_judged_by_the_repurchase_window():
    # Second purchase at 10 days (x = 1: exactly t_x) and uniform on (0, 100) for the buyer with
    # 2 repeat purchases by day 100: F(u) = 0.5 * [u >= 10] + 0.5 * u / 100.
    # at_risk_false_alarm = 0.2 -> F(u) = 0.8 at u = 60; lapsed_false_alarm = 0.1 -> u = 80.
    fit_rows = {1: (1, 10, 300), 2: (2, 100, 300)}
    one_time = {5: (0, 0, 60), 6: (0, 0, 61), 7: (0, 0, 81), 8: (0, 0, 20)}
    no_rhythm = {9: (1, 0, 70)}  # a repeat purchase in the first period only: no rhythm
    summary = summary_of({**fit_rows, **one_time, **no_rhythm})
    clf = LifecycleStageClassifier("adaptive", at_risk_false_alarm=0.2, lapsed_false_alarm=0.1).fit(
        summary
    )
    assert clf.at_risk_threshold_ == pytest.approx(60.0)
    assert clf.lapsed_threshold_ == pytest.approx(80.0)
    explained = clf.explain(summary).loc[[5, 6, 7, 8, 9]]
    assert explained["stage"].tolist() == ["new", "at_risk", "lapsed", "new", "at_risk"]
    assert explained["rule"].tolist() == [
        "one-time buyer within the repurchase window",
        "no rhythm of its own, silence > repurchase window",
        "no rhythm of its own, silence > lapsed window",
        "first purchase within new_days",
        "no rhythm of its own, silence > repurchase window",
    ]
    assert explained["at_risk_threshold"].tolist() == pytest.approx([60.0] * 5)
    assert explained["own_gap"].isna().all()
    assert explained["silence_probability"].isna().all()
    # a quantile below the x = 1 jump at 10 days: F jumps from 0.05 to 0.55 there
    low = LifecycleStageClassifier("adaptive", at_risk_false_alarm=0.7, lapsed_false_alarm=0.5)
    assert low.fit(summary).at_risk_threshold_ == pytest.approx(10.0)


def test_first_purchase_within_new_days_is_new_before_any_alarm():
    # 2 purchases one day apart, silent 24 days: past 1 * 19 days, but bought 25 days ago.
    summary = summary_of({1: (1, 1.0, 25.0), 2: (1, 1.0, 31.0)})
    clf = LifecycleStageClassifier("adaptive").fit(summary)
    assert clf.assign(summary).tolist() == ["new", "at_risk"]
    assert clf.explain(summary)["rule"].iloc[0] == "first purchase within new_days"


def test_adaptive_without_repeat_buyers_falls_back_to_day_thresholds():
    summary = summary_of({1: (0, 0, 50), 2: (0, 0, 100)})
    clf = LifecycleStageClassifier("adaptive").fit(summary)
    assert clf.at_risk_threshold_ == 90.0
    assert clf.lapsed_threshold_ == 180.0
    assert clf.assign(summary).tolist() == ["new", "at_risk"]
    # ...but a repeat buyer seen later still uses their own rhythm: 240 > 10 * 19
    later = summary_of({3: (1, 10, 250), 4: (1, 10, 150)})
    assert clf.assign(later).tolist() == ["at_risk", "repeat"]


def test_removed_parameters_name_their_replacement():
    summary = summary_of({1: (1, 10, 20)})
    for name, replacement in [
        ("at_risk_factor", "at_risk_false_alarm"),
        ("lapsed_factor", "lapsed_false_alarm"),
        ("one_time_quantile", "at_risk_false_alarm"),
    ]:
        with pytest.raises(ParameterError, match=f"{name} was removed.*Use {replacement}"):
            LifecycleStageClassifier("adaptive", **{name: 3.0}).fit(summary)


# ---------------------------------------------------------------- adaptive mode, by simulation
def _poisson_customers(n, seed, *, leave=False, end=365.0):
    """Poisson purchases (rate ~ Gamma(2, 60): a mean gap of ~30 days), joined in [0, 180).

    With ``leave``, each customer stops buying at a uniform time after the first purchase.
    Returns (summary, days since leaving, rate).
    """
    rng = np.random.default_rng(seed)
    rate = rng.gamma(2.0, 1 / 60, size=n)
    T = end - rng.uniform(0, 180, size=n)
    active_for = rng.uniform(0, T) if leave else T
    repeats = rng.poisson(rate * active_for)
    # the last of k uniform purchase times on (0, a] is a * U ** (1 / k)
    last = active_for * rng.uniform(size=n) ** (1 / np.maximum(repeats, 1))
    last = np.where(repeats > 0, last, 0.0)
    summary = pd.DataFrame({"frequency": repeats.astype(float), "recency": last, "T": T})
    summary.attrs["time_unit"] = "D"
    return summary, T - active_for, rate


HISTORY_GROUPS = ([0, 2, 5, 10, np.inf], ["1-2", "3-5", "6-10", "11+"])


@pytest.mark.parametrize(("at_risk", "lapsed"), [(0.05, 0.01), (0.2, 0.05)])
def test_adaptive_false_alarm_rate_is_nominal_for_every_history_length(at_risk, lapsed):
    summary, _, _ = _poisson_customers(60_000, seed=11)
    clf = LifecycleStageClassifier(
        "adaptive", at_risk_false_alarm=at_risk, lapsed_false_alarm=lapsed
    )
    stages = clf.fit(summary).assign(summary)
    repeat = summary["frequency"] > 0
    group = pd.cut(summary["frequency"], *HISTORY_GROUPS)[repeat]
    flagged = stages.isin(["at_risk", "lapsed"])[repeat].groupby(group, observed=True)
    gone = stages.eq("lapsed")[repeat].groupby(group, observed=True)
    sizes = group.value_counts()
    for name, rate, nominal in [
        ("at risk", flagged.mean(), at_risk),
        ("lapsed", gone.mean(), lapsed),
    ]:
        # tolerance: 4 binomial standard errors of the group's share
        tolerance = 4 * np.sqrt(nominal * (1 - nominal) / sizes[rate.index])
        assert sizes.min() > 3_000
        assert (abs(rate - nominal) < tolerance).all(), (name, rate.to_dict())


def test_adaptive_detects_customers_who_left_the_longer_they_are_gone():
    summary, gone_days, rate = _poisson_customers(40_000, seed=12, leave=True)
    stages = LifecycleStageClassifier("adaptive").fit(summary).assign(summary)
    flagged = stages.isin(["at_risk", "lapsed"]).to_numpy()
    lapsed = stages.eq("lapsed").to_numpy()
    gaps_gone = gone_days * rate  # silence since leaving, in the customer's own mean gaps
    x = summary["frequency"].to_numpy()
    long_history = x >= 6
    gone_long = gaps_gone > 6
    # more than six own gaps after leaving, a long history is flagged, almost always lapsed
    assert flagged[long_history & gone_long].mean() > 0.99
    assert lapsed[long_history & gone_long].mean() > 0.95
    # detection grows with the time since leaving, and a short history is harder to call
    short = (x >= 1) & (x <= 2)
    by_time = [flagged[long_history & (gaps_gone > lo) & (gaps_gone <= hi)].mean()
               for lo, hi in [(0, 1), (1, 3), (3, 6)]]  # fmt: skip
    assert by_time[0] < by_time[1] < by_time[2]
    assert 0.5 < flagged[short & gone_long].mean() < flagged[long_history & gone_long].mean()


def test_repurchase_window_on_cdnow_matches_the_actual_second_purchases():
    # The summary holds no second-purchase time; the window is inferred from (x, t_x). The
    # transactions have it: compare with the quantiles of the actual first-to-second gaps.
    from _purchase_gaps import first_to_second_purchase_days

    from customer_models import load_cdnow_transactions, rfm_summary

    tx = load_cdnow_transactions()
    end = "1997-12-31"
    summary = rfm_summary(tx, observation_end=end)
    clf = LifecycleStageClassifier("adaptive").fit(summary)
    actual = first_to_second_purchase_days(tx, end)
    assert len(actual) == int((summary["frequency"] > 0).sum())
    expected = np.quantile(actual, [0.95, 0.99])
    windows = [clf.at_risk_threshold_, clf.lapsed_threshold_]
    np.testing.assert_allclose(windows, expected, rtol=0.02)


def test_first_return_quantile_solves_its_equation():
    from customer_models.lifecycle._adaptive import first_return_quantiles

    rng = np.random.default_rng(3)
    x = rng.integers(1, 12, size=2_000).astype(float)
    t = rng.uniform(1, 400, size=2_000)
    levels = np.array([0.5, 0.95, 0.99])
    u = first_return_quantiles(x, t, levels)

    def cdf(v):  # written out per customer, with no shared code
        survival = [
            0.0 if v >= ti else (1 - v / ti) ** (xi - 1) for xi, ti in zip(x, t, strict=True)
        ]
        return 1 - np.mean(survival)

    for level, value in zip(levels, u, strict=True):
        assert cdf(value * (1 - 1e-6)) < level <= cdf(value * (1 + 1e-6))


# ---------------------------------------------------------------- probabilistic mode
class StubModel:
    """P(alive) = exp(-silence / 100): a transparent stand-in for a valuation model."""

    def __init__(self) -> None:
        self.calls = 0

    def probability_alive(self, df: pd.DataFrame) -> pd.Series:
        self.calls += 1
        return np.exp(-(df["T"] - df["recency"]) / 100.0).rename("probability_alive")


def test_probabilistic_mode_thresholds_on_stub_probability_alive():
    # silences 10, 80, 200 -> p = 0.905, 0.449, 0.135 -> active, at risk (< 0.5), lapsed (< 0.2)
    summary = summary_of({1: (1, 30, 40), 2: (1, 10, 90), 3: (1, 10, 210)})
    summary.loc[4] = [np.nan, np.nan, np.nan]  # prospect: the model never sees it
    model = StubModel()
    clf = LifecycleStageClassifier("probabilistic", model=model).fit(summary)
    assert clf.assign(summary).tolist() == ["repeat", "at_risk", "lapsed", "prospect"]
    explained = clf.explain(summary)
    expected_p = np.exp(-np.array([10.0, 80.0, 200.0]) / 100.0)
    np.testing.assert_allclose(explained["probability_alive"].to_numpy()[:3], expected_p)
    assert math.isnan(explained["probability_alive"].iloc[3])
    assert explained["rule"].tolist()[1:3] == [
        "probability_alive < p_at_risk",
        "probability_alive < p_lapsed",
    ]
    stricter = LifecycleStageClassifier("probabilistic", model=model, p_at_risk=0.95)
    assert stricter.fit(summary).assign(summary).tolist()[0] == "at_risk"


def test_probabilistic_mode_accepts_arrays_and_checks_them():
    summary = summary_of({1: (1, 30, 40), 2: (1, 10, 90)})

    class ArrayModel:
        def probability_alive(self, df):
            return np.array([0.9, 0.3])

    class BadModel:
        def probability_alive(self, df):
            return np.array([0.9, 1.5])

    clf = LifecycleStageClassifier("probabilistic", model=ArrayModel()).fit(summary)
    assert clf.assign(summary).tolist() == ["repeat", "at_risk"]
    bad = LifecycleStageClassifier("probabilistic", model=BadModel()).fit(summary)
    with pytest.raises(DataValidationError, match=r"not probabilities in \[0, 1\].*\[2\]"):
        bad.predict(summary)


def test_probabilistic_mode_with_bgnbd_model_if_available():
    valuation = pytest.importorskip("customer_models.valuation")
    if not hasattr(valuation, "BetaGeoModel"):
        pytest.skip("customer_models.valuation.BetaGeoModel is not available yet")
    summary = load_cdnow_summary()
    model = valuation.BetaGeoModel().fit(summary)
    clf = LifecycleStageClassifier("probabilistic", model=model).fit(summary)
    stages = clf.assign(summary)
    p = model.probability_alive(summary).to_numpy()
    expected = np.where(p < 0.2, "lapsed", np.where(p < 0.5, "at_risk", "x"))
    risky = expected != "x"
    assert (stages.to_numpy()[risky] == expected[risky]).all()
    assert set(stages.to_numpy()[~risky]) <= {"new", "repeat", "loyal"}


# ---------------------------------------------------------------- independent oracle
def oracle_stage(freq, rec, T, *, new=30.0, at_risk=90.0, lapsed=180.0, loyal=4):
    """Row-by-row statement of the documented absolute rules (independent of the kernel)."""
    if freq != freq:  # NaN
        return "prospect"
    tenure = T
    if tenure <= new:
        return "new"
    silence = T - rec
    if silence > lapsed:
        return "lapsed"
    if silence > at_risk:
        return "at_risk"
    if freq == 0:
        return "new"
    if freq + 1 >= loyal:
        return "loyal"
    return "repeat"


@st.composite
def summaries(draw):
    n = draw(st.integers(1, 30))
    rows = {}
    for i in range(n):
        if draw(st.booleans()) and draw(st.booleans()):
            rows[i] = (np.nan, np.nan, np.nan)
            continue
        T = draw(st.integers(0, 400))
        freq = draw(st.integers(0, 8))
        rec = 0 if freq == 0 else draw(st.integers(0, T))
        rows[i] = (float(freq), float(rec), float(T))
    return summary_of(rows)


@settings(max_examples=60, deadline=None)
@given(summaries(), st.randoms(use_true_random=False))
def test_absolute_mode_matches_rowwise_oracle_and_is_order_invariant(summary, rnd):
    before = summary.copy()
    clf = LifecycleStageClassifier().fit(summary)
    stages = clf.assign(summary)
    expected = [oracle_stage(*row) for row in summary[["frequency", "recency", "T"]].to_numpy()]
    assert stages.tolist() == expected
    pd.testing.assert_frame_equal(summary, before)  # no mutation
    order = list(summary.index)
    rnd.shuffle(order)
    shuffled = clf.assign(summary.loc[order])
    pd.testing.assert_series_equal(shuffled.loc[summary.index], stages)


@settings(max_examples=40, deadline=None)
@given(
    freq=st.integers(1, 20),
    rec=st.floats(0.5, 500),
    extra=st.lists(st.floats(0, 2000), min_size=2, max_size=6),
)
def test_adaptive_stage_never_improves_with_more_silence(freq, rec, extra):
    summary = summary_of({i: (freq, rec, rec + e) for i, e in enumerate(sorted(extra))})
    clf = LifecycleStageClassifier("adaptive").fit(summary)
    risk = clf.assign(summary).map({"at_risk": 1, "lapsed": 2}).astype(float).fillna(0)
    assert risk.is_monotonic_increasing


def oracle_adaptive_stage(freq, rec, T, windows, *, new=30.0, loyal=4, p=(0.05, 0.01)):
    """Row-by-row statement of the documented adaptive rules, given the fitted windows."""
    if freq != freq:
        return "prospect"
    tenure = T
    if tenure <= new:
        return "new"
    silence = T - rec
    if freq >= 1 and rec > 0:
        chance = (rec / T) ** freq  # P(silence >= this | still active)
        if chance < p[1]:
            return "lapsed"
        if chance < p[0]:
            return "at_risk"
    else:
        if silence > windows[1]:
            return "lapsed"
        if silence > windows[0]:
            return "at_risk"
    if freq == 0:
        return "new"
    return "loyal" if freq + 1 >= loyal else "repeat"


@settings(max_examples=60, deadline=None)
@given(summaries())
def test_adaptive_mode_matches_rowwise_oracle(summary):
    clf = LifecycleStageClassifier("adaptive").fit(summary)
    windows = (clf.at_risk_threshold_, clf.lapsed_threshold_)
    stages = clf.assign(summary)
    rows = summary[["frequency", "recency", "T"]].to_numpy()
    expected = [oracle_adaptive_stage(*row, windows) for row in rows]
    # the oracle compares probabilities, the classifier silences: ties can differ by rounding
    probability = clf.explain(summary)["silence_probability"].to_numpy()
    tie = np.isclose(probability, 0.05, rtol=1e-9) | np.isclose(probability, 0.01, rtol=1e-9)
    kept = ~tie
    assert stages[kept].tolist() == [e for e, k in zip(expected, kept, strict=True) if k]


# ---------------------------------------------------------------- CDNOW, real data
def test_cdnow_stage_counts_agree_with_numpy_recount():
    summary = load_cdnow_summary()  # weeks
    stages = LifecycleStageClassifier().fit(summary).assign(summary)
    silence_days = (summary["T"] - summary["recency"]).to_numpy() * 7
    T_days = summary["T"].to_numpy() * 7
    freq = summary["frequency"].to_numpy()
    assert (stages == "lapsed").sum() == (silence_days > 180).sum()
    assert (stages == "at_risk").sum() == ((silence_days > 90) & (silence_days <= 180)).sum()
    active = silence_days <= 90
    assert (stages == "new").sum() == (active & ((T_days <= 30) | (freq == 0))).sum()
    assert (stages == "loyal").sum() == (active & (T_days > 30) & (freq >= 3)).sum()
    assert len(stages) == 2357


def test_polars_input_gives_the_same_stages():
    pl = pytest.importorskip("polars")
    summary = summary_of({1: (1, 10, 20), 2: (0, 0, 100)})
    clf = LifecycleStageClassifier().fit(summary)
    expected = clf.assign(summary).tolist()
    frame = pl.from_pandas(summary.reset_index(drop=True))
    assert clf.assign(frame).tolist() == expected


def test_plain_array_is_read_as_frequency_recency_T():
    X = np.array([[1.0, 30.0, 40.0], [0.0, 0.0, 100.0]])
    assert LifecycleStageClassifier().fit(X).assign(X).tolist() == ["repeat", "at_risk"]


def test_predict_returns_stage_codes_and_assign_the_named_labels():
    summary = summary_of({k: v[0] for k, v in ABSOLUTE_CASES.items()})
    clf = LifecycleStageClassifier().fit(summary)
    codes = clf.predict(summary)
    assert isinstance(codes, np.ndarray)
    assert codes.dtype == np.int64
    assert [clf.stages_[c] for c in codes] == [v[1] for v in ABSOLUTE_CASES.values()]
    labels = clf.assign(summary)
    assert labels.name == "stage"
    assert labels.index.equals(summary.index)
    np.testing.assert_array_equal(labels.cat.codes.to_numpy(), codes)
    X = summary.to_numpy()
    np.testing.assert_array_equal(clf.predict(X), codes)
    assert clf.assign(X).index.equals(pd.RangeIndex(len(X)))


def test_customers_list_extends_assign_and_explain_but_not_predict():
    summary = summary_of({1: (1, 40, 70), 2: (0, 0, 10)})
    clf = LifecycleStageClassifier().fit(summary)
    assert clf.assign(summary, customers=[3, 2]).to_dict() == {
        1: "repeat",
        2: "new",
        3: "prospect",
    }
    assert clf.explain(summary, customers=[3]).index.tolist() == [1, 2, 3]
    with pytest.raises(TypeError, match="customers"):
        clf.predict(summary, customers=[3])


def test_fit_records_the_three_summary_columns_as_features():
    summary = summary_of({1: (1, 40, 70)})
    summary["monetary_value"] = [12.0]
    clf = LifecycleStageClassifier().fit(summary)
    assert clf.n_features_in_ == 3
    with pytest.raises(ParameterError, match="X has 2 features, but LifecycleStageClassifier is"):
        clf.predict(np.ones((1, 2)))


@pytest.mark.parametrize(("value", "word"), [(np.nan, "NaN"), (np.inf, "inf")])
def test_plain_array_must_be_finite_and_the_error_names_the_column(value, word):
    X = np.array([[1.0, 30.0, 40.0], [0.0, 0.0, 100.0], [2.0, 5.0, 9.0]])
    X[[0, 2], 1] = value
    with pytest.raises(DataValidationError, match=word) as info:
        LifecycleStageClassifier().fit(X)
    error = info.value
    assert (error.column, error.n_rows, error.examples) == ("recency", 2, [0, 2])
    assert isinstance(error, ValueError)


def test_negative_values_are_refused_with_the_column_and_count():
    summary = summary_of({1: (1, 40, 70), 2: (-1, 0, 10), 3: (-2, 0, 5)})
    with pytest.raises(DataValidationError, match="Negative values in data") as info:
        LifecycleStageClassifier().fit(summary)
    assert (info.value.column, info.value.n_rows, info.value.examples) == ("frequency", 2, [2, 3])


def test_fitted_classifier_pickles_and_ends_a_pipeline():
    import pickle

    from sklearn.pipeline import make_pipeline

    summary = load_cdnow_summary()
    clf = LifecycleStageClassifier("adaptive").fit(summary)
    twin = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(twin.predict(summary), clf.predict(summary))
    assert twin.get_params() == clf.get_params()
    pipe = make_pipeline(LifecycleStageClassifier("adaptive")).fit(summary)
    np.testing.assert_array_equal(pipe.predict(summary), clf.predict(summary))


# ---------------------------------------------------------------- errors
def test_missing_column_suggests_the_closest():
    summary = summary_of({1: (1, 10, 20)}).rename(columns={"recency": "recncy"})
    with pytest.raises(MissingColumnError, match="Did you mean 'recncy'"):
        LifecycleStageClassifier().fit(summary)


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        (
            {1: (1, 30, 20), 2: (1, 5, 20)},
            r"1 of 2 rows break the rule 'recency must be <= T'.*\[1\]",
        ),
        ({1: (-1, 0, 20), 2: (1, 5, 20)}, r"'frequency must be >= 0'.*\[1\]"),
        ({1: (1, 5, np.inf)}, r"'T must be finite'"),
        ({1: (1, np.nan, 20)}, r"'recency must not be missing'"),
    ],
)
def test_bad_summary_rows_name_rule_and_ids(rows, match):
    with pytest.raises(DataValidationError, match=match):
        LifecycleStageClassifier().fit(summary_of(rows))


def test_duplicate_ids_and_bad_nps_are_rejected():
    summary = summary_of({1: (1, 10, 20)})
    clf = LifecycleStageClassifier().fit(summary)
    with pytest.raises(DataValidationError, match="must be unique"):
        clf.predict(pd.concat([summary, summary]))
    summary["nps"] = [11]
    with pytest.raises(DataValidationError, match="0-10 score"):
        LifecycleStageClassifier(nps_col="nps").fit(summary).predict(summary)
    with pytest.raises(MissingColumnError, match="no column 'score'"):
        LifecycleStageClassifier(nps_col="score").fit(summary).predict(summary)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"method": "relative"}, "method must be one of"),
        ({"at_risk_days": 200, "lapsed_days": 100}, "lapsed_days .* must be >= at_risk_days"),
        ({"new_days": -1}, "new_days must be a finite number >= 0"),
        ({"loyal_min_purchases": 1}, "loyal_min_purchases must be an integer >= 2"),
        ({"at_risk_false_alarm": 0}, "at_risk_false_alarm must be a probability strictly"),
        ({"lapsed_false_alarm": 1.0}, "lapsed_false_alarm must be a probability strictly"),
        ({"at_risk_false_alarm": "5%"}, "at_risk_false_alarm must be a probability"),
        (
            {"at_risk_false_alarm": 0.01, "lapsed_false_alarm": 0.05},
            r"lapsed_false_alarm \(0.05\) must be <= at_risk_false_alarm \(0.01\)",
        ),
        ({"p_lapsed": 0.6}, "p_lapsed .* must be <= p_at_risk"),
        ({"method": "probabilistic"}, "needs model= a fitted valuation model"),
        ({"time_unit": "fortnight"}, "cannot convert the summary's time unit 'fortnight'"),
    ],
)
def test_bad_parameters_raise_parameter_error_in_fit(params, match):
    clf = LifecycleStageClassifier(**params)  # __init__ never validates
    with pytest.raises(ParameterError, match=match):
        clf.fit(summary_of({1: (1, 10, 20)}))


def test_unfitted_and_unit_mismatch():
    summary = summary_of({1: (1, 10, 20)})
    with pytest.raises(NotFittedError, match="call fit"):
        LifecycleStageClassifier().predict(summary)
    clf = LifecycleStageClassifier().fit(summary)
    weekly = summary_of({1: (1, 1, 2)}, unit="W")
    with pytest.raises(ParameterError, match="time unit is 'W' but the classifier was fitted"):
        clf.predict(weekly)
    with pytest.raises(ParameterError, match="sparse input is not supported"):
        clf.predict(sparse.csr_matrix(np.ones((2, 3))))
    with pytest.raises(CustomerModelsError, match="exactly those three columns"):
        clf.predict(np.ones((2, 4)))


# ---------------------------------------------------------------- sklearn contract
def test_clone_set_params_and_get_params_round_trip():
    clf = LifecycleStageClassifier("adaptive", at_risk_false_alarm=0.1)
    twin = clone(clf)
    assert twin.get_params() == clf.get_params()
    twin.set_params(lapsed_false_alarm=0.02)
    assert twin.lapsed_false_alarm == 0.02
    assert clf.lapsed_false_alarm == 0.01


@pytest.mark.parametrize(
    ("unit", "days"),
    [("D", 1.0), ("days", 1.0), ("W", 7.0), ("weeks", 7.0), ("W-SUN", 7.0), ("W-MON", 7.0),
     ("ME", 365.25 / 12), ("M", 365.25 / 12), ("QS", 365.25 / 4), ("YE", 365.25), ("H", 1 / 24)],
)  # fmt: skip
def test_summary_units_use_the_one_unit_table(unit, days):
    # The lifecycle module has no alias table of its own: _time.normalize_unit reads the unit.
    from customer_models.lifecycle._units import days_per_unit

    assert days_per_unit(unit) == pytest.approx(days)
    with pytest.raises(ParameterError, match="cannot convert the summary's time unit 'fortnight'"):
        days_per_unit("fortnight")
