"""stages_at / stage_transitions: hand-built timelines through every stage, no look-ahead."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from customer_models import make_transactions, rfm_summary
from customer_models.exceptions import DataValidationError, MissingColumnError, ParameterError
from customer_models.lifecycle import (
    STAGES,
    LifecycleStageClassifier,
    stage_transitions,
    stages_at,
)

# Customer "A" walks through every stage, "B" buys once and fades, "C" never buys.
TX = pd.DataFrame(
    {
        "customer_id": ["A", "A", "A", "A", "B"],
        "date": pd.to_datetime(
            ["2024-01-01", "2024-02-10", "2024-03-10", "2024-04-01", "2024-01-10"]
        ),
        "amount": [10.0, 20.0, 15.0, 30.0, 25.0],
    }
)
DATES = ["2023-12-15", "2024-01-15", "2024-03-01", "2024-04-15", "2024-08-01", "2024-11-01"]
# Worked out by hand with the defaults (new_days=30, at_risk_days=90, lapsed_days=180,
# loyal_min_purchases=4); silence = days since the last purchase, T = days since the first.
EXPECTED = {
    # 2023-12-15: nobody has bought yet.
    # 2024-01-15: A T=14 -> new. B T=5 -> new.
    # 2024-03-01: A 2 purchases, T=60 > 30, silence 20 -> repeat. B one purchase, silence 51
    #             <= 90 -> new (single purchase, not yet at risk).
    # 2024-04-15: A 4 purchases, silence 14 -> loyal. B silence 96 > 90 -> at_risk.
    # 2024-08-01: A silence 122 > 90 -> at_risk. B silence 204 > 180 -> lapsed.
    # 2024-11-01: A silence 214 > 180 -> lapsed. B lapsed.
    "A": ["prospect", "new", "repeat", "loyal", "at_risk", "lapsed"],
    "B": ["prospect", "new", "new", "at_risk", "lapsed", "lapsed"],
    "C": ["prospect"] * 6,
}


def test_hand_built_timeline_goes_through_every_stage():
    stages = stages_at(TX, DATES, customers=["A", "B", "C"])
    assert list(stages.columns) == list(pd.to_datetime(DATES))
    assert stages.index.tolist() == ["A", "B", "C"]
    for customer, expected in EXPECTED.items():
        assert stages.loc[customer].tolist() == expected, customer
    assert set(stages.loc["A"]) == set(STAGES)


def test_hand_built_transitions():
    flows = stage_transitions(TX, DATES, customers=["A", "B", "C"])
    # Every step: C prospect -> prospect, plus A's and B's hand-worked moves.
    table = {
        (str(r.start.date()), r.from_stage, r.to_stage): (r.count, r.share)
        for r in flows.itertuples()
    }
    assert table == {
        ("2023-12-15", "prospect", "prospect"): (1, 1 / 3),
        ("2023-12-15", "prospect", "new"): (2, 2 / 3),
        ("2024-01-15", "prospect", "prospect"): (1, 1.0),
        ("2024-01-15", "new", "repeat"): (1, 0.5),
        ("2024-01-15", "new", "new"): (1, 0.5),
        ("2024-03-01", "prospect", "prospect"): (1, 1.0),
        ("2024-03-01", "repeat", "loyal"): (1, 1.0),
        ("2024-03-01", "new", "at_risk"): (1, 1.0),
        ("2024-04-15", "prospect", "prospect"): (1, 1.0),
        ("2024-04-15", "loyal", "at_risk"): (1, 1.0),
        ("2024-04-15", "at_risk", "lapsed"): (1, 1.0),
        ("2024-08-01", "prospect", "prospect"): (1, 1.0),
        ("2024-08-01", "at_risk", "lapsed"): (1, 1.0),
        ("2024-08-01", "lapsed", "lapsed"): (1, 1.0),
    }
    assert list(flows.columns) == ["start", "end", "from_stage", "to_stage", "count", "share"]
    assert flows["from_stage"].cat.ordered


def test_include_zero_lists_all_pairs_and_shares_sum_to_one():
    flows = stage_transitions(TX, DATES[:3], customers=["A", "B", "C"], include_zero=True)
    assert len(flows) == 2 * len(STAGES) ** 2
    sums = flows.groupby(["start", "from_stage"], observed=True)["share"].sum()
    counts = flows.groupby(["start", "from_stage"], observed=True)["count"].sum()
    np.testing.assert_allclose(sums[counts > 0], 1.0)
    assert (sums[counts == 0] == 0).all()


def test_adaptive_classifier_is_refitted_at_each_date():
    clf = LifecycleStageClassifier("adaptive")
    stages = stages_at(TX, DATES, classifier=clf)
    assert not hasattr(clf, "stages_")  # the given classifier is cloned, not fitted
    # A: 3 repeat purchases by t_x = 91 days (2024 is a leap year): at risk past
    # 91 * (20 ** (1 / 3) - 1) = 156.0 days of silence, lapsed past 91 * (100 ** (1 / 3) - 1)
    # = 331.4. On 2024-08-01 A is silent 122 days -> still loyal; on 2024-11-01 214 -> at_risk.
    # B (one purchase) is judged by the repurchase window learned from A at each date:
    # 2024-03-01: A's only return took 40 days -> window 40; B silent 51 -> lapsed.
    # 2024-04-15: A's first return is 91 * min(2 uniforms) -> F(u) = 1 - (1 - u / 91) ** 2,
    # windows 91 * (1 - 0.05 ** 0.5) = 70.7 and 91 * (1 - 0.01 ** 0.5) = 81.9; B silent 96.
    assert stages.loc["A"].tolist() == ["prospect", "new", "repeat", "loyal", "loyal", "at_risk"]
    assert stages.loc["B"].tolist() == ["prospect", "new", "lapsed", "lapsed", "lapsed", "lapsed"]
    one_date = LifecycleStageClassifier("adaptive").fit(rfm_summary(TX, observation_end=DATES[3]))
    assert one_date.at_risk_threshold_ == pytest.approx(91 * (1 - 0.05**0.5))
    assert one_date.lapsed_threshold_ == pytest.approx(91 * (1 - 0.01**0.5))


def test_later_transactions_do_not_change_earlier_stages():
    tx = make_transactions(300, random_state=3)
    dates = ["2024-03-01", "2024-06-01", "2024-09-01"]
    before = stages_at(tx, dates)
    cutoff = pd.Timestamp(dates[-1])
    altered = tx.copy()
    later = altered["date"] > cutoff
    altered.loc[later, "date"] = altered.loc[later, "date"] + pd.Timedelta(days=13)
    extra = pd.DataFrame(
        {
            "customer_id": [1, 2],
            "date": pd.to_datetime(["2025-06-01", "2025-07-01"]),
            "quantity": [1, 1],
            "amount": [1.0, 2.0],
        }
    )
    altered = pd.concat([altered, extra], ignore_index=True)
    after = stages_at(altered, dates)
    pd.testing.assert_frame_equal(before, after)


def test_stage_counts_match_direct_classification_at_each_date():
    tx = make_transactions(500, random_state=7)
    dates = ["2024-05-01", "2024-12-31"]
    stages = stages_at(tx, dates)
    for date in dates:
        summary = rfm_summary(tx, observation_end=date)
        direct = LifecycleStageClassifier().fit(summary).assign(summary)
        got = stages[pd.Timestamp(date)].loc[direct.index]
        assert (got == direct).all()
        assert (stages[pd.Timestamp(date)].drop(direct.index) == "prospect").all()


def test_errors():
    with pytest.raises(ParameterError, match="at least two distinct dates"):
        stage_transitions(TX, ["2024-01-01", "2024-01-01"])
    with pytest.raises(ParameterError, match="single date"):
        stages_at(TX, "2024-01-01")
    with pytest.raises(MissingColumnError, match="Did you mean 'date'"):
        stages_at(TX, DATES, date_col="data")
    with pytest.raises(ParameterError, match="must be a LifecycleStageClassifier"):
        stages_at(TX, DATES, classifier="adaptive")


def test_probabilistic_classifier_keeps_its_fitted_model():
    valuation = pytest.importorskip("customer_models.valuation")
    BetaGeoModel = valuation.BetaGeoModel

    model = BetaGeoModel.from_params(r=0.5, alpha=28.0, a=0.8, b=2.5, time_unit="D")
    clf = LifecycleStageClassifier("probabilistic", model=model)
    stages = stages_at(TX, DATES[1:], classifier=clf)
    # P(alive) of A: 1.0, 0.68, 0.79, 0.32, 0.13; B (no repeat purchase) stays at 1 under BG/NBD.
    assert stages.loc["A"].tolist() == ["new", "repeat", "loyal", "at_risk", "lapsed"]
    assert stages.loc["B"].tolist() == ["new", "new", "new", "new", "new"]
    for date in DATES[1:]:
        summary = rfm_summary(TX, observation_end=date)
        p = model.probability_alive(summary)
        got = stages[pd.Timestamp(date)].loc[summary.index]
        expected = np.where(p < 0.2, "lapsed", np.where(p < 0.5, "at_risk", "active"))
        risky = expected != "active"
        assert (got.to_numpy()[risky] == expected[risky]).all()
        assert got[~risky].isin(["new", "repeat", "loyal"]).all()


# ------------------------------------------------------------------ dates are cut-offs


def test_a_date_is_its_whole_day():
    # A buys at 15:00 on Jan 10: on the Jan 10 cut-off that purchase counts (before the
    # reader, "2024-01-10" meant midnight and A was still a prospect).
    tx = pd.DataFrame(
        {"customer_id": ["A", "B"], "date": ["2024-01-10 15:00:00", "2024-01-02 08:30:00"]}
    )
    stages = stages_at(tx, ["2024-01-09", "2024-01-10"])
    assert stages.columns.tolist() == [pd.Timestamp("2024-01-09"), pd.Timestamp("2024-01-10")]
    assert stages.loc["A"].tolist() == ["prospect", "new"]
    assert stages.loc["B"].tolist() == ["new", "new"]
    # Two dates of one day are one cut-off.
    assert stages_at(tx, ["2024-01-10 08:00", "2024-01-10"]).shape == (2, 1)


def test_period_cutoff_is_its_last_day_and_weeks_are_labelled_by_their_start():
    by_period = stages_at(TX, [pd.Period("2024-03", "M"), pd.Period("2024-04-15", "D")])
    by_day = stages_at(TX, ["2024-03-31", "2024-04-15"])
    pd.testing.assert_frame_equal(by_period, by_day)
    weekly = stages_at(TX, ["2024-04-03"], freq="W")  # a Wednesday
    assert weekly.columns.tolist() == [pd.Timestamp("2024-04-01")]  # its week's Monday
    summary = rfm_summary(TX, freq="W", observation_end="2024-04-07")
    expected = LifecycleStageClassifier().fit(summary).assign(summary)
    assert (weekly.iloc[:, 0].loc[expected.index] == expected).all()


def test_string_formats_time_zones_and_sentinels():
    days = TX.assign(date=TX["date"].dt.strftime("%d/%m/%Y"))
    with pytest.raises(DataValidationError, match="ambiguous"):
        stages_at(days, DATES)
    pd.testing.assert_frame_equal(stages_at(days, DATES, dayfirst=True), stages_at(TX, DATES))
    ints = TX.assign(date=TX["date"].dt.strftime("%Y%m%d").astype(int))
    with pytest.raises(DataValidationError, match="date_format"):
        stages_at(ints, DATES)
    pd.testing.assert_frame_equal(
        stages_at(ints, DATES, date_format="%Y%m%d"), stages_at(TX, DATES)
    )
    # Late evening in New York is still that day on the local clock.
    aware = TX.assign(date=(TX["date"] + pd.Timedelta(hours=23)).dt.tz_localize("America/New_York"))
    pd.testing.assert_frame_equal(stages_at(aware, DATES), stages_at(TX, DATES))
    # A 9999-12-31 sentinel row is a date (after every cut-off), never a wrapped one.
    sentinel = pd.concat(
        [TX.assign(date=TX["date"].dt.strftime("%Y-%m-%d")),
         pd.DataFrame({"customer_id": ["A"], "date": ["9999-12-31"], "amount": [1.0]})],
        ignore_index=True,
    )  # fmt: skip
    pd.testing.assert_frame_equal(stages_at(sentinel, DATES), stages_at(TX, DATES))
    far = stages_at(sentinel, ["2024-04-15", "9999-12-31"])
    assert far.columns[-1] == pd.Timestamp("9999-12-31")
    # On the sentinel day A has just bought (silence 0): the row was read as 9999-12-31.
    assert far.loc["A"].tolist() == ["loyal", "loyal"]
    assert far.loc["B"].tolist() == ["at_risk", "lapsed"]


def test_mixed_time_zones_in_dates_are_refused():
    with pytest.raises(ParameterError, match="timezone-aware and naive"):
        stages_at(TX, [pd.Timestamp("2024-01-01", tz="UTC"), pd.Timestamp("2024-02-01")])
