"""behavior_features in the database equals the in-memory function, on DuckDB and PostgreSQL."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import customer_models as cm
from customer_models.exceptions import CustomerModelsError, DataValidationError

ibis = pytest.importorskip("ibis")
pytest.importorskip("duckdb")
cms = pytest.importorskip("customer_models.sql")


def messy_log(seed: int = 3, n_customers: int = 300) -> pd.DataFrame:
    """Second-resolution times on both sides of 1970 with simultaneous orders, refunds,
    zero amounts, string ids and a channel column."""
    rng = np.random.default_rng(seed)
    n = n_customers * 7
    seconds = rng.integers(0, 400 * 86_400, n)
    # a third of the rows on a few exact instants, so orders tie within a customer
    seconds = np.where(rng.random(n) < 0.33, (seconds // (86_400 * 20)) * 86_400 * 20, seconds)
    amount = rng.integers(-30, 200, n) * 0.25
    amount[rng.random(n) < 0.05] = 0.0
    return pd.DataFrame(
        {
            "cust": np.char.add("c", rng.integers(0, n_customers, n).astype(str)).astype(object),
            "when": (np.datetime64("1969-10-01T00:00:00", "s") + seconds).astype("datetime64[us]"),
            "amount": amount,
            "channel": rng.choice(["online", "store", "app"], n).astype(object),
        }
    )


@pytest.mark.parametrize(
    "options",
    [
        {"refunds": "drop", "channel_col": "channel"},
        {"refunds": "drop", "time_of_day": False},
        {"refunds": "drop", "time_of_day": True, "channel_col": "channel"},
    ],
)
def test_messy_log_equals_in_memory(put, options):
    frame = messy_log()
    table = put("behavior", frame)
    columns = {"customer_col": "cust", "date_col": "when", "value_col": "amount"}
    expected = cm.behavior_features(frame, **columns, **options)
    result = cms.behavior_features(table, **columns, **options)
    pd.testing.assert_frame_equal(
        result, expected, rtol=1e-9, atol=1e-9, check_exact=False, check_index_type=False
    )
    assert result["spend_trend"].abs().sum() > 0
    assert result["ipt_std"].notna().sum() > 100


def test_cdnow_dates_without_times_have_no_time_of_day_columns(put):
    frame = cm.load_cdnow_transactions(sample=True)
    table = put("behavior_cdnow", frame)
    expected = cm.behavior_features(frame)
    result = cms.behavior_features(table)
    assert "night_share" not in result.columns
    pd.testing.assert_frame_equal(
        result, expected, rtol=1e-9, atol=1e-9, check_exact=False, check_index_type=False
    )


def test_refusals_name_the_rule():
    con = ibis.duckdb.connect()
    frame = messy_log(n_customers=20)
    table = con.create_table("t", pa.Table.from_pandas(frame))
    with pytest.raises(DataValidationError, match="amount must be >= 0"):
        cms.behavior_features(table, customer_col="cust", date_col="when")
    with pytest.raises(CustomerModelsError, match=r"'error'.*'drop'"):
        cms.behavior_features(table, customer_col="cust", date_col="when", refunds="net_period")
    with pytest.raises(CustomerModelsError, match="time_of_day"):
        cms.behavior_features(
            table, customer_col="cust", date_col="when", refunds="drop", time_of_day="yes"
        )
    missing = frame.assign(channel=frame["channel"].where(frame.index % 9 != 0, None))
    table = con.create_table("m", pa.Table.from_pandas(missing))
    with pytest.raises(DataValidationError, match="channel must not be missing"):
        cms.behavior_features(
            table, customer_col="cust", date_col="when", refunds="drop", channel_col="channel"
        )
