"""log_interpurchase_sum: the litt statistic of BG/CNBD-k, against a per-customer loop."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from _purchase_logs import purchase_log

from customer_models import DataValidationError, load_cdnow_transactions, rfm_summary
from customer_models._inter_purchase import log_interpurchase_sum


def _by_hand(tx: pd.DataFrame, end: str, unit_days: float) -> pd.Series:
    """Distinct purchase days per customer, gaps in days / unit_days, sum of logs."""
    days = tx.loc[tx["date"] <= pd.Timestamp(end), ["customer_id", "date"]].drop_duplicates()
    out = {}
    for cid, dates in days.groupby("customer_id")["date"]:
        d = np.sort(dates.to_numpy()).astype("datetime64[D]").astype(np.int64)
        out[cid] = float(sum(math.log(g / unit_days) for g in np.diff(d)))
    return pd.Series(out)


def test_cdnow_in_weeks_matches_a_per_customer_loop():
    tx = load_cdnow_transactions(sample=True)
    s = log_interpurchase_sum(tx, time_unit="W", observation_end="1997-09-30")
    ref = _by_hand(tx, "1997-09-30", 7.0)
    np.testing.assert_allclose(s.to_numpy(), ref.loc[s.index].to_numpy(), rtol=1e-12, atol=1e-12)
    summary = rfm_summary(tx, time_unit="W", observation_end="1997-09-30")
    assert s.index.equals(summary.index)
    assert s.attrs["time_unit"] == "W"
    assert (s[summary["frequency"] == 0] == 0).all()


def test_units_shift_by_frequency_times_log_of_the_ratio():
    tx = load_cdnow_transactions(sample=True)
    days = log_interpurchase_sum(tx)
    weeks = log_interpurchase_sum(tx, time_unit="W")
    x = rfm_summary(tx)["frequency"]
    np.testing.assert_allclose(days - weeks, x * math.log(7.0), rtol=1e-12, atol=1e-9)


def test_same_period_purchases_are_one_and_later_ones_are_cut():
    tx = purchase_log(
        {
            1: ["2024-01-01 09:00", "2024-01-01 17:00", "2024-01-04 00:00", "2024-02-01 00:00"],
            2: ["2024-01-02 00:00"],
        }
    )
    s = log_interpurchase_sum(tx, observation_end="2024-01-10")
    assert s.tolist() == [pytest.approx(math.log(3.0)), 0.0]
    weekly = log_interpurchase_sum(tx, freq="W")  # Jan 1 and Jan 4 share a week
    assert weekly.loc[1] == pytest.approx(math.log(4.0))  # week of Jan 1 -> week of Feb 1


def test_a_refund_only_period_is_no_purchase_when_netting():
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 1],
            "date": pd.to_datetime(["2024-01-01", "2024-01-03", "2024-01-03", "2024-01-07"]),
            "amount": [10.0, 5.0, -5.0, 8.0],
        }
    )
    s = log_interpurchase_sum(tx, value_col="amount", refunds="net_period")
    assert s.loc[1] == pytest.approx(math.log(6.0))  # Jan 3 nets to 0: not a purchase
    summary = rfm_summary(tx, value_col="amount", refunds="net_period")
    assert summary.loc[1, "frequency"] == 1


def test_the_callers_frame_is_unchanged_and_bad_input_is_refused():
    tx = load_cdnow_transactions(sample=True)
    before = tx.copy()
    log_interpurchase_sum(tx, time_unit="W")
    pd.testing.assert_frame_equal(tx, before)
    with pytest.raises(DataValidationError):
        log_interpurchase_sum(tx, observation_end="1990-01-01")
    broken = tx.astype({"date": object})
    broken.loc[0, "date"] = None
    with pytest.raises(DataValidationError):
        log_interpurchase_sum(broken)


@pytest.mark.parametrize(
    "options",
    [
        {"time_unit": "W", "observation_end": "1997-09-30"},
        {"freq": "W", "time_unit": "D"},
        {"value_col": "amount", "refunds": "net_period", "observation_end": "1997-12-31"},
    ],
)
def test_rfm_summary_adds_the_column_on_request(options):
    tx = load_cdnow_transactions(sample=True)
    if options.get("refunds"):
        tx = tx.assign(amount=tx["amount"].where(tx.index % 17 != 0, -tx["amount"] / 2))
    summary = rfm_summary(tx, include_log_interpurchase=True, **options)
    plain = rfm_summary(tx, **options)
    pd.testing.assert_frame_equal(summary.drop(columns="log_interpurchase_sum"), plain)
    expected = log_interpurchase_sum(tx, **options).reindex(summary.index)
    np.testing.assert_array_equal(summary["log_interpurchase_sum"].to_numpy(), expected.to_numpy())
    assert summary.attrs == plain.attrs


def test_rfm_summary_refuses_a_non_bool_request():
    from customer_models.exceptions import ParameterError

    with pytest.raises(ParameterError, match="include_log_interpurchase"):
        rfm_summary(load_cdnow_transactions(sample=True), include_log_interpurchase="yes")
