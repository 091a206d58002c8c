"""Every Spark path gives the same numbers as the in-memory path, on local[2].

Needs the ``spark`` extra (PySpark) and Java 17+; `.ci/run` installs both.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import customer_models as cm
from customer_models.exceptions import CustomerModelsError

pyspark_sql = pytest.importorskip("pyspark.sql")
cms = pytest.importorskip("customer_models.spark")

pytestmark = [
    pytest.mark.slow,
    # PySpark's own pandas conversions use APIs pandas 3 deprecates: theirs, not ours.
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore:.*infer_string.*"),
]


@pytest.fixture(scope="module")
def spark():
    session = (
        pyspark_sql.SparkSession.builder.master("local[2]")
        .appName("customer_models tests")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.timestampType", "TIMESTAMP_NTZ")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    yield session
    session.stop()


@pytest.fixture(scope="module")
def transactions() -> pd.DataFrame:
    """A simulated log with second-resolution times, refunds and zero amounts."""
    tx = cm.make_transactions(3_000, random_state=5)
    rng = np.random.default_rng(2)
    tx["date"] = tx["date"] + pd.to_timedelta(rng.integers(0, 86_400, len(tx)), unit="s")
    refunds = rng.random(len(tx)) < 0.05
    tx.loc[refunds, "amount"] = -tx.loc[refunds, "amount"] / 2
    tx.loc[rng.random(len(tx)) < 0.03, "amount"] = 0.0
    return tx[["customer_id", "date", "amount"]]


def _collect(frame, key: str = "customer_id") -> pd.DataFrame:
    return frame.toPandas().set_index(key).sort_index()


def _same(result: pd.DataFrame, expected: pd.DataFrame) -> None:
    expected = expected.sort_index()
    assert list(result.columns) == list(expected.columns)
    assert result.index.equals(expected.index)
    for column in expected.columns:
        got, want = result[column], expected[column]
        if pd.api.types.is_datetime64_any_dtype(want):
            assert (pd.to_datetime(got).to_numpy() == want.to_numpy()).all(), column
        else:
            np.testing.assert_allclose(
                got.to_numpy(dtype=float), want.to_numpy(dtype=float), rtol=1e-12, err_msg=column
            )


@pytest.mark.parametrize(
    "options",
    [
        {"value_col": "amount", "refunds": "net_period", "observation_end": "2025-06-30"},
        {"value_col": "amount", "refunds": "drop", "freq": "W", "time_unit": "W"},
        {"freq": "h", "time_unit": "D", "observation_end": "2025-03-31 12:30"},
    ],
)
def test_summary_equals_in_memory(spark, transactions, options):
    expected = cm.rfm_summary(transactions, **options)
    result = _collect(cms.rfm_summary(spark.createDataFrame(transactions), **options))
    _same(result, expected)


def test_calibration_holdout_equals_in_memory(spark, transactions):
    options = {
        "value_col": "amount",
        "refunds": "net_period",
        "calibration_end": "2024-12-31",
        "observation_end": "2025-09-30",
        "time_unit": "W",
    }
    expected = cm.calibration_holdout_split(transactions, **options)
    result = _collect(cms.calibration_holdout_split(spark.createDataFrame(transactions), **options))
    _same(result, expected)


def _with_channel(**kwargs):
    """BG/NBD with a 0/1 channel in both processes (the covariates are counted patterns too)."""
    from customer_models.valuation._bgnbd_covariates import BetaGeoCovariateModel

    return BetaGeoCovariateModel(["web"], dropout_covariates=["web"], **kwargs)


@pytest.mark.parametrize("make_model", [cm.BetaGeoModel, _with_channel], ids=["plain", "channel"])
def test_fit_and_score_equal_in_memory(spark, transactions, make_model):
    summary = cm.rfm_summary(transactions, time_unit="W", observation_end="2025-06-30")
    summary["web"] = (np.random.default_rng(3).random(len(summary)) < 0.4).astype(float)
    expected_model = make_model().fit(summary)
    frame = spark.createDataFrame(summary[["frequency", "recency", "T", "web"]].reset_index())
    model = cms.fit_model(make_model(time_unit="W"), frame)
    np.testing.assert_allclose(model.params_, expected_model.params_, rtol=1e-8)
    scored = _collect(cms.map_customers(frame, model.probability_alive, time_unit="W"))
    np.testing.assert_allclose(
        scored["probability_alive"].to_numpy(),
        expected_model.probability_alive(summary).sort_index().to_numpy(),
        rtol=1e-7,
    )
    # the unit is checked: a daily-stated frame is refused by the weekly model
    with pytest.raises(Exception, match="'D'"):
        cms.map_customers(frame, model.probability_alive, time_unit="D").collect()


def test_bad_input_is_refused_by_name(spark, transactions):
    frame = spark.createDataFrame(transactions)
    cases = [
        (lambda: cms.rfm_summary(transactions), "pyspark.sql.DataFrame"),
        (lambda: cms.rfm_summary(frame, value_col="price"), "'price'"),
        (lambda: cms.rfm_summary(frame, n_buckets=0), "n_buckets"),
        (lambda: cms.fit_model(cm.BetaGeoModel(), frame), "'frequency'"),
        (lambda: cms.map_customers(frame, len, customer_col="id"), "'id'"),
        (lambda: cms.rfm_summary(frame.limit(0)), "no dates"),
    ]
    for call, needle in cases:
        with pytest.raises(CustomerModelsError) as info:
            call()
        assert needle in str(info.value), needle
