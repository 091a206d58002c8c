"""polars in, polars out: every wrapped public function gives polars back for polars input.

Each case calls the function twice on the same data, once with pandas tables and once with
the same tables as polars (a summary's index becomes its ``customer_id`` column, as
:func:`~customer_models._polars.to_polars` writes it), and asserts that the polars result equals
the pandas result converted: same columns in the same order, the index column first, the
same values. pandas in must still give pandas out.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest
from polars.testing import assert_frame_equal, assert_series_equal

import customer_models as cm
from customer_models._polars import POLARS_OUT_MARKER, is_polars, polars_out, to_polars


@pytest.fixture(scope="module")
def log() -> pd.DataFrame:
    tx = cm.load_cdnow_transactions(sample=True)
    return tx[tx["customer_id"] <= 400].reset_index(drop=True)


@pytest.fixture(scope="module")
def fitted(log: pd.DataFrame) -> dict[str, Any]:
    summary = cm.rfm_summary(log, value_col="amount", time_unit="W")
    bg = cm.BetaGeoModel().fit(summary)
    gg = cm.GammaGammaModel().fit(summary[summary["frequency"] > 0])
    return {"summary": summary, "bg": bg, "gg": gg}


def _responses() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {
            "score": rng.integers(0, 11, 300),
            "region": rng.choice(["north", "south"], 300),
            "price": rng.normal(5, 1, 300),
        }
    )


# name -> call(tables) where ``tables`` converts every table argument the same way.
CASES: dict[str, Callable[[Callable[[Any], Any], pd.DataFrame, dict[str, Any]], Any]] = {
    "rfm_summary": lambda c, log, f: cm.rfm_summary(c(log), value_col="amount"),
    "calibration_holdout_split": lambda c, log, f: cm.calibration_holdout_split(
        c(log), calibration_end="1997-09-30", value_col="amount"
    ),
    "behavior_features": lambda c, log, f: cm.behavior_features(c(log)),
    "churn_dataset": lambda c, log, f: cm.churn_dataset(c(log), as_of="1997-12-31", horizon="90D"),
    "churn_features": lambda c, log, f: cm.churn_features(c(log), trend_window=90),
    "cohort_retention": lambda c, log, f: cm.cohort_retention(c(log)),
    "log_interpurchase_sum": lambda c, log, f: cm.log_interpurchase_sum(c(log)),
    "stages_at": lambda c, log, f: cm.stages_at(c(log), ["1997-06-30", "1998-06-30"]),
    "stage_transitions": lambda c, log, f: cm.stage_transitions(
        c(log), ["1997-06-30", "1998-06-30"]
    ),
    "transaction_tracking": lambda c, log, f: cm.transaction_tracking(
        f["bg"], c(f["summary"]), c(log)
    ),
    "customer_lifetime_value": lambda c, log, f: cm.customer_lifetime_value(
        f["bg"], f["gg"], c(f["summary"]), horizon=52
    ),
    "confidence_interval": lambda c, log, f: cm.confidence_interval(
        f["bg"], c(f["summary"]), t=10, random_state=0
    ),
    "prediction_interval": lambda c, log, f: cm.prediction_interval(f["bg"], c(f["summary"]), t=10),
    "probability_alive_at": lambda c, log, f: cm.probability_alive_at(
        f["bg"], c(f["summary"]), t=10
    ),
    "purchase_pmf": lambda c, log, f: cm.purchase_pmf(f["bg"], c(f["summary"]), t=10),
    "purchase_distribution": lambda c, log, f: cm.purchase_distribution(
        f["bg"], c(f["summary"]), t=10
    ),
    "next_purchase_cdf": lambda c, log, f: cm.next_purchase_cdf(f["bg"], c(f["summary"]), t=10),
    "next_purchase_quantile": lambda c, log, f: cm.next_purchase_quantile(f["bg"], c(f["summary"])),
    "value_distribution": lambda c, log, f: cm.value_distribution(
        f["bg"], f["gg"], c(f["summary"]), t=26
    ),
    "frequency_fit": lambda c, log, f: cm.frequency_fit(f["bg"], c(f["summary"])),
    "one_hot_covariates": lambda c, log, f: cm.one_hot_covariates(c(_responses()), ["region"]),
    "feedback_summary": lambda c, log, f: cm.feedback_summary(
        c(_responses()), score_col="score", by="region"
    ),
    "key_drivers": lambda c, log, f: cm.key_drivers(
        c(_responses()), target="score", drivers=["price"], random_state=0
    ),
    "segment_profile": lambda c, log, f: cm.segment_profile(
        c(f["summary"]), f["summary"]["frequency"].gt(1).map({True: "repeat", False: "new"})
    ),
    "split_customers": lambda c, log, f: cm.split_customers(c(f["summary"]), random_state=0),
    "health_components": lambda c, log, f: cm.health_components(c(f["summary"]), f["bg"], t=10),
    "kaplan_meier": lambda c, log, f: cm.kaplan_meier(
        c(pd.Series([3.0, 5.0, 5.0, 8.0, 2.0], name="weeks")),
        c(pd.Series([True, False, True, True, False], name="churned")),
    ),
}


def _same(polars_result: Any, pandas_result: Any) -> None:
    expected = to_polars(pandas_result)
    if isinstance(expected, pl.DataFrame):
        assert isinstance(polars_result, pl.DataFrame)
        assert polars_result.columns == expected.columns
        assert polars_result.dtypes == expected.dtypes
        # polars.testing cannot compare categoricals here: compare their labels.
        as_labels = pl.col(pl.Categorical).cast(pl.String)
        assert_frame_equal(
            polars_result.with_columns(as_labels),
            expected.with_columns(as_labels),
            check_exact=False,
            rel_tol=1e-12,
        )
    elif isinstance(expected, pl.Series):
        assert isinstance(polars_result, pl.Series)
        assert_series_equal(polars_result, expected, check_exact=False, rel_tol=1e-12)
    elif isinstance(expected, tuple):
        assert isinstance(polars_result, tuple)
        assert len(polars_result) == len(expected)
        for got, want in zip(polars_result, pandas_result, strict=True):
            _same(got, want)
    else:
        raise AssertionError(f"unexpected result type {type(pandas_result).__name__}")


def _as_polars(table: Any) -> Any:
    """The same table as polars; a summary with a unit goes through ``with_time_unit``."""
    if isinstance(table, pd.DataFrame) and "time_unit" in table.attrs:
        return cm.with_time_unit(to_polars(table), table.attrs["time_unit"])
    return to_polars(table) if isinstance(table, pd.DataFrame | pd.Series) else table


def _wrapped_public_functions() -> set[str]:
    return {
        name
        for name in cm.__all__
        if inspect.isfunction(getattr(cm, name))
        and getattr(getattr(cm, name), POLARS_OUT_MARKER, False)
    }


def test_every_wrapped_public_function_has_a_case() -> None:
    assert _wrapped_public_functions() == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_polars_in_gives_the_pandas_result_as_polars(
    name: str, log: pd.DataFrame, fitted: dict[str, Any]
) -> None:
    pandas_result = CASES[name](lambda t: t, log, fitted)
    assert not is_polars(pandas_result)
    assert isinstance(pandas_result, pd.DataFrame | pd.Series | tuple)
    polars_result = CASES[name](_as_polars, log, fitted)
    _same(polars_result, pandas_result)


def test_a_summary_keeps_its_index_as_the_first_column(log: pd.DataFrame) -> None:
    summary = cm.rfm_summary(pl.from_pandas(log), value_col="amount")
    assert summary.columns[0] == "customer_id"
    assert summary["customer_id"].to_list() == sorted(log["customer_id"].unique().tolist())


def test_scores_of_a_polars_summary_are_keyed_by_customer(fitted: dict[str, Any]) -> None:
    summary = fitted["summary"]
    shuffled = cm.with_time_unit(to_polars(summary).sample(fraction=1.0, shuffle=True, seed=1), "W")
    p = fitted["bg"].probability_alive(shuffled)
    expected = fitted["bg"].probability_alive(summary)
    assert isinstance(p, pd.Series)  # estimator methods stay pandas
    pd.testing.assert_series_equal(p.sort_index(), expected.sort_index(), check_names=False)


def test_a_polars_summary_must_say_its_unit(fitted: dict[str, Any]) -> None:
    bare = to_polars(fitted["summary"])
    with pytest.raises(cm.CustomerModelsError, match="time unit"):
        cm.probability_alive_at(fitted["bg"], bare, t=10)
    stated = cm.with_time_unit(bare, "W")
    assert isinstance(stated, pd.DataFrame)
    assert stated.index.name == "customer_id"
    assert stated.attrs["time_unit"] == "W"
    assert isinstance(cm.probability_alive_at(fitted["bg"], stated, t=10), pl.DataFrame)


def test_a_lazy_frame_counts_as_polars(log: pd.DataFrame) -> None:
    lazy = pl.from_pandas(log).lazy()
    got = cm.rfm_summary(lazy, value_col="amount")
    _same(got, cm.rfm_summary(log, value_col="amount"))


def test_to_polars_conversions() -> None:
    frame = pd.DataFrame({"a": [1.0, np.nan]}, index=pd.Index(["x", "y"], name="customer_id"))
    out = to_polars(frame)
    assert out.columns == ["customer_id", "a"]
    assert out["a"].to_list() == [1.0, None]  # a missing value is polars' null
    unnamed = to_polars(pd.Series([1, 2], index=[5, 6]))
    assert unnamed.columns == ["index", "value"]
    plain = to_polars(pd.Series([1, 2], name="n"))
    assert isinstance(plain, pl.Series)
    assert plain.name == "n"
    clash = to_polars(pd.DataFrame({"k": [1]}, index=pd.Index([0], name="k")))
    assert clash.columns == ["k_index", "k"]
    cats = to_polars(pd.DataFrame({"s": pd.Categorical(["b", "a"])}))
    assert cats["s"].dtype == pl.Categorical
    assert cats["s"].to_list() == ["b", "a"]
    assert to_polars({"n": 3, "t": (pd.Series([1], name="v"),)})["n"] == 3


def test_other_objects_and_pandas_input_pass_through() -> None:
    @polars_out
    def echo(value: Any, frame: Any = None) -> Any:
        return value

    df = pd.DataFrame({"a": [1]})
    assert echo(df) is df
    assert echo(0.5, frame=pl.DataFrame({"a": [1]})) == 0.5
    assert echo.__name__ == "echo"
    assert echo.__wrapped__.__name__ == "echo"


def test_only_the_outermost_call_converts() -> None:
    @polars_out
    def inner(frame: Any) -> pd.DataFrame:
        return pd.DataFrame({"n": [len(frame)]})

    @polars_out
    def outer(frame: Any) -> pd.DataFrame:
        inside = inner(frame)
        assert isinstance(inside, pd.DataFrame)
        return inside

    assert isinstance(outer(pl.DataFrame({"a": [1, 2]})), pl.DataFrame)


PAGE = Path(__file__).resolve().parents[1] / "docs" / "polars.md"


def test_the_docs_example_runs_and_prints_what_the_page_says(capsys) -> None:
    page = PAGE.read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", page, re.S).group(1)
    exec(compile(code, str(PAGE), "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert printed == [
        "['customer_id', 'frequency', 'recency', 'T']",
        "DataFrame ['customer_id', 'probability_alive']",
    ]
    assert "# DataFrame ['customer_id', 'probability_alive']" in code


def test_the_docs_page_lists_every_wrapped_function() -> None:
    listed = set(re.findall(r"`(\w+)`", PAGE.read_text(encoding="utf-8").split("## The rules")[1]))
    assert set(CASES) <= listed


def test_result_objects_read_a_polars_frame_by_customer(fitted: dict[str, Any]) -> None:
    summary = fitted["summary"]
    before = summary.assign(alive=fitted["bg"].probability_alive(summary))
    after = before.assign(alive=before["alive"] * np.linspace(1.0, 0.2, len(before)))
    rules = [cm.AliveDrop(0.3, column="alive")]
    expected = cm.snapshot_alerts(before, after, rules, max_share=1.0).alerts
    shuffled = to_polars(after).sample(fraction=1.0, shuffle=True, seed=2)
    got = cm.snapshot_alerts(to_polars(before), shuffled, rules, max_share=1.0).alerts
    assert len(expected) > 0
    pd.testing.assert_frame_equal(
        got.sort_values("customer_id").reset_index(drop=True),
        expected.sort_values("customer_id").reset_index(drop=True),
    )
