"""kaplan_meier and cohort_retention: hand computations and independent oracles."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from customer_models import make_transactions
from customer_models.churn._retention import cohort_retention, kaplan_meier
from customer_models.exceptions import DataValidationError, MissingColumnError, ParameterError

Z95 = 1.959963984540054


# ---------------------------------------------------------------- Kaplan-Meier by hand
def test_kaplan_meier_hand_computed_example():
    # times 1 2 2 3 4 with events 1 1 0 1 0:
    #   t=1: n=5, d=1 -> S = 4/5 = 0.8,      V = 1/(5*4)           = 0.05
    #   t=2: n=4, d=1 -> S = 0.8*3/4 = 0.6,  V = 0.05 + 1/(4*3)    = 0.133333
    #   t=3: n=2, d=1 -> S = 0.6*1/2 = 0.3,  V = 0.133333 + 1/(2*1) = 0.633333
    #   t=4: n=1, d=0 -> S = 0.3,            V unchanged
    km = kaplan_meier([1, 2, 2, 3, 4], [1, 1, 0, 1, 0], method="linear")
    assert km["time"].tolist() == [1.0, 2.0, 3.0, 4.0]
    assert km["at_risk"].tolist() == [5, 4, 2, 1]
    assert km["events"].tolist() == [1, 1, 1, 0]
    assert km["censored"].tolist() == [0, 1, 0, 1]
    np.testing.assert_allclose(km["survival"], [0.8, 0.6, 0.3, 0.3])
    var = np.array([0.05, 0.05 + 1 / 12, 0.05 + 1 / 12 + 0.5, 0.05 + 1 / 12 + 0.5])
    s = np.array([0.8, 0.6, 0.3, 0.3])
    half = Z95 * s * np.sqrt(var)
    np.testing.assert_allclose(km["lower"], np.clip(s - half, 0, 1))
    np.testing.assert_allclose(km["upper"], np.clip(s + half, 0, 1))

    loglog = kaplan_meier([1, 2, 2, 3, 4], [1, 1, 0, 1, 0])
    se = np.sqrt(var) / np.abs(np.log(s))
    np.testing.assert_allclose(loglog["lower"], s ** np.exp(Z95 * se))
    np.testing.assert_allclose(loglog["upper"], s ** np.exp(-Z95 * se))


def _scipy_oracle(t, e, method):
    result = scipy.stats.ecdf(scipy.stats.CensoredData(uncensored=t[e], right=t[~e]))
    with warnings.catch_warnings():
        # scipy warns where Greenwood is undefined (S = 0); we compare elsewhere.
        warnings.simplefilter("ignore", RuntimeWarning)
        ci = result.sf.confidence_interval(0.9, method=method)
    return result.sf.quantiles, result.sf.probabilities, ci.low.probabilities, ci.high.probabilities


@pytest.mark.parametrize("method", ["log-log", "linear"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kaplan_meier_matches_scipy_ecdf(method, seed):
    rng = np.random.default_rng(seed)
    n = 400
    t = rng.integers(1, 40, n).astype(float)
    e = rng.random(n) < 0.6
    if seed == 2:  # continuous times, all distinct, and a final event (S reaches 0)
        t = rng.exponential(10.0, n)
        e[np.argmax(t)] = True
    km = kaplan_meier(t, e, confidence=0.9, method=method)
    times, surv, low, high = _scipy_oracle(t, e, method)
    np.testing.assert_allclose(km["time"], times)
    np.testing.assert_allclose(km["survival"], surv, atol=1e-12)
    defined = np.isfinite(low)
    np.testing.assert_allclose(km["lower"][defined], low[defined], atol=1e-12)
    np.testing.assert_allclose(km["upper"][defined], high[defined], atol=1e-12)
    # Where scipy says "undefined" (S = 0), the band collapses to 0 instead of NaN.
    assert (km.loc[~defined, ["survival", "lower", "upper"]] == 0).all().all()
    assert km[["lower", "upper"]].notna().all().all()


def test_kaplan_meier_by_group_equals_separate_fits():
    rng = np.random.default_rng(5)
    n = 300
    t = rng.integers(0, 25, n).astype(float)
    e = rng.random(n) < 0.5
    plan = rng.choice(["basic", "pro", "team"], n)
    km = kaplan_meier(pd.Series(t), pd.Series(e), by=plan)
    assert km.columns[0] == "group"
    for name in ["basic", "pro", "team"]:
        alone = kaplan_meier(t[plan == name], e[plan == name])
        part = km[km["group"] == name].drop(columns="group").reset_index(drop=True)
        pd.testing.assert_frame_equal(part, alone)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 15), st.booleans()), min_size=1, max_size=40))
def test_kaplan_meier_properties(rows):
    t = np.array([r[0] for r in rows], dtype=float)
    e = np.array([r[1] for r in rows])
    km = kaplan_meier(t, e)
    s = km["survival"].to_numpy()
    assert np.all(np.diff(s) <= 1e-15)  # non-increasing
    assert ((km["lower"] <= km["survival"] + 1e-12) & (km["survival"] <= km["upper"] + 1e-12)).all()
    assert km["lower"].between(0, 1).all()
    assert km["upper"].between(0, 1).all()
    assert km["events"].sum() == e.sum()
    assert (km["events"] + km["censored"]).sum() == len(t)
    # Without censoring the KM curve is the empirical survival function.
    if e.all():
        expected = np.array([(t > u).mean() for u in km["time"]])
        np.testing.assert_allclose(s, expected, atol=1e-12)


def test_kaplan_meier_row_order_and_types():
    t = pd.Series([3.0, 1.0, 2.0, 2.0], index=list("abcd"))
    e = pd.Series([True, False, True, True], index=list("abcd"))
    a = kaplan_meier(t, e)
    b = kaplan_meier(t.iloc[::-1], e.iloc[::-1])
    pd.testing.assert_frame_equal(a, b)
    c = kaplan_meier(t.to_numpy(), e.astype(int).to_list())
    pd.testing.assert_frame_equal(a, c)


@pytest.mark.parametrize(
    ("durations", "churned", "kwargs", "error", "match"),
    [
        ([1, -2], [1, 0], {}, DataValidationError, r"durations must be >= 0.*\[1\]"),
        ([1, np.nan], [1, 0], {}, DataValidationError, "durations must be finite"),
        ([1, 2], [1, 2], {}, DataValidationError, "churned must be 0 or 1"),
        ([1, 2], ["yes", "no"], {}, DataValidationError, "boolean or 0/1"),
        ([1, 2], [1, None], {}, DataValidationError, "churned must not be missing"),
        ([1, 2, 3], [1, 0], {}, ParameterError, "same length"),
        ([], [], {}, DataValidationError, "empty"),
        ([1, 2], [1, 0], {"confidence": 1.5}, ParameterError, "confidence"),
        ([1, 2], [1, 0], {"method": "log"}, ParameterError, "method must be one of"),
        ([1, 2], [1, 0], {"by": ["a"]}, ParameterError, "one label per customer"),
    ],
)
def test_kaplan_meier_errors(durations, churned, kwargs, error, match):
    with pytest.raises(error, match=match):
        kaplan_meier(durations, churned, **kwargs)


# ---------------------------------------------------------------- cohort retention
def test_cohort_retention_hand_example():
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 3, 3, 4],
            "date": pd.to_datetime(
                [
                    "2024-01-05",
                    "2024-01-25",
                    "2024-03-10",
                    "2024-01-20",
                    "2024-02-01",
                    "2024-02-28",
                    "2024-02-14",
                ]
            ),
        }
    )
    # January cohort {1, 2}: month 0 both, month 1 nobody, month 2 customer 1.
    # February cohort {3, 4}: month 0 both, month 1 (March) nobody; month 2 not observed.
    shares = cohort_retention(tx)
    assert shares.index.astype(str).tolist() == ["2024-01", "2024-02"]
    assert shares.columns.tolist() == [0, 1, 2]
    np.testing.assert_array_equal(shares.loc["2024-01"].to_numpy(), [1.0, 0.0, 0.5])
    assert shares.loc["2024-02"].tolist()[:2] == [1.0, 0.0]
    assert math.isnan(shares.loc["2024-02", 2])
    counts = cohort_retention(tx, values="count")
    assert counts.loc["2024-01"].tolist() == [2, 0, 1]
    assert counts.dtypes.eq("Int64").all()
    assert counts.loc["2024-02"].isna().tolist() == [False, False, True]

    weekly = cohort_retention(tx, cohort="W", observation_end="2024-01-31")
    # Weeks end on Sunday: 2024-01-05 is in week 2024-01-01/07, 2024-01-20 in 01-15/21.
    assert weekly.index.astype(str).tolist() == ["2024-01-01/2024-01-07", "2024-01-15/2024-01-21"]
    np.testing.assert_array_equal(weekly.iloc[0, :5].to_numpy(), [1.0, 0.0, 0.0, 1.0, 0.0])


def _oracle_counts(tx: pd.DataFrame, freq: str) -> pd.DataFrame:
    """Straightforward groupby computation of the same table (independent of the kernel)."""
    period = tx["date"].dt.to_period(freq)
    first = period.groupby(tx["customer_id"]).transform("min")
    k = (period - first).apply(lambda offset: offset.n)
    active = pd.DataFrame({"cohort": first, "k": k, "c": tx["customer_id"]}).drop_duplicates()
    return active.groupby(["cohort", "k"])["c"].nunique().unstack(fill_value=0)


@pytest.mark.parametrize("freq", ["M", "Q", "W"])
def test_cohort_retention_matches_groupby_oracle(freq):
    tx = make_transactions(800, random_state=11)
    counts = cohort_retention(tx, cohort=freq, values="count")
    oracle = _oracle_counts(tx, freq)
    for cohort_period, row in oracle.iterrows():
        got = counts.loc[cohort_period]
        for k, value in row.items():
            if value:
                assert got[k] == value
    # Observed cells without activity are 0, not missing.
    observed = counts.notna().to_numpy()
    last = tx["date"].max().to_period(freq)
    n_obs = np.array([(last - c).n + 1 for c in counts.index])
    assert (observed.sum(axis=1) == n_obs).all()
    shares = cohort_retention(tx, cohort=freq)
    expected = counts.astype("float64").div(counts[0].astype("float64"), axis=0)
    pd.testing.assert_frame_equal(shares, expected, check_dtype=False)


def test_cohort_retention_observation_end_and_no_mutation():
    tx = make_transactions(200, random_state=1)
    before = tx.copy()
    table = cohort_retention(tx, observation_end="2024-06-30")
    pd.testing.assert_frame_equal(tx, before)
    assert table.columns[-1] == 5  # January cohort: months 0..5 observed
    trimmed = cohort_retention(tx[tx["date"] <= "2024-06-30"])
    pd.testing.assert_frame_equal(table, trimmed)


def test_cohort_retention_errors():
    tx = pd.DataFrame({"customer_id": [1], "date": pd.to_datetime(["2024-01-01"])})
    with pytest.raises(MissingColumnError, match="Did you mean 'date'"):
        cohort_retention(tx, date_col="dat")
    with pytest.raises(ParameterError, match="period frequency"):
        cohort_retention(tx, cohort="fortnight")
    with pytest.raises(ParameterError, match="before the first transaction"):
        cohort_retention(tx, observation_end="2023-01-01")
    with pytest.raises(ParameterError, match="values must be one of"):
        cohort_retention(tx, values="pct")
    bad = pd.DataFrame({"customer_id": [1, 2], "date": pd.to_datetime(["2024-01-01", None])})
    with pytest.raises(DataValidationError, match=r"date must not be missing.*\[2\]"):
        cohort_retention(bad)


# ---------------------------------------------------------------- cohort retention: dates
def test_cohort_retention_observation_end_is_a_whole_day():
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 2],
            "date": ["2024-01-05 09:00", "2024-02-29 18:30", "2024-01-20 12:00", "2024-03-01"],
        }
    )
    # The 18:30 purchase on Feb 29 is observed on the Feb 29 cut-off; March 1 is not.
    counts = cohort_retention(tx, observation_end="2024-02-29", values="count")
    assert counts.loc["2024-01"].tolist() == [2, 1]
    by_period = cohort_retention(tx, observation_end=pd.Period("2024-02", "M"), values="count")
    pd.testing.assert_frame_equal(by_period, counts)
    daily = cohort_retention(tx, cohort="D", observation_end="2024-01-05")
    assert daily.shape == (1, 1)


def test_cohort_retention_reads_formats_and_time_zones():
    tx = make_transactions(150, random_state=5)
    tx = tx[tx["date"].dt.day <= 12]  # every date reads both ways: the order is ambiguous
    expected = cohort_retention(tx, values="count")
    day_first = tx.assign(date=tx["date"].dt.strftime("%d/%m/%Y"))
    with pytest.raises(DataValidationError, match="ambiguous"):
        cohort_retention(day_first)
    pd.testing.assert_frame_equal(
        cohort_retention(day_first, dayfirst=True, values="count"), expected
    )
    ints = tx.assign(date=tx["date"].dt.strftime("%Y%m%d").astype(np.int64))
    with pytest.raises(DataValidationError, match="date_format"):
        cohort_retention(ints)
    pd.testing.assert_frame_equal(
        cohort_retention(ints, date_format="%Y%m%d", values="count"), expected
    )
    late = tx.assign(date=(tx["date"] + pd.Timedelta(hours=23)).dt.tz_localize("Asia/Tokyo"))
    pd.testing.assert_frame_equal(cohort_retention(late, values="count"), expected)


def test_cohort_retention_sentinel_is_refused_not_allocated():
    # Cohorts x periods used to be allocated densely from the first to the last cohort: a
    # 1900-01-01 placeholder with daily cohorts asked for gigabytes. Only cohorts with
    # customers get a row now, and a table far larger than the data is refused.
    import tracemalloc

    tx = make_transactions(2000, random_state=0)
    sentinel = pd.DataFrame(
        {"customer_id": [999_999], "date": [pd.Timestamp("1900-01-01")], "amount": [1.0]}
    )
    with_sentinel = pd.concat([tx, sentinel], ignore_index=True)
    tracemalloc.start()
    try:
        with pytest.raises(
            DataValidationError,
            match=r"at most 1,000,000 cells.*first period 1900-01-01 \(customers \[999999\]",
        ):
            cohort_retention(with_sentinel, cohort="D")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50e6
    # Monthly cohorts fit: the sentinel is one 1900-01 cohort, the other cohorts are intact.
    monthly = cohort_retention(with_sentinel, values="count")
    assert monthly.index[0] == pd.Period("1900-01", "M")
    assert monthly.shape[0] == cohort_retention(tx).shape[0] + 1
    expected = cohort_retention(tx, values="count")
    pd.testing.assert_frame_equal(
        monthly.iloc[1:, : expected.shape[1]], expected, check_names=False
    )
    # A 9999-12-31 row is a date, far after the others: never wrapped to 1816.
    late = pd.concat([tx, sentinel.assign(date=["9999-12-31"])], ignore_index=True)
    late = late.assign(date=late["date"].astype(str))
    with pytest.raises(DataValidationError, match=r"last 9999-12-31 \(customers \[999999\]"):
        cohort_retention(late, cohort="W")
    yearly = cohort_retention(late, cohort="Y", values="count")
    assert yearly.index[-1] == pd.Period("9999", "Y")
    assert yearly.shape[1] == 9999 - 2024 + 1


@pytest.mark.parametrize("cohort", ["W-MON", "W-TUE", "W-WED", "W-THU", "W-FRI", "W-SAT", "W-SUN"])
def test_cohort_retention_anchored_weeks_match_pandas_periods(cohort):
    """Weeks ending on any day: cohorts and activity counts equal pandas' own periods."""
    tx = make_transactions(300, random_state=11)
    table = cohort_retention(tx, cohort=cohort, values="count")
    period = tx["date"].dt.to_period(cohort)
    first = period.groupby(tx["customer_id"]).transform("min")
    age = (period.dt.start_time - first.dt.start_time).dt.days // 7
    cells = pd.DataFrame({"customer": tx["customer_id"], "cohort": first, "k": age})
    expected = cells.drop_duplicates().groupby(["cohort", "k"]).size()
    observed = table.stack().dropna().astype(int)
    observed = observed[observed > 0]
    observed.index = observed.index.set_names(["cohort", "k"])
    pd.testing.assert_series_equal(observed, expected, check_names=False)
    assert table.index.freqstr == cohort
