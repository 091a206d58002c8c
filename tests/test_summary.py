from __future__ import annotations

import itertools
import operator

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import customer_models._customer_blocks as customer_blocks
import customer_models._reductions as reductions
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


@pytest.mark.parametrize("freq", ["D", "W"])
def test_matches_lifetimes_summary(simulated, freq):
    lifetimes_utils = pytest.importorskip("lifetimes.utils")
    expected = lifetimes_utils.summary_data_from_transaction_data(
        simulated, "customer_id", "date", monetary_value_col="amount", freq=freq
    )
    ours = rfm_summary(simulated, value_col="amount", freq=freq)
    assert ours.index.equals(expected.index)
    np.testing.assert_array_equal(ours["frequency"], expected["frequency"])
    for column in ["recency", "T", "monetary_value"]:
        np.testing.assert_allclose(ours[column], expected[column], rtol=1e-12, atol=1e-9)


def test_matches_lifetimes_with_first_transaction(simulated):
    lifetimes_utils = pytest.importorskip("lifetimes.utils")
    expected = lifetimes_utils.summary_data_from_transaction_data(
        simulated,
        "customer_id",
        "date",
        monetary_value_col="amount",
        include_first_transaction=True,
    )
    ours = rfm_summary(simulated, value_col="amount", include_first_transaction=True)
    np.testing.assert_array_equal(ours["frequency"], expected["frequency"])
    np.testing.assert_allclose(ours["monetary_value"], expected["monetary_value"], rtol=1e-12)


def test_holdout_matches_lifetimes(simulated):
    lifetimes_utils = pytest.importorskip("lifetimes.utils")
    expected = lifetimes_utils.calibration_and_holdout_data(
        simulated,
        "customer_id",
        "date",
        calibration_period_end="2024-09-30",
        observation_period_end="2025-06-30",
        monetary_value_col="amount",
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
    pd.testing.assert_frame_equal(from_polars[CORE], expected[CORE])
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


def _messy_log(seed: int, ids: str, resolution: str, n_rows: int = 4_000) -> pd.DataFrame:
    """Unsorted rows, repeated instants, several purchases a day, the given id kind."""
    rng = np.random.default_rng(seed)
    n_customers = n_rows // 4
    customer = rng.integers(0, n_customers, n_rows)
    if ids == "sparse-int":
        labels: object = customer * 1_000_003 - 7  # negative and far apart: factorized
    elif ids == "uint":
        labels = (customer + 5).astype(np.uint32)
    elif ids == "str":
        labels = np.array([f"c{c:05d}" for c in customer], dtype=object)
    else:
        labels = customer
    start = np.datetime64("2021-03-01T00:00:00", "us").astype(np.int64)
    step = {"day": 86_400 * 10**6, "second": 10**6, "us": 1}[resolution]
    span = 400 * 86_400 * 10**6 // step
    instants = start + rng.integers(0, span, n_rows) * step
    instants[::50] = instants[1::50][: instants[::50].size]  # ties across customers
    return pd.DataFrame(
        {
            "customer_id": labels,
            "date": instants.astype("datetime64[us]"),
            "amount": rng.gamma(2.0, 10.0, n_rows).round(2),
        }
    )


def _fallback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise OverflowError("forced")

    monkeypatch.setattr(reductions, "_time_key", refuse)


@pytest.mark.parametrize("ids", ["int", "sparse-int", "uint", "str"])
@pytest.mark.parametrize("resolution", ["day", "second", "us"])
@pytest.mark.parametrize("freq", ["D", "W", "M", "Q", "Y", "h"])
@pytest.mark.parametrize("blocks", [False, True])
def test_sorted_reduction_equals_the_general_one(ids, resolution, freq, blocks, monkeypatch):
    """The customer-block path (time packed into the key) and the general path agree exactly.

    With ``blocks`` the log is cut into chunks of 512 rows and blocks of 16 customers (forced
    at this size; by default chunks of 2**18 rows and blocks of 2**16 customers), so the
    partition and the per-block reduction run many times.
    """
    tx = _messy_log(7, ids, resolution)
    if blocks:
        monkeypatch.setattr(customer_blocks, "BLOCK_BITS", 4)
        monkeypatch.setattr(customer_blocks, "CHUNK_ROWS", 512)
    packed = reductions._time_key
    layouts: list[customer_blocks.Packing] = []

    def spy(*args: object) -> customer_blocks.Packing:
        layout = packed(*args)  # type: ignore[arg-type]
        layouts.append(layout)
        return layout

    monkeypatch.setattr(reductions, "_time_key", spy)
    fast = rfm_summary(tx, value_col="amount", freq=freq)
    assert [(p.step, p.block_bits) for p in layouts] == [(1, 4 if blocks else 16)]
    cal = calibration_holdout_split(tx, value_col="amount", freq=freq, calibration_end="2021-12-31")
    first = rfm_summary(tx, value_col="amount", freq=freq, include_first_transaction=True)
    _fallback_only(monkeypatch)
    general = rfm_summary(tx, value_col="amount", freq=freq)
    pd.testing.assert_frame_equal(fast, general)
    pd.testing.assert_frame_equal(
        first, rfm_summary(tx, value_col="amount", freq=freq, include_first_transaction=True)
    )
    pd.testing.assert_frame_equal(
        cal,
        calibration_holdout_split(tx, value_col="amount", freq=freq, calibration_end="2021-12-31"),
    )
    assert fast.index.is_monotonic_increasing
    assert int(fast["n_transactions"].sum()) == len(tx)
    np.testing.assert_allclose(fast["total_value"].sum(), tx["amount"].sum(), rtol=1e-12)


@pytest.mark.parametrize(
    ("years", "unit", "step", "block_bits"),
    [(10, "s", 10**6, 16), (10, "ms", 10**3, 16), (5, "us", 1, 14)],
)
def test_long_spans_pack_coarser_time_or_smaller_blocks(years, unit, step, block_bits):
    """Spans over 2.2 years at microseconds: lossless coarser time, else fewer customer bits."""
    rng = np.random.default_rng(5)
    n = 6_000
    start = np.datetime64("2015-01-01", "us").astype(np.int64)
    unit_us = {"s": 10**6, "ms": 10**3, "us": 1}[unit]
    instants = start + rng.integers(0, years * 365 * 86_400 * 10**6 // unit_us, n) * unit_us
    low, high = int(instants.min()), int(instants.max())
    layout = customer_blocks.pack_time(low, high, instants - low)
    assert (layout.step, layout.block_bits) == (step, block_bits)
    customer = rng.integers(0, 1_500, n)
    tx = pd.DataFrame({"customer_id": customer, "date": instants.astype("datetime64[us]")})
    days = pd.Series(instants.astype("datetime64[us]")).dt.floor("D")
    per_customer = pd.DataFrame({"c": customer, "d": days, "t": tx["date"]}).groupby("c")
    result = rfm_summary(tx)
    np.testing.assert_array_equal(result["frequency"], per_customer["d"].nunique() - 1)
    np.testing.assert_array_equal(result["first_purchase"], per_customer["t"].min())
    np.testing.assert_array_equal(result["last_purchase"], per_customer["t"].max())


def test_time_too_fine_for_one_key_falls_back():
    """Microseconds over two centuries for 5,000 customers need more than 63 bits."""
    rng = np.random.default_rng(3)
    n = 20_000
    instants = np.datetime64("1900-01-01", "us").astype(np.int64) + rng.integers(
        0, 200 * 365 * 86_400 * 10**6, n
    )
    customer = rng.integers(0, 5_000, n)
    tx = pd.DataFrame({"customer_id": customer, "date": instants.astype("datetime64[us]")})
    low = int(instants.min())
    with pytest.raises(OverflowError):
        customer_blocks.pack_time(low, int(instants.max()), instants - low)
    result = rfm_summary(tx)
    days = pd.Series(instants.astype("datetime64[us]")).dt.floor("D")
    per_customer = pd.DataFrame({"c": customer, "d": days}).groupby("c")["d"]
    np.testing.assert_array_equal(result["frequency"], per_customer.nunique() - 1)
    np.testing.assert_array_equal(
        result["recency"], (per_customer.max() - per_customer.min()).dt.days
    )


def _in_row_order(values: pd.Series) -> float:
    """Sum left to right, as one pass over the log does (pandas' own sum is compensated)."""
    return float(list(itertools.accumulate(values.to_numpy(), operator.add))[-1])


@pytest.mark.parametrize("ids", ["int", "str"])
@pytest.mark.parametrize("blocks", [False, True])
def test_equals_a_plain_pandas_groupby_bit_for_bit(ids, blocks, monkeypatch):
    """Every column against an independent pandas groupby on a messy log, with a cut-off.

    Unsorted rows, several purchases a day, ties, second-resolution times, customers whose
    every purchase is after the cut-off; sums taken in row order, so equality is exact.
    """
    if blocks:
        monkeypatch.setattr(customer_blocks, "BLOCK_BITS", 5)
        monkeypatch.setattr(customer_blocks, "CHUNK_ROWS", 700)
    tx = _messy_log(11, ids, "second", n_rows=6_000)
    end = pd.Timestamp("2021-11-30 13:00")
    ours = rfm_summary(tx, value_col="amount", observation_end=end)

    kept = tx[tx["date"] < end.normalize() + pd.Timedelta(days=1)]
    kept = kept.assign(day=kept["date"].dt.floor("D"))
    by_customer = kept.groupby("customer_id")
    first_day = by_customer["day"].transform("min")
    first_value = kept[kept["day"] == first_day].groupby("customer_id")["amount"]
    days = by_customer["day"]
    expected = pd.DataFrame(
        {
            "frequency": days.nunique() - 1,
            "recency": (days.max() - days.min()).dt.days.astype(float),
            "T": (end.normalize() - days.min()).dt.days.astype(float),
            "total_value": by_customer["amount"].agg(_in_row_order),
            "first_value": first_value.agg(_in_row_order),
            "first_purchase": by_customer["date"].min(),
            "last_purchase": by_customer["date"].max(),
            "n_transactions": by_customer.size(),
        }
    )
    repeat = expected["frequency"].to_numpy()
    spend = (expected["total_value"] - expected["first_value"]).to_numpy()
    expected["monetary_value"] = np.divide(
        spend, repeat, out=np.zeros(repeat.size), where=repeat > 0
    )
    assert len(ours) == len(expected) < tx["customer_id"].nunique()
    for column in expected.columns.drop("first_value"):
        np.testing.assert_array_equal(
            ours[column].to_numpy(), expected[column].to_numpy(), err_msg=column
        )
    np.testing.assert_array_equal(ours.index.to_numpy(), expected.index.to_numpy())
