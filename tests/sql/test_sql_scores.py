"""Scores back into the database: write_scores and the SQL P(alive), equal to in memory.

DuckDB in memory always; the PostgreSQL server of ``CUSTOMER_MODELS_TEST_POSTGRES`` too.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import customer_models as cm
from customer_models.exceptions import CustomerModelsError, DataValidationError
from customer_models.valuation import (
    BetaGeoModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    model_from_json,
)

ibis = pytest.importorskip("ibis")
pytest.importorskip("duckdb")
cms = pytest.importorskip("customer_models.sql")

pytestmark = [
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated"),
]


def _name(stem: str) -> str:
    return f"cm_test_{stem}_{os.getpid()}"


@pytest.fixture(scope="module")
def summary():
    """CDNOW's weekly calibration summary plus rows at the edges of the parameter space."""
    cdnow = cm.rfm_summary(
        cm.load_cdnow_transactions(), time_unit="W", observation_end="1997-09-30"
    )[["frequency", "recency", "T"]]
    edges = pd.DataFrame(
        {
            "frequency": [0, 1, 400, 400, 3, 0],
            "recency": [0.0, 1e-9, 0.01, 5e4, 1e5, 0.0],
            "T": [0.0, 1e-9, 5e4, 5e4, 1e5, 1e6],
        },
        index=pd.Index([-1, -2, -3, -4, -5, -6], name=cdnow.index.name),
    )
    return cm.with_time_unit(pd.concat([cdnow, edges]), "W")


@pytest.mark.parametrize("model_class", [BetaGeoModel, ModifiedBetaGeoModel])
def test_sql_probability_alive_equals_in_memory(con, summary, model_class):
    model = model_class().fit(summary.iloc[:-6])
    table = cms.write_scores(con, _name("summary"), summary, overwrite=True)
    expr = cms.probability_alive_expression(model, table, time_unit="W")
    result = table.select("customer_id", p=expr).to_pyarrow().to_pandas()
    got = result.set_index("customer_id")["p"].reindex(summary.index).to_numpy()
    expected = model.probability_alive(summary).to_numpy()
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-300)
    assert got.min() < 1e-100  # the edge rows reach where a naive exp() would fail in SQL


def test_the_sql_text_reruns_without_python_objects(con, summary):
    """ibis.to_sql gives text that the engine runs on its own table, with the same result."""
    model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
    table = cms.write_scores(con, _name("summary_sql"), summary, overwrite=True)
    scored = table.select(
        "customer_id", p_alive=cms.probability_alive_expression(model, table, time_unit="W")
    )
    text = ibis.to_sql(scored, dialect=con.name)
    assert "exp(" in text.lower()
    cursor = con.raw_sql(str(text))  # the engine's own driver runs the text
    rows = cursor.fetchall()
    if con.name != "duckdb":  # DuckDB hands back the connection itself
        cursor.close()
    rerun = pd.DataFrame(rows, columns=["customer_id", "p_alive"]).set_index("customer_id")[
        "p_alive"
    ]
    expected = model.probability_alive(summary)
    np.testing.assert_allclose(
        rerun.reindex(summary.index).to_numpy(), expected.to_numpy(), rtol=1e-12, atol=1e-300
    )


def test_write_scores_in_chunks_with_the_model_alongside(con, summary):
    model = BetaGeoModel().fit(summary.iloc[:-6])
    scores = summary.iloc[:50][[]].assign(
        p_alive=model.probability_alive(summary.iloc[:50]),
        segment=np.where(np.arange(50) % 2 == 0, "even", "odd"),
    )
    name = _name("scores")
    for _ in range(2):
        table = cms.write_scores(con, name, scores, model=model, chunk_rows=7, overwrite=True)
    back = table.to_pyarrow().to_pandas().set_index("customer_id").loc[scores.index]
    pd.testing.assert_frame_equal(back, scores, check_dtype=False, check_index_type=False)
    models = con.table(f"{name}_model").to_pyarrow().to_pandas()
    assert len(models) >= 2  # appended on every write: the history of what made the scores
    assert set(models["scores_table"]) == {name}
    assert (models["n_rows"] == 50).all()
    loaded = model_from_json(models["model_json"].iloc[-1])
    pd.testing.assert_series_equal(loaded.params_, model.params_)
    assert json.loads(models["model_json"].iloc[-1])["class"] == "BetaGeoModel"
    con.drop_table(f"{name}_model")


def test_write_scores_refuses_bad_input_by_name(con, summary):
    name = _name("refuse")
    cms.write_scores(con, name, summary.iloc[:3], overwrite=True)
    cases = [
        (lambda: cms.write_scores(con, name, summary.iloc[:3]), "already exists"),
        (lambda: cms.write_scores(con, name, summary["T"], overwrite=True), "DataFrame"),
        (
            lambda: cms.write_scores(
                con, name, pd.concat([summary.iloc[:2], summary.iloc[:1]]), overwrite=True
            ),
            "index must be unique",
        ),
        (lambda: cms.write_scores(con, name, summary.iloc[:0], overwrite=True), "empty"),
        (lambda: cms.write_scores("not a connection", name, summary), "Ibis backend"),
        (
            lambda: cms.write_scores(con, name, summary, model=BetaGeoModel(), overwrite=True),
            "fit",
        ),
        (
            lambda: cms.write_scores(
                con, name, summary.iloc[:3].assign(customer_id=1), overwrite=True
            ),
            "column named 'customer_id'",
        ),
        (lambda: cms.write_scores(con, name, summary, chunk_rows=0, overwrite=True), "chunk_rows"),
    ]
    for call, needle in cases:
        with pytest.raises(CustomerModelsError) as info:
            call()
        assert needle in str(info.value), needle
    # nothing was written by a refused call: the table still holds its 3 rows
    assert int(con.table(name).count().to_pyarrow().as_py()) == 3


def test_probability_alive_expression_refuses_what_it_cannot_score(summary):
    table = ibis.memtable(pa.Table.from_pandas(summary.reset_index()))
    bg = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
    pareto = ParetoNBDModel.from_params(r=0.55, alpha=10.6, s=0.61, beta=11.7, time_unit="W")
    cases = [
        (lambda: cms.probability_alive_expression(pareto, table, time_unit="W"), "closed form"),
        (lambda: cms.probability_alive_expression(bg, table, time_unit="D"), "'D'"),
        (
            lambda: cms.probability_alive_expression(bg, table, time_unit="W", T_col="age"),
            "no column 'age'",
        ),
        (lambda: cms.probability_alive_expression(BetaGeoModel(), table, time_unit="W"), "fit"),
    ]
    for call, needle in cases:
        with pytest.raises(CustomerModelsError) as info:
            call()
        assert needle in str(info.value), needle


def test_a_refused_scores_frame_is_a_data_error():
    con = ibis.duckdb.connect()
    frame = pd.DataFrame({"p": [0.1, 0.2]}, index=["a", "a"])
    with pytest.raises(DataValidationError, match="first offending ids"):
        cms.write_scores(con, "x", frame)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"n_bins": 3, "combined": "sum"},
        {"n_bins": 9},
        {"T_col": None, "monetary_col": None},
    ],
)
def test_sql_rfm_scores_equal_transform(con, options):
    """CDNOW's summary plus refunds netted (negative monetary) and heavy ties."""
    tx = cm.load_cdnow_transactions()
    summary = cm.rfm_summary(tx, value_col="amount", time_unit="W")[
        ["frequency", "recency", "T", "monetary_value"]
    ]
    summary.loc[summary.index[:40], "monetary_value"] = -5.0  # net refunds rank lowest
    scorer = cm.RFMScorer(**options).fit(summary)
    table = cms.write_scores(con, _name("rfm"), summary, overwrite=True)
    exprs = cms.rfm_score_expressions(scorer, table)
    assert list(exprs) == list(scorer.get_feature_names_out())
    got = table.select("customer_id", **exprs).to_pyarrow().to_pandas().set_index("customer_id")
    expected = scorer.transform(summary)
    np.testing.assert_array_equal(got.loc[summary.index].to_numpy(), expected)
    # customers never seen in fit: beyond both ends of every feature get the end scores
    new = pd.DataFrame(
        {
            "frequency": [0, 10**6],
            "recency": [0.0, 1e4],
            "T": [1e4, 1e4],
            "monetary_value": [-1e9, 1e9],
        },
        index=pd.Index([10**9, 10**9 + 1], name="customer_id"),
    )
    new_table = cms.write_scores(con, _name("rfm_new"), new, overwrite=True)
    got_new = new_table.select("customer_id", **cms.rfm_score_expressions(scorer, new_table))
    got_new = got_new.to_pyarrow().to_pandas().set_index("customer_id").loc[new.index]
    np.testing.assert_array_equal(got_new.to_numpy(), scorer.transform(new))


def test_sql_rfm_scores_are_null_where_an_input_is_null():
    con = ibis.duckdb.connect()
    summary = cm.load_cdnow_summary()
    scorer = cm.RFMScorer().fit(summary)
    frame = summary.head(3).astype({"frequency": "float64"})
    frame.iloc[1, frame.columns.get_loc("frequency")] = np.nan
    table = con.create_table("s", pa.Table.from_pandas(frame.reset_index()))
    out = table.select(**cms.rfm_score_expressions(scorer, table)).to_pyarrow().to_pandas()
    assert out["f_score"].isna().tolist() == [False, True, False]
    assert out["rfm_score"].isna().tolist() == [False, True, False]
    assert out["r_score"].notna().all()


def test_rfm_score_expressions_refuses_what_it_cannot_read():
    summary = cm.load_cdnow_summary()
    table = ibis.memtable(pa.Table.from_pandas(summary.reset_index()))
    by_position = cm.RFMScorer(frequency_col=0, recency_col=1, T_col=2, monetary_col=3)
    by_position.fit(summary.to_numpy())
    cases = [
        (lambda: cms.rfm_score_expressions(cm.RFMScorer(), table), "fit"),
        (lambda: cms.rfm_score_expressions(by_position, table), "by column name"),
        (lambda: cms.rfm_score_expressions(BetaGeoModel(), table), "RFMScorer"),
        (
            lambda: cms.rfm_score_expressions(
                cm.RFMScorer().fit(summary), table.drop("monetary_value")
            ),
            "no column 'monetary_value'",
        ),
    ]
    for call, needle in cases:
        with pytest.raises(CustomerModelsError) as info:
            call()
        assert needle in str(info.value), needle


def _stage_summary() -> pd.DataFrame:
    """CDNOW weekly, plus prospects, rows on the thresholds and promoter scores."""
    summary = cm.rfm_summary(
        cm.load_cdnow_transactions(), time_unit="W", observation_end="1998-03-31"
    )[["frequency", "recency", "T"]].astype("float64")
    rng = np.random.default_rng(4)
    summary["nps"] = np.where(
        rng.random(len(summary)) < 0.2, np.nan, rng.integers(0, 11, len(summary))
    )
    classifier = cm.LifecycleStageClassifier(method="absolute").fit(cm.with_time_unit(summary, "W"))
    edge = pd.DataFrame(
        {
            "frequency": [np.nan, np.nan, 3.0, 3.0, 0.0, 5.0],
            "recency": [np.nan, np.nan, 1.0, 1.0, 0.0, 2.0],
            "T": [
                np.nan,
                np.nan,
                1.0 + classifier.at_risk_threshold_,
                1.0 + classifier.lapsed_threshold_,
                classifier.new_threshold_,
                60.0,
            ],
            "nps": [np.nan, 9.0, 10.0, 9.0, np.nan, 8.0],
        },
        index=pd.Index([-1, -2, -3, -4, -5, -6], name=summary.index.name),
    )
    return cm.with_time_unit(pd.concat([summary, edge]), "W")


@pytest.mark.parametrize(
    "options",
    [
        {"method": "absolute"},
        {"method": "absolute", "nps_col": "nps", "loyal_min_purchases": 3},
        {"method": "probabilistic", "model": "bg"},
        {"method": "probabilistic", "model": "mbg", "p_at_risk": 0.6, "p_lapsed": 0.3},
    ],
)
def test_sql_stages_equal_assign(con, options):
    summary = _stage_summary()
    buyers = summary.dropna(subset=["frequency"])
    models = {"bg": BetaGeoModel, "mbg": ModifiedBetaGeoModel}
    if "model" in options:
        options = {
            **options,
            "model": models[options["model"]]().fit(buyers[["frequency", "recency", "T"]]),
        }
    classifier = cm.LifecycleStageClassifier(**options).fit(buyers)
    table = cms.write_scores(con, _name("stages"), summary, overwrite=True)
    stage = cms.stage_expression(classifier, table, time_unit="W")
    got = table.select("customer_id", stage=stage).to_pyarrow().to_pandas()
    got = got.set_index("customer_id")["stage"].loc[summary.index]
    expected = classifier.assign(summary).astype(str)
    assert (got.to_numpy() == expected.to_numpy()).all(), (got != expected.to_numpy()).sum()
    assert set(expected) >= {"prospect", "new", "lapsed"}


def test_stage_expression_refuses_what_it_cannot_write():
    summary = _stage_summary()
    buyers = summary.dropna(subset=["frequency"])
    table = ibis.memtable(pa.Table.from_pandas(summary.reset_index()))
    adaptive = cm.LifecycleStageClassifier(method="adaptive").fit(buyers)
    absolute = cm.LifecycleStageClassifier(method="absolute").fit(buyers)
    pareto = ParetoNBDModel.from_params(r=0.55, alpha=10.6, s=0.61, beta=11.7, time_unit="W")
    probabilistic = cm.LifecycleStageClassifier(method="probabilistic", model=pareto).fit(buyers)
    cases = [
        (lambda: cms.stage_expression(adaptive, table, time_unit="W"), "Score it in Python"),
        (lambda: cms.stage_expression(absolute, table, time_unit="D"), "'D'"),
        (lambda: cms.stage_expression(cm.LifecycleStageClassifier(), table, time_unit="W"), "fit"),
        (lambda: cms.stage_expression(probabilistic, table, time_unit="W"), "closed form"),
        (lambda: cms.stage_expression(absolute, table.drop("T"), time_unit="W"), "no column 'T'"),
    ]
    for call, needle in cases:
        with pytest.raises(CustomerModelsError) as info:
            call()
        assert needle in str(info.value), needle


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"monetary_col": None},
        {
            "n_bins": 3,
            "segments": {
                "top": {"r": (3, 3), "f": (2, 3), "m": (1, 3)},
                "rest": {"r": (1, 2), "f": (1, 3), "m": (1, 3)},
                "fading": {"r": (3, 3), "f": (1, 1), "m": (1, 3)},
            },
        },
    ],
)
def test_sql_rfm_segments_equal_assign(con, options):
    summary = cm.rfm_summary(cm.load_cdnow_transactions(), value_col="amount", time_unit="W")[
        ["frequency", "recency", "T", "monetary_value"]
    ]
    segmenter = cm.RFMSegmenter(**options).fit(summary)
    table = cms.write_scores(con, _name("segments"), summary, overwrite=True)
    got = table.select("customer_id", s=cms.rfm_segment_expression(segmenter, table))
    got = got.to_pyarrow().to_pandas().set_index("customer_id")["s"].loc[summary.index]
    expected = segmenter.assign(summary).astype(str)
    assert (got.to_numpy() == expected.to_numpy()).all()
    assert got.nunique() >= 2  # several segments, not one by accident
