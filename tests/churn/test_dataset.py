from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customer_models.churn import churn_dataset
from customer_models.exceptions import (
    CustomerModelsError,
    DataValidationError,
    MissingColumnError,
    ParameterError,
)

CUTOFF = pd.Timestamp("2024-03-31")


@pytest.fixture
def timelines() -> pd.DataFrame:
    """Four hand-built customers around a 2024-03-31 cutoff (horizon 30 days)."""
    rows = [
        # a: weekly buyer, buys again on Apr 10 (inside the horizon) -> not churned
        ("a", "2024-03-03", 10.0, "web"),
        ("a", "2024-03-10", 20.0, "web"),
        ("a", "2024-03-17", 30.0, "store"),
        ("a", "2024-03-31", 40.0, "web"),  # exactly at the cutoff: history
        ("a", "2024-04-10", 99.0, "web"),
        # b: two purchases on one day, then silent; next purchase after the horizon
        ("b", "2024-01-01", 5.0, "store"),
        ("b", "2024-01-01", 7.0, "store"),
        ("b", "2024-05-15", 1.0, "store"),
        # c: one purchase; buys exactly at cutoff + horizon (inside the closed window)
        ("c", "2024-02-20", 12.0, "web"),
        ("c", "2024-04-30", 3.0, "web"),
        # d: first purchase after the cutoff -> not in X
        ("d", "2024-04-05", 8.0, "web"),
    ]
    df = pd.DataFrame(rows, columns=["customer_id", "date", "amount", "channel"])
    df["date"] = pd.to_datetime(df["date"])
    return df


def test_hand_built_timelines(timelines: pd.DataFrame) -> None:
    X, y = churn_dataset(
        timelines,
        as_of=CUTOFF,
        horizon=30,
        value_col="amount",
        channel_col="channel",
        trend_window=14,
    )
    assert X.index.tolist() == ["a", "b", "c"]
    assert X.index.name == "customer_id"
    assert y.name == "churned"
    assert y.tolist() == [0, 1, 0]
    a, b, c = (X.loc[k] for k in "abc")
    # a: purchases on Mar 3, 10, 17, 31 -> gaps 7, 7, 14
    assert a["recency_days"] == 0.0
    assert a["tenure_days"] == 28.0
    assert a["n_transactions"] == 4
    assert a["n_purchase_days"] == 4
    assert a["ipt_mean_days"] == pytest.approx(28 / 3)
    assert a["ipt_std_days"] == pytest.approx(np.std([7, 7, 14], ddof=1))
    assert a["recency_ratio"] == 0.0
    # trend window 14 days: recent (Mar 17, Mar 31] -> Mar 31 only; previous (Mar 3, Mar 17]
    assert a["n_recent"] == 1
    assert a["n_previous"] == 2
    assert a["purchase_trend"] == pytest.approx((1 - 2) / 3)
    assert a["monetary_total"] == 100.0
    assert a["monetary_mean"] == 25.0
    assert a["value_recent"] == 40.0
    assert a["value_previous"] == 50.0
    assert a["spend_trend"] == pytest.approx(-10 / 90)
    assert a["channel_share_web"] == 0.75
    assert a["channel_share_store"] == 0.25
    # b: two rows on one day -> one purchase day, undefined gaps
    assert b["recency_days"] == 90.0
    assert b["n_transactions"] == 2
    assert b["n_purchase_days"] == 1
    assert np.isnan(b["ipt_mean_days"])
    assert np.isnan(b["ipt_std_days"])
    assert np.isnan(b["recency_ratio"])
    assert b["purchase_trend"] == 0.0
    assert b["monetary_total"] == 12.0
    assert b["channel_share_store"] == 1.0
    # c: one purchase 40 days before the cutoff
    assert c["recency_days"] == 40.0
    assert c["tenure_days"] == 40.0
    assert c["n_recent"] == 0


def test_only_history_customers_and_columns_without_value(timelines: pd.DataFrame) -> None:
    X, _ = churn_dataset(timelines, as_of=CUTOFF, horizon="30D")
    assert "monetary_total" not in X.columns
    assert not any(c.startswith("channel_share") for c in X.columns)
    assert list(X.columns) == [
        "recency_days",
        "tenure_days",
        "n_transactions",
        "n_purchase_days",
        "ipt_mean_days",
        "ipt_std_days",
        "recency_ratio",
        "n_recent",
        "n_previous",
        "purchase_trend",
    ]


def _pandas_oracle(tx: pd.DataFrame, cutoff: pd.Timestamp, horizon_days: int) -> pd.DataFrame:
    """The same features, written independently with pandas group-bys."""
    hist = tx[tx["date"] <= cutoff]
    g = hist.groupby("customer_id")
    days = hist.drop_duplicates(["customer_id", "date"]).sort_values(["customer_id", "date"])
    gaps = days.groupby("customer_id")["date"].diff().dt.days
    future = tx[(tx["date"] > cutoff) & (tx["date"] <= cutoff + pd.Timedelta(days=horizon_days))]
    out = pd.DataFrame(
        {
            "recency_days": (cutoff - g["date"].max()).dt.days.astype(float),
            "tenure_days": (cutoff - g["date"].min()).dt.days.astype(float),
            "n_transactions": g.size(),
            "n_purchase_days": g["date"].nunique(),
            "ipt_mean_days": gaps.groupby(days["customer_id"]).mean(),
            "ipt_std_days": gaps.groupby(days["customer_id"]).std(),
            "monetary_total": g["amount"].sum(),
        }
    )
    out["churned"] = (~out.index.isin(future["customer_id"])).astype(int)
    return out


def test_matches_pandas_oracle_on_cdnow(cdnow_sample_transactions: pd.DataFrame) -> None:
    cutoff = pd.Timestamp("1997-06-30")
    X, y = churn_dataset(cdnow_sample_transactions, as_of=cutoff, horizon=90, value_col="amount")
    expected = _pandas_oracle(cdnow_sample_transactions, cutoff, 90)
    assert X.index.equals(expected.index)
    for column in expected.columns.drop("churned"):
        np.testing.assert_allclose(
            X[column].to_numpy(dtype=float),
            expected[column].to_numpy(dtype=float),
            rtol=1e-9,
            equal_nan=True,
            err_msg=column,
        )
    np.testing.assert_array_equal(y.to_numpy(), expected["churned"].to_numpy())


def test_stacked_cutoffs_equal_single_cutoffs(cdnow_sample_transactions: pd.DataFrame) -> None:
    cutoffs = ["1997-03-31", "1997-06-30"]
    X, y = churn_dataset(cdnow_sample_transactions, as_of=cutoffs, horizon=60, value_col="amount")
    assert X.index.names == ["as_of", "customer_id"]
    for cutoff in cutoffs:
        Xc, yc = churn_dataset(
            cdnow_sample_transactions, as_of=cutoff, horizon=60, value_col="amount"
        )
        part = X.xs(pd.Timestamp(cutoff), level="as_of")
        pd.testing.assert_frame_equal(part, Xc)
        pd.testing.assert_series_equal(y.xs(pd.Timestamp(cutoff), level="as_of"), yc)


def test_row_order_invariance_and_no_mutation(cdnow_sample_transactions: pd.DataFrame) -> None:
    tx = cdnow_sample_transactions
    before = tx.copy()
    X1, y1 = churn_dataset(tx, as_of="1997-06-30", horizon=90, value_col="amount")
    pd.testing.assert_frame_equal(tx, before)
    shuffled = tx.sample(frac=1.0, random_state=3)
    X2, y2 = churn_dataset(shuffled, as_of="1997-06-30", horizon=90, value_col="amount")
    pd.testing.assert_frame_equal(X1, X2)
    pd.testing.assert_series_equal(y1, y2)


def test_polars_input(timelines: pd.DataFrame) -> None:
    pl = pytest.importorskip("polars")
    X1, y1 = churn_dataset(timelines, as_of=CUTOFF, horizon=30, value_col="amount")
    X2, y2 = churn_dataset(pl.from_pandas(timelines), as_of=CUTOFF, horizon=30, value_col="amount")
    # polars in, polars out: the customer index comes back as the first column
    assert isinstance(X2, pl.DataFrame)
    assert X2.columns[0] == X1.index.name
    pd.testing.assert_frame_equal(X2.to_pandas().set_index(X1.index.name), X1)
    assert y2.columns == [X1.index.name, y1.name]
    pd.testing.assert_series_equal(y2.to_pandas().set_index(X1.index.name)[y1.name], y1)


# --------------------------------------------------------------------------- leakage
START = pd.Timestamp("2024-01-01")
CUT = pd.Timestamp("2024-03-01")
END = pd.Timestamp("2024-06-30")

history_rows = st.tuples(st.integers(0, 5), st.integers(0, (CUT - START).days), st.floats(0, 100))
future_rows = st.tuples(st.integers(0, 7), st.integers(1, (END - CUT).days), st.floats(0, 100))


def _frame(rows: list[tuple[int, int, float]], base: pd.Timestamp) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": np.array([r[0] for r in rows], dtype=np.int64),
            "date": pd.to_datetime([base + pd.Timedelta(days=r[1]) for r in rows]).as_unit("ns"),
            "amount": np.array([r[2] for r in rows], dtype=np.float64),
            "channel": pd.Series([("web", "store")[r[0] % 2] for r in rows], dtype=object),
        }
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    history=st.lists(history_rows, min_size=1, max_size=25),
    future_a=st.lists(future_rows, max_size=15),
    future_b=st.lists(future_rows, max_size=15),
)
def test_no_leakage_any_change_after_cutoff(
    history: list[tuple[int, int, float]],
    future_a: list[tuple[int, int, float]],
    future_b: list[tuple[int, int, float]],
) -> None:
    """Adding, removing or changing transactions after the cutoff never changes X."""
    past = _frame(history, START)
    a = pd.concat([past, _frame(future_a, CUT)], ignore_index=True)
    b = pd.concat([_frame(future_b, CUT), past], ignore_index=True)
    kwargs = {
        "as_of": CUT,
        "horizon": 30,
        "value_col": "amount",
        "channel_col": "channel",
        "observation_end": END,
    }
    Xa, _ = churn_dataset(a, **kwargs)
    Xb, _ = churn_dataset(b, **kwargs)
    Xp, yp = churn_dataset(past, **kwargs)
    pd.testing.assert_frame_equal(Xa, Xp)
    pd.testing.assert_frame_equal(Xb, Xp)
    assert (yp == 1).all()  # nothing after the cutoff: everyone churned


@settings(max_examples=30, deadline=None)
@given(
    history=st.lists(history_rows, min_size=1, max_size=25),
    future=st.lists(future_rows, max_size=15),
)
def test_label_is_no_purchase_in_window(
    history: list[tuple[int, int, float]], future: list[tuple[int, int, float]]
) -> None:
    tx = pd.concat([_frame(history, START), _frame(future, CUT)], ignore_index=True)
    X, y = churn_dataset(tx, as_of=CUT, horizon=30, observation_end=END)
    window = tx[(tx["date"] > CUT) & (tx["date"] <= CUT + pd.Timedelta(days=30))]
    expected = (~X.index.isin(window["customer_id"])).astype(int)
    np.testing.assert_array_equal(y.to_numpy(), expected)


# --------------------------------------------------------------------------- attributes
def test_attributes_are_joined(timelines: pd.DataFrame) -> None:
    attrs = pd.DataFrame(
        {"plan": ["gold", "basic", "basic", "gold", "x"]}, index=["d", "c", "b", "a", "zz"]
    )
    X, _ = churn_dataset(timelines, as_of=CUTOFF, horizon=30, attributes=attrs)
    assert X["plan"].tolist() == ["gold", "basic", "basic"]
    X2, _ = churn_dataset(
        timelines, as_of=[CUTOFF, "2024-03-15"], horizon=30, attributes=attrs["plan"]
    )
    assert X2.xs(CUTOFF, level="as_of")["plan"].tolist() == ["gold", "basic", "basic"]


def test_missing_attributes_reports_count(timelines: pd.DataFrame) -> None:
    attrs = pd.DataFrame({"plan": ["gold"]}, index=["a"])
    with pytest.raises(DataValidationError, match=r"2 of 3 customers.*lack attributes") as err:
        churn_dataset(timelines, as_of=CUTOFF, horizon=30, attributes=attrs)
    assert err.value.n_rows == 2
    assert err.value.examples == ["b", "c"]
    X, _ = churn_dataset(
        timelines, as_of=CUTOFF, horizon=30, attributes=attrs, on_missing_attributes="nan"
    )
    assert X["plan"].isna().tolist() == [False, True, True]


def test_attributes_with_wrong_id_dtype_say_so(timelines: pd.DataFrame) -> None:
    tx = timelines.assign(
        customer_id=timelines["customer_id"].map({"a": 1, "b": 2, "c": 3, "d": 4})
    )
    attrs = pd.DataFrame({"plan": ["x", "y", "z"]}, index=["1", "2", "3"])
    with pytest.raises(DataValidationError, match=r"No id matched at all.*dtype"):
        churn_dataset(tx, as_of=CUTOFF, horizon=30, attributes=attrs)


def test_attribute_errors(timelines: pd.DataFrame) -> None:
    dup = pd.DataFrame({"plan": ["x", "y", "z", "w"]}, index=["a", "a", "b", "c"])
    with pytest.raises(DataValidationError, match="unique index"):
        churn_dataset(timelines, as_of=CUTOFF, horizon=30, attributes=dup)
    clash = pd.DataFrame({"tenure_days": [1, 2, 3]}, index=["a", "b", "c"])
    with pytest.raises(ParameterError, match="tenure_days"):
        churn_dataset(timelines, as_of=CUTOFF, horizon=30, attributes=clash)


# --------------------------------------------------------------------------- bad input
def test_cutoff_and_horizon_outside_data(timelines: pd.DataFrame) -> None:
    with pytest.raises(DataValidationError, match="before the first transaction"):
        churn_dataset(timelines, as_of="2023-12-31", horizon=30)
    with pytest.raises(DataValidationError, match="after the end of the data"):
        churn_dataset(timelines, as_of="2024-05-01", horizon=30)
    with pytest.raises(DataValidationError, match="horizon ends at"):
        churn_dataset(timelines, as_of=CUTOFF, horizon=400)
    # observation_end can extend the data beyond its last transaction
    X, _ = churn_dataset(timelines, as_of="2024-05-01", horizon=30, observation_end="2024-06-30")
    assert len(X) == 4


@pytest.mark.parametrize("horizon", [0, -5, "abc", True, float("nan")])
def test_bad_horizon(timelines: pd.DataFrame, horizon: object) -> None:
    with pytest.raises(ParameterError, match="horizon"):
        churn_dataset(timelines, as_of=CUTOFF, horizon=horizon)


def test_other_bad_input(timelines: pd.DataFrame) -> None:
    with pytest.raises(ParameterError, match="duplicated"):
        churn_dataset(timelines, as_of=[CUTOFF, CUTOFF], horizon=30)
    with pytest.raises(ParameterError, match="empty list"):
        churn_dataset(timelines, as_of=[], horizon=30)
    with pytest.raises(MissingColumnError, match="Did you mean 'date'"):
        churn_dataset(timelines, as_of=CUTOFF, horizon=30, date_col="data")
    with pytest.raises(MissingColumnError, match="channel"):
        churn_dataset(timelines, as_of=CUTOFF, horizon=30, channel_col="chanel")
    with pytest.raises(ParameterError, match="on_missing_attributes"):
        churn_dataset(timelines, as_of=CUTOFF, horizon=30, on_missing_attributes="drop")
    with pytest.raises(ParameterError, match="as_of"):
        churn_dataset(timelines, as_of="not a date", horizon=30)
    bad = timelines.copy()
    bad.loc[2, "amount"] = -1.0
    with pytest.raises(DataValidationError, match="amount must be >= 0"):
        churn_dataset(bad, as_of=CUTOFF, horizon=30, value_col="amount")
    missing_channel = timelines.copy()
    missing_channel.loc[0, "channel"] = None
    with pytest.raises(CustomerModelsError, match="channel must not be missing"):
        churn_dataset(missing_channel, as_of=CUTOFF, horizon=30, channel_col="channel")


def test_churn_features_score_todays_customers(cdnow_sample_transactions: pd.DataFrame) -> None:
    from customer_models import ChurnClassifier, churn_features

    tx = cdnow_sample_transactions
    last_day = tx["date"].max()
    # A labelled set needs a horizon after the cutoff: at the end of the data it is refused,
    # with a pointer to churn_features.
    with pytest.raises(DataValidationError, match="churn_features"):
        churn_dataset(tx, as_of=last_day, horizon=90, value_col="amount")
    today = churn_features(tx, trend_window=90, value_col="amount")
    # The same features as churn_dataset at that day: compare with a cutoff whose label
    # window fits because observation_end is stated beyond the data.
    X_end, _ = churn_dataset(
        tx,
        as_of=last_day,
        horizon=90,
        value_col="amount",
        observation_end=last_day + pd.Timedelta(days=90),
    )
    pd.testing.assert_frame_equal(today, X_end)
    assert len(today) == tx["customer_id"].nunique()
    assert today["recency_days"].min() == 0.0  # someone bought on the last day
    X, y = churn_dataset(tx, as_of="1997-09-30", horizon=90, value_col="amount")
    model = ChurnClassifier(estimator="logistic").fit(X, y)
    risk = model.churn_probability(today)
    assert risk.index.equals(today.index)
    assert risk.between(0, 1).all()
    # Customers silent for longer are more at risk, on average.
    silent = today["recency_days"] > today["recency_days"].median()
    assert risk[silent].mean() > risk[~silent].mean()
    with pytest.raises(ParameterError, match="trend_window"):
        churn_features(tx)
