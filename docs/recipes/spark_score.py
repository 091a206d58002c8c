"""The Spark recipe of docs/scaling.md, runnable: summary, pattern fit and scoring on Spark.

The part between the ``--8<--`` markers is included verbatim in docs/scaling.md. Run it with
pyspark (Java 17) and customer_models installed in the same environment::

    python docs/recipes/spark_score.py [--customers 20000] [--buckets 8]

It starts a local[2] Spark session, turns a simulated transaction table into a Spark
DataFrame, runs the recipe and checks the result against the in-memory functions.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

# --8<-- [start:recipe]
import pandas as pd
from pyspark import SparkFiles
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as sf

import customer_models as cm

END = pd.Timestamp("2025-12-31")  # one observation end for every customer
SUMMARY_SCHEMA = "customer_id long, frequency long, recency double, T double, monetary_value double"


def summarize(transactions: pd.DataFrame) -> pd.DataFrame:
    """All transactions of a bucket of customers -> one summary row per customer."""
    summary = cm.rfm_summary(transactions, value_col="amount", time_unit="W", observation_end=END)
    return summary[["frequency", "recency", "T", "monetary_value"]].reset_index()


def customer_summary(transactions: DataFrame, n_buckets: int = 64) -> DataFrame:
    """Spark DataFrame of transactions (customer_id, date, amount) -> customer summary."""
    # Every customer's rows go to one bucket; each bucket is summarised in pandas.
    bucket = sf.pmod(sf.hash("customer_id"), sf.lit(n_buckets))
    return (
        transactions.select("customer_id", "date", "amount")
        .withColumn("bucket", bucket)
        .groupBy("bucket")
        .applyInPandas(summarize, schema=SUMMARY_SCHEMA)
    )


def fit_and_save(spark: SparkSession, summary: DataFrame, path: str) -> cm.BetaGeoModel:
    """Fit BG/NBD on the (frequency, recency, T) patterns, save it, ship it to the executors."""
    # Only the distinct patterns and their counts reach the driver, not the customers.
    patterns = summary.groupBy("frequency", "recency", "T").count().toPandas()
    model = cm.BetaGeoModel(time_unit="W").fit(patterns, sample_weight=patterns["count"].to_numpy())
    model.save(path)  # a small JSON file: parameters, covariance, unit; no pickle
    spark.sparkContext.addFile(path)
    return model


def score(summary: DataFrame, file_name: str) -> DataFrame:
    """P(alive) of every customer, computed on the executors with the saved model."""

    def p_alive(batches):  # runs on the executors, one Arrow batch at a time
        model = cm.load_model(SparkFiles.get(file_name))
        for pdf in batches:
            pdf = pdf.set_index("customer_id")
            yield model.probability_alive(pdf).rename("p_alive").reset_index()

    return summary.mapInPandas(p_alive, schema="customer_id long, p_alive double")


# --8<-- [end:recipe]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--buckets", type=int, default=8)
    args = parser.parse_args()
    import numpy as np

    # Executors run their Python functions with this interpreter (customer_models installed).
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    tx = cm.make_transactions(args.customers, random_state=0)
    here = Path.cwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)  # before the JVM starts: Spark resolves relative paths against its cwd
        try:
            spark = (
                SparkSession.builder.master("local[2]")
                .appName("customer_models recipe")
                .config("spark.sql.session.timeZone", "UTC")
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.shuffle.partitions", "8")
                .getOrCreate()
            )
            spark.sparkContext.setLogLevel("ERROR")
            Path("transactions").mkdir()
            # Spark reads micro-, not nanosecond timestamps (pandas' default in Parquet).
            tx.to_parquet("transactions/part-0.parquet", coerce_timestamps="us")
            start = time.perf_counter()

            # as in docs/scaling.md
            summary = customer_summary(spark.read.parquet("transactions/"), args.buckets).cache()
            model = fit_and_save(spark, summary, "bgnbd.json")
            score(summary, "bgnbd.json").write.parquet("scores/")

            seconds = time.perf_counter() - start
            scores = pd.read_parquet("scores/")
            got_summary = summary.toPandas().set_index("customer_id").sort_index()
            version = spark.version
            spark.stop()
        finally:
            os.chdir(here)

    # the same in memory
    expected_summary = cm.rfm_summary(tx, value_col="amount", time_unit="W", observation_end=END)
    expected_model = cm.BetaGeoModel(time_unit="W").fit(expected_summary)
    expected = expected_model.probability_alive(expected_summary)
    pd.testing.assert_frame_equal(
        got_summary,
        expected_summary[got_summary.columns].rename_axis("customer_id"),
        check_dtype=False,
    )
    got = scores.set_index("customer_id")["p_alive"].sort_index()
    np.testing.assert_allclose(model.params_, expected_model.params_, rtol=1e-6)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-9)
    assert got.index.equals(expected.index)
    print(
        f"Spark {version}, local[2]: {len(tx):,} transactions of {args.customers:,} "
        f"customers -> {len(got_summary):,} summary rows, BG/NBD "
        + ", ".join(f"{k}={v:.4g}" for k, v in model.params_.items())
        + f", {len(got):,} P(alive) scores in {seconds:.1f} s; summary, parameters and "
        "scores equal the in-memory results."
    )


if __name__ == "__main__":
    main()
