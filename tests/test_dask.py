"""Every Dask path gives the same numbers as the in-memory path, on a 2-worker LocalCluster."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

import customer_models as cm

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
cmd = pytest.importorskip("customer_models.dask")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # any free port: never collide with a running cluster
        silence_logs=50,
    )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.fixture(scope="module")
def transactions() -> pd.DataFrame:
    return cm.make_transactions(4_000, random_state=21)


def _sorted(frame):
    return frame.compute().sort_index()


@pytest.mark.parametrize("freq", ["D", "W"])
def test_summary_equals_in_memory(client, transactions, freq):
    expected = cm.rfm_summary(
        transactions, value_col="amount", freq=freq, observation_end="2025-06-30"
    )
    ddf = dd.from_pandas(transactions, npartitions=5)
    result = _sorted(
        cmd.rfm_summary(
            ddf, value_col="amount", freq=freq, observation_end="2025-06-30", npartitions=3
        )
    )
    pd.testing.assert_frame_equal(result, expected, check_like=False, check_freq=False)


def _assert_same_on_four_partitions(function: str, transactions: pd.DataFrame, **kwargs) -> None:
    """``customer_models.dask.<function>`` on 4 partitions equals the in-memory ``<function>``."""
    expected = getattr(cm, function)(transactions, **kwargs)
    result = _sorted(getattr(cmd, function)(dd.from_pandas(transactions, npartitions=4), **kwargs))
    pd.testing.assert_frame_equal(result, expected)


def test_summary_default_end_and_unsorted_partitions(client, transactions):
    shuffled = transactions.sample(frac=1.0, random_state=3)
    _assert_same_on_four_partitions("rfm_summary", shuffled, value_col="amount", time_unit="W")


def test_holdout_split_equals_in_memory(client, transactions):
    _assert_same_on_four_partitions(
        "calibration_holdout_split",
        transactions,
        calibration_end="2024-09-30",
        observation_end="2025-06-30",
        value_col="amount",
        time_unit="W",
    )


def test_cdnow_summary_reproduced_on_dask(client, cdnow_sample_transactions, cdnow_summary):
    ddf = dd.from_pandas(cdnow_sample_transactions, npartitions=3)
    result = _sorted(
        cmd.rfm_summary(ddf, value_col="amount", time_unit="W", observation_end="1997-09-30")
    )
    np.testing.assert_array_equal(result["frequency"], cdnow_summary["frequency"])
    np.testing.assert_allclose(result["T"], cdnow_summary["T"], atol=0.0051)


def test_map_customers_keeps_index_and_values(client, transactions):
    summary = cm.rfm_summary(transactions, value_col="amount", time_unit="W")
    ddf = dd.from_pandas(summary, npartitions=3)

    def score(df):
        return (df["frequency"] / (1.0 + df["T"])).rename("score")

    result = cmd.map_customers(ddf, score).compute()
    pd.testing.assert_series_equal(result.sort_index(), score(summary))


def test_errors_are_clear(client, transactions):
    with pytest.raises(cm.ParameterError, match=r"dask\.dataframe\.DataFrame"):
        cmd.rfm_summary(transactions)
    ddf = dd.from_pandas(transactions, npartitions=2)
    with pytest.raises(cm.MissingColumnError, match="Did you mean 'customer_id'"):
        cmd.rfm_summary(ddf, customer_col="customer")
    with pytest.raises(cm.DataValidationError, match="calibration_end"):
        cmd.calibration_holdout_split(ddf, calibration_end="2030-01-01")


def test_fit_model_from_patterns_equals_in_memory_fit(client, cdnow_summary):
    expected = cm.BetaGeoModel().fit(cdnow_summary)
    ddf = dd.from_pandas(cdnow_summary, npartitions=3)
    fitted = cmd.fit_model(cm.BetaGeoModel(time_unit="W"), ddf)
    np.testing.assert_allclose(fitted.params_, expected.params_, rtol=1e-6)
    assert fitted.log_likelihood_ == pytest.approx(expected.log_likelihood_, rel=1e-9)
    p_alive = cmd.map_customers(ddf, fitted.probability_alive).compute().sort_index()
    np.testing.assert_allclose(p_alive, expected.probability_alive(cdnow_summary), rtol=1e-9)


def test_building_the_graph_computes_no_more_than_the_first_partition(client, tmp_path):
    # Describing the output (Dask's meta) must not read every input partition (rfm_summary)
    # nor run the whole shuffle (map_customers on a summary that is not persisted).
    log = tmp_path / "reads.log"

    def part(i):
        with open(log, "a") as f:
            f.write(f"{i}\n")
        tx = cm.make_transactions(300, random_state=i)
        tx["customer_id"] += 1_000 * i
        return tx

    def reads():
        n = len(log.read_text().splitlines()) if log.exists() else 0
        log.write_text("")
        return n

    tx = dd.from_map(part, range(4), meta=part(0).iloc[:0])
    reads()
    summary = cmd.rfm_summary(tx, value_col="amount", time_unit="W", observation_end="2025-12-31")
    assert reads() == 1
    model = cmd.fit_model(cm.BetaGeoModel(time_unit="W"), summary)
    assert reads() == 4
    p_alive = cmd.map_customers(summary, model.probability_alive)
    assert reads() == 0
    result = p_alive.compute().sort_index()
    assert reads() == 4
    in_memory = pd.concat([part(i) for i in range(4)], ignore_index=True)
    expected_summary = cm.rfm_summary(
        in_memory, value_col="amount", time_unit="W", observation_end="2025-12-31"
    )
    pd.testing.assert_series_equal(result, model.probability_alive(expected_summary))


def test_map_customers_meta_falls_back_to_real_rows(client, cdnow_summary):
    ddf = dd.from_pandas(cdnow_summary, npartitions=2)

    def checked(df):  # Dask's stand-in rows have T = 1 week: this check rejects them
        if (df["T"] < 26).any():
            raise ValueError("every CDNOW customer was observed for more than half a year")
        return df["frequency"].rename("f")

    result = cmd.map_customers(ddf, checked).compute().sort_index()
    pd.testing.assert_series_equal(result, cdnow_summary["frequency"].rename("f"))


def test_every_scoring_path_equals_in_memory(client, transactions):
    """Expected purchases, CLV, RFM segments, lifecycle stages and churn risk via map_customers."""
    import functools

    summary = cm.rfm_summary(
        transactions, value_col="amount", time_unit="W", observation_end="2025-12-31"
    )
    ddf = dd.from_pandas(summary, npartitions=3)
    bgnbd = cmd.fit_model(cm.BetaGeoModel(time_unit="W"), ddf)
    spend = cmd.fit_model(cm.GammaGammaModel(), ddf)
    expected_spend = cm.GammaGammaModel().fit(summary[summary["frequency"] > 0])
    np.testing.assert_allclose(spend.params_, expected_spend.params_, rtol=1e-6)

    rfm_columns = ["frequency", "recency", "T", "monetary_value"]
    segmenter = cm.RFMSegmenter().fit(summary[rfm_columns])
    stages = cm.LifecycleStageClassifier(time_unit="W").fit(summary)
    churn = cm.PAliveChurnScorer(bgnbd, horizon=26)
    scorers = {
        "expected purchases": functools.partial(bgnbd.expected_purchases, t=52),
        "CLV": functools.partial(
            cm.customer_lifetime_value,
            bgnbd,
            spend,
            horizon=12,
            horizon_unit="M",
            discount_rate=0.01,
        ),
        "segments": lambda df: segmenter.assign(df[rfm_columns]),
        "stages": stages.assign,
        "churn": churn.churn_probability,
    }
    for name, scorer in scorers.items():
        on_dask = cmd.map_customers(ddf, scorer).compute().sort_index()
        in_memory = scorer(summary).sort_index()
        if in_memory.dtype.kind == "f":
            np.testing.assert_allclose(on_dask.to_numpy(), in_memory.to_numpy(), rtol=1e-9)
        else:
            assert on_dask.astype(str).tolist() == in_memory.astype(str).tolist(), name
        assert on_dask.index.equals(in_memory.index), name


def _has_shuffle(collection) -> bool:
    keys = dict(collection.__dask_graph__()).keys()
    return any("shuffle" in str(k).lower() or "rearrange" in str(k).lower() for k in keys)


def test_customer_indexed_input_with_divisions_is_not_shuffled(client, transactions):
    by_column = dd.from_pandas(transactions, npartitions=3)
    by_index = dd.from_pandas(transactions.set_index("customer_id"), npartitions=3, sort=True)
    assert by_index.known_divisions
    kwargs = {"value_col": "amount", "time_unit": "W", "observation_end": "2025-12-31"}
    shuffled = cmd.rfm_summary(by_column, **kwargs)
    direct = cmd.rfm_summary(by_index, **kwargs)
    assert _has_shuffle(shuffled)
    assert not _has_shuffle(direct)
    expected = cm.rfm_summary(transactions, **kwargs)
    pd.testing.assert_frame_equal(_sorted(direct), expected, check_like=True)
    split_kwargs = {"calibration_end": "2025-06-30", "observation_end": "2025-12-31"}
    pd.testing.assert_frame_equal(
        _sorted(cmd.calibration_holdout_split(by_index, **split_kwargs)),
        _sorted(cmd.calibration_holdout_split(by_column, **split_kwargs)),
    )
    # an index without known divisions is shuffled like a column
    unknown = by_index.clear_divisions()
    assert _has_shuffle(cmd.rfm_summary(unknown, **kwargs))
    pd.testing.assert_frame_equal(_sorted(cmd.rfm_summary(unknown, **kwargs)), _sorted(direct))


@pytest.fixture(scope="module")
def covariate_summary(transactions):
    """A summary with a two-level channel and a continuous age-like covariate per customer."""
    summary = cm.rfm_summary(
        transactions, value_col="amount", time_unit="W", observation_end="2025-12-31"
    )
    rng = np.random.default_rng(7)
    summary["web"] = (rng.random(len(summary)) < 0.4).astype(float)
    summary["age"] = rng.normal(40.0, 12.0, len(summary))
    return summary


@pytest.mark.parametrize(
    ("covariates", "order_rtol"),
    [(["web"], 1e-8), (["web", "age"], 2e-6)],
    ids=["categorical", "continuous"],
)
def test_fit_model_with_covariates_equals_in_memory_fit(
    client, covariate_summary, covariates, order_rtol
):
    """Covariates are part of the pattern key: the fit on the patterns is the customers' fit.

    Compressed on (x, t_x, T, z) in memory too (categorical), the two fits agree to 1e-8. With
    a continuous covariate every customer is a pattern and the in-memory fit itself moves (6e-7
    on this base) when its rows are permuted (Newton stops where the objective stops decreasing in
    double precision): the Dask fit equals to 1e-8 the in-memory fit of the rows in the order
    the grouping delivers them (sorted by the key), and the fit in the original order to
    ``order_rtol``.
    """
    from customer_models.valuation._bgnbd_covariates import BetaGeoCovariateModel
    from customer_models.valuation._gamma_gamma_covariates import GammaGammaCovariateModel

    summary = covariate_summary
    in_key_order = summary.sort_values(["frequency", "recency", "T", *covariates])
    ddf = dd.from_pandas(summary, npartitions=3)

    def bgnbd():
        return BetaGeoCovariateModel(covariates, dropout_covariates=["web"], time_unit="W")

    fitted = cmd.fit_model(bgnbd(), ddf)
    expected = bgnbd().fit(in_key_order)
    assert list(fitted.params_.index) == list(expected.params_.index)
    assert (expected.params_.filter(like=":").abs() > 1e-3).any()  # the covariates do enter
    np.testing.assert_allclose(fitted.params_, expected.params_, rtol=1e-8)
    assert fitted.log_likelihood_ == pytest.approx(expected.log_likelihood_, rel=1e-10)
    np.testing.assert_allclose(fitted.params_, bgnbd().fit(summary).params_, rtol=order_rtol)
    for name, score in {
        "p_alive": lambda m: m.probability_alive,
        "purchases": lambda m: functools.partial(m.expected_purchases, t=26),
    }.items():
        on_dask = cmd.map_customers(ddf, score(fitted)).compute().sort_index()
        in_memory = score(expected)(summary).sort_index()
        np.testing.assert_allclose(
            on_dask.to_numpy(), in_memory.to_numpy(), rtol=1e-8, err_msg=name
        )
        assert on_dask.index.equals(in_memory.index), name

    spend = cmd.fit_model(GammaGammaCovariateModel(covariates, time_unit="W"), ddf)
    expected_spend = GammaGammaCovariateModel(covariates).fit(in_key_order)
    np.testing.assert_allclose(spend.params_, expected_spend.params_, rtol=1e-8)
    on_dask = cmd.map_customers(ddf, spend.expected_spend).compute().sort_index()
    in_memory = expected_spend.expected_spend(summary).sort_index()
    np.testing.assert_allclose(on_dask.to_numpy(), in_memory.to_numpy(), rtol=1e-8)


def test_fit_model_reaches_the_model_errors_for_bad_covariates(client, covariate_summary):
    """A missing covariate column, or a NaN in one, is the model's error (never dropped)."""
    from customer_models.valuation._bgnbd_covariates import BetaGeoCovariateModel

    ddf = dd.from_pandas(covariate_summary, npartitions=2)
    with pytest.raises(cm.MissingColumnError, match="income"):
        cmd.fit_model(BetaGeoCovariateModel(["income"], time_unit="W"), ddf)
    with_nan = covariate_summary.copy()
    with_nan.iloc[[3, 10], with_nan.columns.get_loc("age")] = np.nan
    in_memory = pytest.raises(cm.DataValidationError, match="age")
    with in_memory as expected:
        BetaGeoCovariateModel(["age"], time_unit="W").fit(with_nan)
    with pytest.raises(type(expected.value), match="age"):
        cmd.fit_model(
            BetaGeoCovariateModel(["age"], time_unit="W"), dd.from_pandas(with_nan, npartitions=2)
        )
