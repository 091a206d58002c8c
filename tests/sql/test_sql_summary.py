"""The in-database summary (customer_models.sql) equals the in-memory one, row for row.

DuckDB in memory always; a PostgreSQL server too when ``CUSTOMER_MODELS_TEST_POSTGRES`` holds
its URL (``postgresql://user:password@127.0.0.1:5432/db``; the tests create and overwrite
tables named ``cm_test_*`` there).
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import customer_models as cm
from customer_models.exceptions import DataValidationError, MissingColumnError, ParameterError

ibis = pytest.importorskip("ibis")
pytest.importorskip("duckdb")
cms = pytest.importorskip("customer_models.sql")

# Ibis 12 calls APIs that DuckDB 2 and pandas 3 deprecate; those warnings are theirs, not ours.
pytestmark = [
    pytest.mark.filterwarnings(r"ignore:fetch_arrow_table\(\) is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated"),
]

#: Table names carry the process id: pytest-xdist workers share the PostgreSQL database.
SUFFIX = os.getpid()


def messy_log(seed: int = 7, n_customers: int = 150) -> pd.DataFrame:
    """Second-resolution times on both sides of 1970, refunds, zero amounts, string ids.

    Amounts are multiples of 0.25 (exact in binary), so a period's net value has no rounding
    that would depend on the order of the sum.
    """
    rng = np.random.default_rng(seed)
    n = n_customers * 8
    customer = rng.integers(0, n_customers, n)
    start = np.datetime64("1969-11-20T00:00:00", "s")
    seconds = rng.integers(0, 200 * 86_400, n)
    # Clusters on a few days so that periods hold several rows, some of them refunds.
    seconds = np.where(rng.random(n) < 0.5, (seconds // 86_400 // 9) * 9 * 86_400 + 3_600, seconds)
    amount = rng.integers(-40, 120, n) * 0.25
    amount[rng.random(n) < 0.08] = 0.0
    return pd.DataFrame(
        {
            "cust": np.char.add("c", customer.astype(str)).astype(object),
            "when": (start + seconds).astype("datetime64[us]"),
            "amount": amount,
        }
    )


def _table(con, name: str, frame: pd.DataFrame):
    return con.create_table(
        f"cm_test_{name}_{SUFFIX}",
        pa.Table.from_pandas(frame, preserve_index=False),
        overwrite=True,
    )


@pytest.fixture(scope="module")
def cdnow(con):
    frame = cm.load_cdnow_transactions()
    return frame, _table(con, "cdnow", frame)


@pytest.fixture(scope="module")
def messy(con):
    frame = messy_log()
    return frame, _table(con, "messy", frame)


def _same(result: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(result, expected, rtol=1e-9, atol=1e-9, check_exact=False)
    assert result.attrs == expected.attrs
    assert result.index.name == expected.index.name


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"value_col": "amount", "time_unit": "W", "observation_end": "1997-09-30"},
        {"value_col": "amount", "freq": "W", "include_first_transaction": True},
        {"value_col": "amount", "freq": "M", "time_unit": "D", "observation_end": "1998-01-15"},
    ],
)
def test_cdnow_equals_in_memory(cdnow, options):
    frame, table = cdnow
    _same(cms.rfm_summary(table, **options), cm.rfm_summary(frame, **options))


def test_cdnow_published_summary(con):
    """Customer 1's published CDNOW summary (x=2, t_x=30.43, T=38.86 weeks), from SQL."""
    table = _table(con, "cdnow_sample", cm.load_cdnow_transactions(sample=True))
    summary = cms.rfm_summary(
        table, value_col="amount", time_unit="W", observation_end="1997-09-30"
    )
    assert len(summary) == 2_357
    assert summary.loc[1, ["frequency", "recency", "T"]].round(2).tolist() == [2.0, 30.43, 38.86]


def test_cdnow_calibration_holdout_equals_in_memory(cdnow):
    frame, table = cdnow
    options = {
        "value_col": "amount",
        "time_unit": "W",
        "calibration_end": "1997-09-30",
        "observation_end": "1998-06-30",
    }
    expected = cm.calibration_holdout_split(frame, **options)
    _same(cms.calibration_holdout_split(table, **options), expected)
    assert int(expected["frequency_holdout"].sum()) > 0


MESSY = {"customer_col": "cust", "date_col": "when"}


@pytest.mark.parametrize("refunds", ["drop", "net_period", "net_customer"])
@pytest.mark.parametrize("freq", ["D", "W"])
def test_messy_log_equals_in_memory(messy, refunds, freq):
    frame, table = messy
    options = {**MESSY, "value_col": "amount", "freq": freq, "refunds": refunds}
    expected = cm.rfm_summary(frame, **options)
    # The log really is messy: refunds change who buys and what they spend.
    assert (frame["amount"] < 0).sum() > 100
    assert (frame["amount"] == 0).sum() > 50
    assert expected["first_purchase"].min() < pd.Timestamp("1970-01-01")
    _same(cms.rfm_summary(table, **options), expected)


@pytest.mark.parametrize("refunds", ["drop", "net_customer"])
def test_messy_calibration_holdout_equals_in_memory(messy, refunds):
    frame, table = messy
    options = {
        **MESSY,
        "value_col": "amount",
        "refunds": refunds,
        "time_unit": "W",
        "calibration_end": "1970-02-10",
        "observation_end": "1970-05-01",
    }
    _same(
        cms.calibration_holdout_split(table, **options),
        cm.calibration_holdout_split(frame, **options),
    )


@pytest.fixture(scope="module")
def duck_messy():
    frame = messy_log(seed=11, n_customers=60)
    return frame, _table(ibis.duckdb.connect(), "messy", frame)


@settings(max_examples=30, deadline=None)
@given(
    freq=st.sampled_from(["D", "W", "M", "h", "s"]),
    time_unit=st.sampled_from([None, "D", "W", "M"]),
    value_col=st.sampled_from([None, "amount"]),
    refunds=st.sampled_from(["drop", "net_period", "net_customer"]),
    include_first=st.booleans(),
    end=st.sampled_from([None, "1969-12-31", "1970-01-04 13:00", "1970-03-01"]),
)
@example(
    freq="D",
    time_unit="W",
    value_col="amount",
    refunds="net_customer",
    include_first=False,
    end=None,
)
@example(
    freq="W",
    time_unit="D",
    value_col="amount",
    refunds="net_period",
    include_first=True,
    end="1970-01-04 13:00",
)
@example(
    freq="D",
    time_unit=None,
    value_col="amount",
    refunds="drop",
    include_first=False,
    end="1969-12-31",
)
def test_every_combination_equals_in_memory(
    duck_messy, freq, time_unit, value_col, refunds, include_first, end
):
    frame, table = duck_messy
    options = {
        **MESSY,
        "value_col": value_col,
        "freq": freq,
        "time_unit": time_unit,
        "refunds": refunds,
        "include_first_transaction": include_first,
        "observation_end": end,
    }
    _same(cms.rfm_summary(table, **options), cm.rfm_summary(frame, **options))


# ----------------------------------------------------------------------------- bad input
def _same_error(frame, table, *, same_count=True, **options):
    """The SQL path raises the in-memory error: class, rule, column and count of bad rows.

    A column of the wrong type is refused from its type alone (``same_count=False``): the
    database does not count which strings would have parsed as numbers.
    """
    with pytest.raises(cm.CustomerModelsError) as memory:
        cm.rfm_summary(frame, **options)
    with pytest.raises(type(memory.value)) as sql:
        cms.rfm_summary(table, **options)
    for attribute in ("rule", "n_rows", "column") if same_count else ("rule", "column"):
        assert getattr(sql.value, attribute, None) == getattr(memory.value, attribute, None)
    return sql.value


@pytest.mark.parametrize("refunds", ["net_period", "net_customer"])
def test_a_holdout_of_refunds_only_equals_in_memory(con, refunds):
    frame = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "b"],
            "date": pd.to_datetime(
                ["2024-01-01", "2024-02-01", "2024-03-10", "2024-01-05", "2024-03-10"]
            ),
            "amount": [10.0, 5.0, -5.0, 7.0, -7.0],
        }
    )
    options = {"calibration_end": "2024-02-28", "value_col": "amount", "refunds": refunds}
    expected = cm.calibration_holdout_split(frame, **options)
    assert expected["frequency_holdout"].tolist() == [0, 0]
    _same(cms.calibration_holdout_split(_table(con, "refund_holdout", frame), **options), expected)


def test_refunds_error_policy_is_the_in_memory_error(messy):
    frame, table = messy
    error = _same_error(frame, table, **MESSY, value_col="amount")
    assert isinstance(error, DataValidationError)
    assert error.n_rows == int((frame["amount"] < 0).sum())
    assert "refunds='drop'" in str(error)
    assert set(error.examples) <= set(frame.loc[frame["amount"] < 0, "cust"])
    assert len(error.examples) == 5


def test_missing_column_suggests_the_closest(messy):
    frame, table = messy
    with pytest.raises(MissingColumnError, match="Did you mean 'amount'"):
        cms.rfm_summary(table, **MESSY, value_col="amonut")
    _same_error(frame, table, customer_col="customer", date_col="when")


def test_missing_dates_values_and_non_finite(con):
    frame = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 3],
            "date": pd.to_datetime(["2024-01-01", None, "2024-01-03", "2024-01-04"]),
            "amount": [1.0, 2.0, np.inf, None],
        }
    )
    table = _table(con, "missing", frame)
    _same_error(frame, table)
    finite = frame.assign(date=frame["date"].fillna(pd.Timestamp("2024-01-02")))
    _same_error(finite, _table(con, "missing_values", finite), value_col="amount")
    only_inf = finite.assign(amount=[1.0, 2.0, np.inf, 3.0])
    error = _same_error(only_inf, _table(con, "inf", only_inf), value_col="amount")
    assert error.examples == [2]
    # A NaN stored as NaN (not NULL) is missing, as pandas reads it.
    nan = pa.Table.from_pandas(only_inf, preserve_index=False).set_column(
        2, "amount", pa.array([1.0, float("nan"), 2.0, 3.0], from_pandas=False)
    )
    nan_table = con.create_table(f"cm_test_nan_{SUFFIX}", nan, overwrite=True)
    assert int(nan_table.amount.isnull().sum().to_pyarrow().as_py()) == 0
    error = _same_error(nan.to_pandas(), nan_table, value_col="amount")
    assert error.rule == "amount must not be missing"
    assert error.examples == [1]


def test_wrong_types_and_unsupported_options(con):
    frame = pd.DataFrame(
        {"customer_id": [1, 2], "date": ["2024-01-01", "2024-01-02"], "amount": ["x", "y"]}
    )
    table = _table(con, "strings", frame)
    with pytest.raises(DataValidationError, match="cast them in Ibis"):
        cms.rfm_summary(table)
    typed = table.mutate(date=table.date.cast("timestamp"))
    _same_error(
        frame.assign(date=pd.to_datetime(frame["date"])),
        typed,
        value_col="amount",
        same_count=False,
    )
    with pytest.raises(ParameterError, match="date_format"):
        cms.rfm_summary(table, date_format="%Y-%m-%d")
    with pytest.raises(ParameterError, match="freq"):
        cms.rfm_summary(typed, freq="fortnight")
    with pytest.raises(ParameterError, match="Ibis table"):
        cms.rfm_summary(frame)


def test_zoned_timestamps_are_refused(con):
    frame = pd.DataFrame(
        {"customer_id": [1], "date": pd.to_datetime(["2024-01-01 23:30"]).tz_localize("UTC")}
    )
    with pytest.raises(DataValidationError, match="local wall-clock"):
        cms.rfm_summary(_table(con, "zoned", frame))


def test_cut_offs_and_empty_results(con, messy):
    frame, table = messy
    _same_error(
        frame, table, **MESSY, value_col="amount", refunds="drop", observation_end="1960-01-01"
    )
    refunds_only = pd.DataFrame(
        {
            "customer_id": [1, 1],
            "date": pd.to_datetime(["2024-01-01", "2024-01-01"]),
            "amount": [-1.0, -2.0],
        }
    )
    refunds_table = _table(con, "refunds_only", refunds_only)
    for policy in ("drop", "net_period"):
        _same_error(refunds_only, refunds_table, value_col="amount", refunds=policy)
    empty = _table(con, "empty", refunds_only.iloc[:0])
    _same_error(refunds_only.iloc[:0], empty)
    with pytest.raises(DataValidationError, match="calibration_end"):
        cms.calibration_holdout_split(table, **MESSY, calibration_end="1971-01-01")
