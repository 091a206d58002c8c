from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from customer_models import (
    DataValidationError,
    MissingColumnError,
    ParameterError,
    calibration_holdout_split,
    make_transactions,
    rfm_summary,
)

CORE = ["frequency", "recency", "T", "monetary_value"]


# --- reference values ---------------------------------------------------------------------


def test_reproduces_published_cdnow_summary(cdnow_sample_transactions, cdnow_summary):
    s = rfm_summary(
        cdnow_sample_transactions,
        value_col="amount",
        freq="D",
        time_unit="W",
        observation_end="1997-09-30",
    )
    assert s.attrs["time_unit"] == "W"
    assert s.index.equals(cdnow_summary.index)
    np.testing.assert_array_equal(s["frequency"], cdnow_summary["frequency"])
    # The published file is rounded to 2 decimals.
    for column in ["recency", "T", "monetary_value"]:
        np.testing.assert_allclose(s[column], cdnow_summary[column], atol=0.005 + 1e-9)


@pytest.fixture(scope="module")
def simulated() -> pd.DataFrame:
    return make_transactions(3_000, random_state=11)


def _lifetimes(function: str, transactions: pd.DataFrame, **kwargs: object) -> pd.DataFrame:
    """``lifetimes.utils.<function>`` on ``transactions`` (customer_id, date, amount as value).

    Skips the test where lifetimes is not installed.
    """
    lifetimes_utils = pytest.importorskip("lifetimes.utils")
    return getattr(lifetimes_utils, function)(
        transactions, "customer_id", "date", monetary_value_col="amount", **kwargs
    )


@pytest.mark.parametrize(
    ("freq", "include_first_transaction"), [("D", False), ("W", False), ("D", True)]
)
def test_matches_lifetimes_summary(simulated, freq, include_first_transaction):
    expected = _lifetimes(
        "summary_data_from_transaction_data",
        simulated,
        freq=freq,
        include_first_transaction=include_first_transaction,
    )
    ours = rfm_summary(
        simulated,
        value_col="amount",
        freq=freq,
        include_first_transaction=include_first_transaction,
    )
    assert ours.index.equals(expected.index)
    np.testing.assert_array_equal(ours["frequency"], expected["frequency"])
    for column in ["recency", "T", "monetary_value"]:
        np.testing.assert_allclose(ours[column], expected[column], rtol=1e-12, atol=1e-9)


def test_holdout_matches_lifetimes(simulated):
    expected = _lifetimes(
        "calibration_and_holdout_data",
        simulated,
        calibration_period_end="2024-09-30",
        observation_period_end="2025-06-30",
    )
    ours = calibration_holdout_split(
        simulated,
        calibration_end="2024-09-30",
        observation_end="2025-06-30",
        value_col="amount",
    )
    assert ours.index.equals(expected.index)
    pairs = {
        "frequency": "frequency_cal",
        "recency": "recency_cal",
        "T": "T_cal",
        "monetary_value": "monetary_value_cal",
        "frequency_holdout": "frequency_holdout",
        "duration_holdout": "duration_holdout",
    }
    for ours_col, theirs_col in pairs.items():
        np.testing.assert_allclose(ours[ours_col], expected[theirs_col], rtol=1e-12, atol=1e-9)
    # lifetimes averages holdout value per transaction row; we average per purchase period,
    # as in the calibration columns. Check ours against plain pandas.
    hold = simulated[(simulated["date"] > "2024-09-30") & (simulated["date"] <= "2025-06-30")]
    per_day = hold.groupby(["customer_id", "date"])["amount"].sum()
    mean_per_day = per_day.groupby(level="customer_id").mean()
    np.testing.assert_allclose(
        ours["monetary_value_holdout"],
        mean_per_day.reindex(ours.index, fill_value=0.0),
        rtol=1e-12,
    )


def test_hand_computed_example():
    tx = pd.DataFrame(
        {
            "cid": ["a", "a", "a", "a", "b", "c"],
            "when": [
                "2024-01-01 09:00",
                "2024-01-01 18:00",
                "2024-01-08",
                "2024-01-22",
                "2024-01-15",
                "2024-02-10",
            ],
            "value": [10.0, 5.0, 20.0, 40.0, 7.0, 3.0],
        }
    )
    s = rfm_summary(
        tx,
        customer_col="cid",
        date_col="when",
        value_col="value",
        time_unit="W",
        observation_end="2024-01-29",
    )
    # c bought after observation_end, so it is not a customer yet.
    assert list(s.index) == ["a", "b"]
    assert s.index.name == "cid"
    a = s.loc["a"]
    assert a["frequency"] == 2  # days 1 Jan (twice), 8 Jan, 22 Jan
    assert a["recency"] == pytest.approx(3.0)  # 21 days
    assert a["T"] == pytest.approx(4.0)  # 28 days
    assert a["monetary_value"] == pytest.approx(30.0)  # (20 + 40) / 2
    assert a["n_transactions"] == 4
    assert a["total_value"] == pytest.approx(75.0)
    assert a["first_purchase"] == pd.Timestamp("2024-01-01 09:00")
    assert a["last_purchase"] == pd.Timestamp("2024-01-22")
    b = s.loc["b"]
    assert (b["frequency"], b["recency"], b["monetary_value"]) == (0, 0.0, 0.0)
    assert b["T"] == pytest.approx(2.0)


def test_monthly_periods_and_hours():
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 1],
            "date": pd.to_datetime(["2024-01-31 23:00", "2024-02-01 01:00", "2024-02-20 00:00"]),
        }
    )
    monthly = rfm_summary(tx, freq="M", observation_end="2024-05-15")
    assert (monthly.loc[1, "frequency"], monthly.loc[1, "recency"], monthly.loc[1, "T"]) == (
        1,
        1.0,
        4.0,
    )
    hourly = rfm_summary(tx, freq="h", time_unit="D")
    assert hourly.loc[1, "frequency"] == 2
    assert hourly.loc[1, "recency"] == pytest.approx((19 * 24 + 1) / 24)


def test_timezone_aware_dates_use_local_days():
    dates = pd.to_datetime(["2024-03-01 23:30", "2024-03-02 00:30"]).tz_localize("America/New_York")
    tx = pd.DataFrame({"customer_id": [1, 1], "date": dates})
    s = rfm_summary(tx, observation_end="2024-03-05")
    assert s.loc[1, "frequency"] == 1  # two local days, although both are 2 March in UTC
    assert s.loc[1, "T"] == 4.0
    assert s["first_purchase"].dt.tz is not None


def test_polars_and_arrow_input(simulated):
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pyarrow")
    expected = rfm_summary(simulated, value_col="amount")
    from_polars = rfm_summary(pl.from_pandas(simulated), value_col="amount")
    from_arrow = rfm_summary(pa.Table.from_pandas(simulated), value_col="amount")
    assert isinstance(from_polars, pl.DataFrame)  # polars in, polars out (index as a column)
    back = from_polars.to_pandas().set_index(expected.index.name)
    pd.testing.assert_frame_equal(back[CORE], expected[CORE])
    pd.testing.assert_frame_equal(from_arrow[CORE], expected[CORE])


def test_does_not_mutate_input(simulated):
    before = simulated.copy(deep=True)
    rfm_summary(simulated, value_col="amount", time_unit="W")
    calibration_holdout_split(simulated, calibration_end="2024-09-30", value_col="amount")
    pd.testing.assert_frame_equal(simulated, before)


def test_holdout_without_value_column(simulated):
    split = calibration_holdout_split(simulated, calibration_end="2024-06-30", time_unit="W")
    assert "monetary_value_holdout" not in split
    assert (split["frequency_holdout"] >= 0).all()
    assert split["duration_holdout"].iloc[0] == pytest.approx(
        (pd.Timestamp("2025-12-31") - pd.Timestamp("2024-06-30")).days / 7
    )


# --- bad input ----------------------------------------------------------------------------


def _tx(**overrides):
    data = {
        "customer_id": [1, 2, 3],
        "date": ["2024-01-01", "2024-01-02", "2024-01-03"],
        "amount": [1.0, 2.0, 3.0],
    }
    data.update(overrides)
    return pd.DataFrame(data)


@pytest.mark.parametrize(
    ("frame", "kwargs", "error", "match"),
    [
        (_tx(), {"date_col": "data"}, MissingColumnError, r"Did you mean 'date'\?"),
        (_tx(), {"value_col": "amout"}, MissingColumnError, r"Available columns.*'amount'"),
        (_tx(customer_id=[1, None, 3]), {}, DataValidationError, "customer_id must not be missing"),
        (
            _tx(date=["2024-01-01", None, "2024-01-03"]),
            {},
            DataValidationError,
            r"date must not be missing'; first offending ids: \[2\]",
        ),
        (
            _tx(date=["2024-01-01", "yesterday", "2024-01-03"]),
            {},
            DataValidationError,
            r"1 of 3 rows break the rule 'date must be a parseable date'.*\[2\]",
        ),
        (
            _tx(amount=["1", "x", "3"]),
            {"value_col": "amount"},
            DataValidationError,
            "amount must be numeric",
        ),
        (
            _tx(amount=[1.0, np.nan, 3.0]),
            {"value_col": "amount"},
            DataValidationError,
            "amount must not be missing",
        ),
        (
            _tx(amount=[1.0, -2.0, -3.0]),
            {"value_col": "amount"},
            DataValidationError,
            r"2 of 3 rows break the rule 'amount must be >= 0'.*\[2, 3\].*refunds='drop'",
        ),
        (_tx().iloc[:0], {}, DataValidationError, "empty"),
        (_tx(), {"observation_end": "2023-12-01"}, DataValidationError, "before every purchase"),
        (_tx(), {"freq": "fortnight"}, ParameterError, "not a supported unit"),
        (_tx(), {"observation_end": "not a date"}, ParameterError, "not a parseable date"),
    ],
)
def test_bad_input_errors(frame, kwargs, error, match):
    with pytest.raises(error, match=match):
        rfm_summary(frame, **kwargs)


def test_refund_only_customer_has_no_purchase():
    s = rfm_summary(_tx(amount=[1.0, -2.0, 3.0]), value_col="amount", refunds="net_customer")
    assert s.index.tolist() == [1, 3]
    assert s["total_value"].tolist() == [1.0, 3.0]


@pytest.mark.parametrize("refunds", ["net_period", "net_customer"])
def test_a_holdout_of_refunds_only_counts_no_holdout_purchase(refunds):
    # both customers buy in the calibration period; in the holdout they only return goods
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 2],
            "date": pd.to_datetime(
                ["2024-01-01", "2024-02-01", "2024-03-10", "2024-01-05", "2024-03-10"]
            ),
            "amount": [10.0, 5.0, -5.0, 7.0, -7.0],
        }
    )
    split = calibration_holdout_split(
        tx, calibration_end="2024-02-28", value_col="amount", refunds=refunds
    )
    assert split["frequency_holdout"].tolist() == [0, 0]
    assert split["monetary_value_holdout"].tolist() == [0.0, 0.0]
    assert split["frequency"].tolist() == [1, 0]
    # a holdout with one real purchase still counts it
    more = pd.concat(
        [
            tx,
            pd.DataFrame(
                {"customer_id": [2], "date": [pd.Timestamp("2024-03-20")], "amount": [4.0]}
            ),
        ]
    )
    split = calibration_holdout_split(
        more, calibration_end="2024-02-28", value_col="amount", refunds=refunds
    )
    assert split["frequency_holdout"].tolist() == [0, 1]
    assert split["monetary_value_holdout"].tolist() == [0.0, 4.0]


def test_not_a_dataframe():
    with pytest.raises(ParameterError, match="must be a pandas DataFrame"):
        rfm_summary([1, 2, 3])


@pytest.mark.parametrize("end", ["2023-01-01", "2024-01-03", "2024-02-01"])
def test_calibration_end_outside_data(end):
    with pytest.raises(DataValidationError, match="calibration_end"):
        calibration_holdout_split(_tx(), calibration_end=end, observation_end="2024-01-03")


def test_errors_are_value_errors():
    with pytest.raises(ValueError, match="no column"):
        rfm_summary(_tx(), customer_col="id")


# --- properties ---------------------------------------------------------------------------

transaction_tables = st.lists(
    st.tuples(st.integers(0, 6), st.integers(0, 60), st.floats(0.0, 500.0, allow_nan=False)),
    min_size=1,
    max_size=40,
).map(
    lambda rows: pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "date": pd.Timestamp("2024-01-01") + pd.to_timedelta([r[1] for r in rows], unit="D"),
            "amount": [r[2] for r in rows],
        }
    )
)


@settings(max_examples=60, deadline=None)
@given(tx=transaction_tables, seed=st.integers(0, 2**32 - 1), freq=st.sampled_from(["D", "W", "M"]))
def test_properties(tx, seed, freq):
    s = rfm_summary(tx, value_col="amount", freq=freq)
    # Row order does not matter.
    shuffled = tx.sample(frac=1.0, random_state=np.random.default_rng(seed))
    pd.testing.assert_frame_equal(rfm_summary(shuffled, value_col="amount", freq=freq), s)
    # 0 <= recency <= T.
    assert (s["recency"] >= 0).all()
    assert (s["recency"] <= s["T"]).all()
    # frequency + 1 equals the number of distinct purchase periods.
    periods = tx.assign(p=tx["date"].dt.to_period(freq)).groupby("customer_id")["p"].nunique()
    np.testing.assert_array_equal(s["frequency"] + 1, periods.loc[s.index])
    # Values add up: first period + frequency * monetary_value == total.
    first = tx.assign(p=tx["date"].dt.to_period(freq))
    first_value = first[first["p"] == first.groupby("customer_id")["p"].transform("min")]
    first_value = first_value.groupby("customer_id")["amount"].sum()
    np.testing.assert_allclose(
        first_value.loc[s.index] + s["frequency"] * s["monetary_value"],
        s["total_value"],
        rtol=1e-9,
        atol=1e-6,
    )


@settings(max_examples=40, deadline=None)
@given(tx=transaction_tables, cut=st.integers(1, 59))
def test_holdout_properties(tx, cut):
    cal_end = pd.Timestamp("2024-01-01") + pd.Timedelta(days=cut)
    end = pd.Timestamp("2024-03-01")
    if tx["date"].min() > cal_end:
        with pytest.raises(DataValidationError):
            calibration_holdout_split(tx, calibration_end=cal_end, observation_end=end)
        return
    split = calibration_holdout_split(
        tx, calibration_end=cal_end, observation_end=end, value_col="amount"
    )
    cal = rfm_summary(tx, observation_end=cal_end, value_col="amount")
    pd.testing.assert_frame_equal(split[cal.columns], cal)
    hold = tx[(tx["date"] > cal_end) & tx["customer_id"].isin(cal.index)]
    counts = hold.groupby("customer_id")["date"].nunique().reindex(cal.index, fill_value=0)
    np.testing.assert_array_equal(split["frequency_holdout"], counts)


# --- every engine takes the same keywords ---------------------------------------------------

#: The keywords and defaults of rfm_summary that every engine takes (the documented API).
_SHARED_DEFAULTS = {
    "customer_col": "customer_id",
    "date_col": "date",
    "value_col": None,
    "freq": "D",
    "time_unit": None,
    "observation_end": None,
    "include_first_transaction": False,
    "refunds": "error",
}
_PARSING_DEFAULTS = {"date_format": None, "dayfirst": None, "date_unit": None}


def _keywords(func):
    import inspect

    parameters = inspect.signature(func).parameters
    return {
        name: p.default
        for name, p in parameters.items()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    }


@pytest.mark.parametrize(
    ("module", "first", "own"),
    [
        ("customer_models.dask", "transactions", {"npartitions": None}),
        ("customer_models.spark", "transactions", {"n_buckets": None}),
        ("customer_models.sql", "table", _PARSING_DEFAULTS),
    ],
)
def test_engines_show_and_check_the_in_memory_keywords(module, first, own):
    import importlib
    import inspect

    engine = importlib.import_module(module)
    rfm = _keywords(engine.rfm_summary)
    assert rfm == {**_SHARED_DEFAULTS, **own}
    assert list(rfm) == [*_SHARED_DEFAULTS, *own]  # the in-memory order, then the engine's
    split = _keywords(engine.calibration_holdout_split)
    assert split["calibration_end"] is inspect.Parameter.empty  # required
    assert {k: v for k, v in split.items() if k != "calibration_end"} == rfm
    assert next(iter(inspect.signature(engine.rfm_summary).parameters)) == first
    with pytest.raises(TypeError, match="unexpected keyword argument 'customer_column'"):
        engine.rfm_summary(None, customer_column="id")
    with pytest.raises(TypeError, match="calibration_end"):
        engine.calibration_holdout_split(None)
    assert _keywords(rfm_summary) == {
        **_SHARED_DEFAULTS,
        **_PARSING_DEFAULTS,
        "include_log_interpurchase": False,
    }


def test_other_readers_show_the_in_memory_keywords():
    """log_interpurchase_sum and SQL behavior_features take their in-memory peers' keywords."""
    from customer_models import behavior_features, log_interpurchase_sum
    from customer_models.sql import behavior_features as sql_behavior_features

    expected = dict(_SHARED_DEFAULTS, **_PARSING_DEFAULTS)
    del expected["include_first_transaction"]
    assert _keywords(log_interpurchase_sum) == expected
    assert list(_keywords(log_interpurchase_sum)) == list(expected)
    behavior = {
        "customer_col": "customer_id",
        "date_col": "date",
        "value_col": "amount",
        "channel_col": None,
        "time_of_day": "auto",
        "refunds": "error",
    }
    assert _keywords(behavior_features) == {**behavior, "date_format": None, "dayfirst": None}
    assert _keywords(sql_behavior_features) == behavior
    with pytest.raises(TypeError, match="unexpected keyword argument 'date_format'"):
        sql_behavior_features(None, date_format="%Y")
