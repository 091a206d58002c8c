from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _purchase_logs import purchase_log

from customer_models import calibration_holdout_split, make_transactions, rfm_summary
from customer_models.evaluation import (
    evaluate_holdout,
    frequency_fit,
    gini,
    reliability_table,
    top_share,
    transaction_tracking,
)
from customer_models.exceptions import DataValidationError, MissingColumnError, ParameterError

sys.path.insert(0, str(Path(__file__).parents[1] / "valuation"))
import _mpref  # the mpmath references of the valuation tests

# R BTYD walkthrough, Pareto/NBD on the CDNOW 1/10 sample (cdnowSummary$est.params).
BTYD_PNBD = (0.5533971, 10.5801985, 0.6060625, 11.6562237)


class ClosedFormPareto:
    """Pareto/NBD new-customer expectation, E[X(t)] = r b/(a (s-1)) [1 - (b/(b+t))^(s-1)]."""

    time_unit_ = "W"
    params_ = pd.Series(dict(zip(("r", "alpha", "s", "beta"), BTYD_PNBD, strict=True)))

    def expected_purchases_new_customer(self, *, t):
        r, alpha, s, beta = BTYD_PNBD
        t = np.asarray(t, dtype=float)
        return r * beta / (alpha * (s - 1.0)) * (1.0 - (beta / (beta + t)) ** (s - 1.0))


def test_golden_btyd_cumulative_tracking(cdnow_sample_transactions, cdnow_summary):
    track = transaction_tracking(
        ClosedFormPareto(), cdnow_summary, cdnow_sample_transactions, start="1997-01-01"
    )
    assert len(track) == 78
    weeks = track.loc[20:25]
    assert weeks["actual_cumulative"].tolist() == [1359, 1414, 1484, 1517, 1573, 1672]
    np.testing.assert_allclose(
        weeks["expected_cumulative"], [1309, 1385, 1460, 1533, 1604, 1674], atol=0.6
    )
    # The walkthrough's parameters are re-estimated from its own CBS; with the published
    # 7-digit cdnowSummary parameters the increments agree to 2.5e-4 relative.
    np.testing.assert_allclose(
        weeks["expected"], [78.31, 76.42, 74.65, 72.98, 71.41, 69.93], rtol=3e-4
    )
    assert track["actual"].sum() == track["actual_cumulative"].iloc[-1]
    assert track["start"].iloc[0] == pd.Timestamp("1997-01-01")


def test_tracking_uses_first_purchase_column(cdnow_sample_transactions):
    data = calibration_holdout_split(
        cdnow_sample_transactions, calibration_end="1997-09-30", time_unit="W"
    )
    with_col = transaction_tracking(ClosedFormPareto(), data, cdnow_sample_transactions)
    without = transaction_tracking(
        ClosedFormPareto(), data.drop(columns="first_purchase"), cdnow_sample_transactions
    )
    pd.testing.assert_frame_equal(with_col, without)


def test_evaluate_holdout_metrics_by_hand(cdnow_holdout, cdnow_bgnbd, cdnow_sample_transactions):
    result = evaluate_holdout(cdnow_bgnbd, cdnow_holdout, transactions=cdnow_sample_transactions)
    pred = cdnow_bgnbd.expected_purchases(cdnow_holdout, t=39.0).to_numpy()
    act = cdnow_holdout["frequency_holdout"].to_numpy(dtype=float)
    np.testing.assert_allclose(result.customers["predicted_purchases"], pred)
    np.testing.assert_array_equal(result.customers["actual_purchases"], act)
    m = result.metrics
    assert m["mae"] == pytest.approx(np.mean(np.abs(pred - act)))
    assert m["rmse"] == pytest.approx(np.sqrt(np.mean((pred - act) ** 2)))
    assert m["bias_pct"] == pytest.approx(100 * (pred.sum() - act.sum()) / act.sum())
    p_any = 1.0 - cdnow_bgnbd.probability_of_purchases(cdnow_holdout, n=0, t=39.0).to_numpy()
    assert m["brier"] == pytest.approx(np.mean((p_any - (act > 0)) ** 2))
    assert 0.3 < m["gini"] < 1.0
    assert m["total_actual"] == 1882
    # the tracking's holdout weeks add up to the holdout repeat purchase days
    assert result.tracking is not None
    assert result.reliability["n_customers"].sum() == len(cdnow_holdout)
    assert result.conditional["n_customers"].sum() == len(cdnow_holdout)


def test_frequency_fit_matches_paper_formula(cdnow_holdout, cdnow_bgnbd):
    fit = frequency_fit(cdnow_bgnbd, cdnow_holdout, max_frequency=7)
    ages, customers = np.unique(cdnow_holdout["T"].to_numpy(), return_counts=True)
    params = cdnow_bgnbd.params_.to_numpy()
    for n in range(7):
        pmf = [_mpref.bg_pmf_new(n, t, *params) for t in ages]  # P(X(T) = n), FHL 2005 eq. 8
        expected = float(np.dot(customers, pmf))
        assert fit.loc[n, "expected"] == pytest.approx(expected, rel=1e-8)
    assert fit["actual"].sum() == len(cdnow_holdout)
    assert fit["expected"].sum() == pytest.approx(len(cdnow_holdout))
    assert fit.loc[0, "actual"] == (cdnow_holdout["frequency"] == 0).sum()


def test_spend_columns(cdnow_holdout, cdnow_bgnbd):
    class MeanSpend:
        def expected_spend(self, data):
            return pd.Series(30.0, index=data.index)

    result = evaluate_holdout(cdnow_bgnbd, cdnow_holdout, spend_model=MeanSpend())
    c = result.customers
    np.testing.assert_allclose(c["predicted_value"], c["predicted_purchases"] * 30.0)
    np.testing.assert_allclose(
        c["actual_value"],
        cdnow_holdout["frequency_holdout"] * cdnow_holdout["monetary_value_holdout"],
    )
    assert "value_mae" in result.metrics
    assert result.tracking is None


def test_holdout_errors(cdnow_holdout, cdnow_bgnbd, cdnow_summary):
    with pytest.raises(MissingColumnError, match="frequency_holdout"):
        evaluate_holdout(cdnow_bgnbd, cdnow_summary)
    days = cdnow_holdout.copy()
    days.attrs["time_unit"] = "D"
    with pytest.raises(ParameterError, match="time unit"):
        evaluate_holdout(cdnow_bgnbd, days)


def test_ranking_and_reliability_helpers():
    actual = np.array([0.0, 0.0, 1.0, 5.0])
    assert gini(actual, actual) == pytest.approx(1.0)
    assert gini(-actual, actual) < 0
    assert top_share(np.array([1.0, 2.0, 3.0, 4.0]), actual, 0.25) == pytest.approx(5 / 6)
    table = reliability_table(np.array([0.1, 0.15, 0.9]), np.array([0.0, 1.0, 1.0]), n_bins=10)
    assert table["n_customers"].tolist() == [2, 1]
    assert table["observed"].tolist() == [0.5, 1.0]


def test_golden_btyd_tracking_with_fitted_pareto_nbd(cdnow_sample_transactions, cdnow_summary):
    from customer_models.valuation._pareto_nbd import ParetoNBDModel

    model = ParetoNBDModel().fit(cdnow_summary)
    weeks = transaction_tracking(
        model, cdnow_summary, cdnow_sample_transactions, start="1997-01-01"
    ).loc[20:25]
    assert weeks["actual_cumulative"].tolist() == [1359, 1414, 1484, 1517, 1573, 1672]
    np.testing.assert_allclose(
        weeks["expected_cumulative"], [1309, 1385, 1460, 1533, 1604, 1674], atol=0.5
    )
    np.testing.assert_allclose(
        weeks["expected"], [78.31, 76.42, 74.65, 72.98, 71.41, 69.93], atol=0.01
    )


def test_frequency_fit_for_pareto_nbd_matches_lifetimes(cdnow_holdout):
    """Pareto/NBD now has the pmf; the fit uses it, checked against lifetimes' eq. (16)."""
    import warnings

    from customer_models.valuation import ParetoNBDModel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lifetimes import ParetoNBDFitter

    model = ParetoNBDModel.from_params(r=0.553, alpha=10.578, s=0.606, beta=11.669)
    fit = frequency_fit(model, cdnow_holdout, max_frequency=5)
    theirs = ParetoNBDFitter()
    theirs.params_ = pd.Series(model.params_.to_dict())
    ages, counts = np.unique(cdnow_holdout["T"].to_numpy(float), return_counts=True)
    for n in range(5):
        expected = sum(
            count * float(theirs.conditional_probability_of_n_purchases_up_to_time(n, t, 0, 0, 0))
            for t, count in zip(ages, counts, strict=True)
        )
        assert fit.loc[n, "expected"] == pytest.approx(expected, rel=1e-6)
    assert fit["expected"].sum() == pytest.approx(len(cdnow_holdout))


# ------------------------------------------------------------------ tracking: dates
class OnePerWeek:
    """A new customer makes one repeat purchase per week."""

    time_unit_ = "W"
    params_ = pd.Series({"rate": 1.0})

    def expected_purchases_new_customer(self, *, t):
        return np.asarray(t, dtype=float)


TRACK_TX = purchase_log(
    {
        1: ["2024-01-01 10:00", "2024-01-09 23:30", "2024-01-12 08:00"],
        2: ["2024-01-08 12:00", "2024-01-21 18:45"],
    }
)
TRACK_DATA = pd.DataFrame(index=pd.Index([1, 2], name="customer_id"))


def test_tracking_days_are_wall_clock_days_and_end_is_a_cut_off():
    track = transaction_tracking(OnePerWeek(), TRACK_DATA, TRACK_TX, end="2024-01-21")
    # Week 1 (Jan 1-7): nothing repeats; week 2 (Jan 8-14): customer 1 on Jan 9 and 12;
    # week 3 (Jan 15-21): customer 2 late on Jan 21, which the Jan 21 cut-off keeps.
    assert track["actual"].tolist() == [0, 2, 1]
    assert track["start"].tolist() == list(
        pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-15"])
    )
    assert track["end"].iloc[-1] == pd.Timestamp("2024-01-22")
    np.testing.assert_allclose(track["expected_cumulative"], [1.0, 3.0, 5.0])
    by_period = transaction_tracking(
        OnePerWeek(), TRACK_DATA, TRACK_TX, start=pd.Period("2024-01", "M"),
        end=pd.Period("2024-01-21", "D"),
    )  # fmt: skip
    pd.testing.assert_frame_equal(by_period, track)


def test_tracking_reads_formats_and_time_zones():
    expected = transaction_tracking(OnePerWeek(), TRACK_DATA, TRACK_TX)
    day_first = TRACK_TX.assign(date=TRACK_TX["date"].dt.strftime("%d/%m/%Y %H:%M"))
    pd.testing.assert_frame_equal(
        transaction_tracking(OnePerWeek(), TRACK_DATA, day_first, dayfirst=True), expected
    )
    early = day_first.iloc[:4]  # days <= 12 only: both orders read, and differ
    with pytest.raises(DataValidationError, match="ambiguous"):
        transaction_tracking(OnePerWeek(), TRACK_DATA, early)
    pd.testing.assert_frame_equal(
        transaction_tracking(OnePerWeek(), TRACK_DATA, early, dayfirst=True),
        transaction_tracking(OnePerWeek(), TRACK_DATA, TRACK_TX.iloc[:4]),
    )
    ints = TRACK_TX.assign(date=TRACK_TX["date"].dt.strftime("%Y%m%d").astype(int))
    with pytest.raises(DataValidationError, match="date_format"):
        transaction_tracking(OnePerWeek(), TRACK_DATA, ints)
    pd.testing.assert_frame_equal(
        transaction_tracking(OnePerWeek(), TRACK_DATA, ints, date_format="%Y%m%d"), expected
    )
    aware = TRACK_TX.assign(date=TRACK_TX["date"].dt.tz_localize("Pacific/Auckland"))
    pd.testing.assert_frame_equal(transaction_tracking(OnePerWeek(), TRACK_DATA, aware), expected)


def test_tracking_sentinel_dates_never_wrap():
    sentinel = pd.DataFrame({"customer_id": [2], "date": [pd.Timestamp("2024-01-01")]})
    sentinel["date"] = np.array(["9999-12-31"], dtype="datetime64[us]")
    tx = pd.concat([TRACK_TX.assign(date=TRACK_TX["date"].astype("datetime64[us]")), sentinel])
    # The datetime64[ns] cast used to wrap 9999-12-31 to 1816. Now it is a date: customer 2's
    # repeat purchase in the last week of 9999.
    track = transaction_tracking(OnePerWeek(), TRACK_DATA, tx)
    assert track["start"].iloc[-1] <= pd.Timestamp("9999-12-31") < track["end"].iloc[-1]
    assert track["actual"].iloc[-1] == 1
    assert track["actual_cumulative"].iloc[-1] == 4  # 2 + 1 + the sentinel
    # With a real cohort, a grid from 2024 to 9999 is refused with the rows that stretch it.
    many = make_transactions(300, random_state=3).astype({"date": "datetime64[us]"})
    many = pd.concat([many, sentinel.assign(customer_id=many["customer_id"].iloc[0])])
    summary = rfm_summary(many[many["date"] < "2026-01-01"]).drop(columns="first_purchase")
    with pytest.raises(DataValidationError, match=r"to 9999-12-31.*customers \[1\]"):
        transaction_tracking(OnePerWeek(), summary, many)
    bounded = transaction_tracking(OnePerWeek(), TRACK_DATA, tx, end="2024-01-21")
    expected = transaction_tracking(OnePerWeek(), TRACK_DATA, TRACK_TX, end="2024-01-21")
    pd.testing.assert_frame_equal(bounded, expected)
    # A summary whose first_purchase is a sentinel is read as that date, not wrapped.
    data = pd.DataFrame(
        {"first_purchase": np.array(["2024-01-01", "2024-01-08"], dtype="datetime64[us]")},
        index=TRACK_DATA.index,
    )
    pd.testing.assert_frame_equal(transaction_tracking(OnePerWeek(), data, TRACK_TX), expected)


def test_evaluate_holdout_reads_day_first_strings_like_the_split(
    cdnow_holdout, cdnow_bgnbd, cdnow_sample_transactions
):
    """Day-first string dates: the tracking reads them as the split did."""
    as_strings = cdnow_sample_transactions.assign(
        date=cdnow_sample_transactions["date"].dt.strftime("%d/%m/%Y")
    )
    expected = evaluate_holdout(cdnow_bgnbd, cdnow_holdout, transactions=cdnow_sample_transactions)
    result = evaluate_holdout(cdnow_bgnbd, cdnow_holdout, transactions=as_strings, dayfirst=True)
    pd.testing.assert_frame_equal(result.tracking, expected.tracking)
    formatted = evaluate_holdout(
        cdnow_bgnbd, cdnow_holdout, transactions=as_strings, date_format="%d/%m/%Y"
    )
    pd.testing.assert_frame_equal(formatted.tracking, expected.tracking)
