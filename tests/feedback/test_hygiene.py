"""Survey hygiene: bad answers fail loudly, dropped answers are counted."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from customer_models.exceptions import DataValidationError, MissingColumnError, ParameterError
from customer_models.feedback import ces, csat, feedback_summary, key_drivers, nps, nps_test


def test_out_of_scale_names_rule_count_and_labels():
    scores = pd.Series([10, 11, 3, -1, 7], index=["a", "b", "c", "d", "e"], name="ltr")
    with pytest.raises(DataValidationError, match=r"2 of 5 rows .*0\.\.10.*\['b', 'd'\]") as err:
        nps(scores)
    assert err.value.column == "ltr"
    assert err.value.n_rows == 2
    assert err.value.examples == ["b", "d"]


def test_non_integer_on_integer_scale():
    with pytest.raises(DataValidationError, match="whole number") as err:
        nps([9.5, 10, 3.2])
    assert err.value.n_rows == 2
    assert err.value.examples == [0, 2]
    with pytest.raises(DataValidationError, match="whole number"):
        csat([4.5, 3])


def test_missing_raises_and_suggests_dropna():
    with pytest.raises(DataValidationError, match="dropna=True") as err:
        nps([10, np.nan, 3, None])
    assert err.value.n_rows == 2
    assert err.value.examples == [1, 3]


def test_dropna_reports_how_many():
    result = nps(pd.Series([10, np.nan, 3, 9, np.nan]), dropna=True)
    assert result.n == 3
    assert result.n_dropped == 2
    assert "n_dropped=2" in repr(result)
    assert csat([5, None, 4], dropna=True).n_dropped == 1
    assert ces([5, None, 4], dropna=True).n_dropped == 1
    weighted = nps([10, np.nan, 0], sample_weight=[1.0, 5.0, 1.0], dropna=True)
    assert weighted.n == 2
    assert weighted.score == 0


def test_nullable_integer_answers():
    scores = pd.Series([10, None, 6], dtype="Int64")
    assert nps(scores, dropna=True).n == 2
    with pytest.raises(DataValidationError, match="missing"):
        nps(scores)


def test_infinite_is_off_scale():
    with pytest.raises(DataValidationError, match="scale"):
        nps([np.inf, 9])


def test_non_numeric_and_bool():
    with pytest.raises(DataValidationError, match="numeric") as err:
        nps(pd.Series(["10", "nine", "3"]))
    assert err.value.examples == [1]
    with pytest.raises(DataValidationError, match="numeric"):
        nps([True, False])


def test_empty_and_all_dropped():
    with pytest.raises(DataValidationError, match="at least 1"):
        nps([])
    with pytest.raises(DataValidationError, match="after dropping 2 missing"):
        nps([np.nan, np.nan], dropna=True)
    with pytest.raises(DataValidationError, match="at least 2"):
        ces([5])


@pytest.mark.parametrize(
    ("weights", "error", "match"),
    [
        ([1.0, -1.0, 1.0], DataValidationError, ">= 0"),
        ([1.0, np.nan, 1.0], DataValidationError, "finite"),
        ([1.0, 1.0], ParameterError, "one weight per answer"),
        ([0.0, 0.0, 0.0], DataValidationError, "sums to 0"),
    ],
)
def test_bad_weights(weights, error, match):
    with pytest.raises(error, match=match):
        nps([10, 9, 0], sample_weight=weights)


def test_weights_on_one_answer_for_ces():
    with pytest.raises(DataValidationError, match="effective"):
        ces([1, 5, 7], sample_weight=[0, 1, 0])


@pytest.mark.parametrize("confidence", [0, 1, 95, -0.1, "0.95", True])
def test_bad_confidence(confidence):
    with pytest.raises(ParameterError, match="confidence"):
        nps([10], confidence=confidence)


def test_bad_parameters():
    with pytest.raises(ParameterError, match="method"):
        nps([10], method="exact")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="n_draws"):
        nps([10], method="bootstrap", n_draws=10)
    with pytest.raises(ParameterError, match="one column"):
        nps(pd.DataFrame({"a": [1], "b": [2]}))
    with pytest.raises(ParameterError, match="1-d"):
        nps(np.ones((2, 2)))
    with pytest.raises(ParameterError, match="1-d array-like"):
        nps(7)
    with pytest.raises(ParameterError, match="scale"):
        csat([1], scale=(5, 1))
    with pytest.raises(ParameterError, match="method"):
        nps_test([1], [2], method="bootstrap")  # type: ignore[arg-type]


def test_nps_test_names_the_sample():
    with pytest.raises(DataValidationError, match="sample b"):
        nps_test([10, 9], [10, 12])


def test_summary_errors():
    df = pd.DataFrame({"date": ["2024-01-01", "2024-02-01"], "ltr": [9, 3], "seg": ["a", "b"]})
    with pytest.raises(MissingColumnError, match="Did you mean 'ltr'"):
        feedback_summary(df, score_col="ltrr")
    with pytest.raises(MissingColumnError, match="segment"):
        feedback_summary(df, score_col="ltr", by="segment")
    with pytest.raises(DataValidationError, match=r"pd\.to_datetime"):
        feedback_summary(df, score_col="ltr", by=pd.Grouper(key="date", freq="MS"))
    dated = df.assign(date=pd.to_datetime([None, "2024-02-01"]))
    with pytest.raises(DataValidationError, match="date must not be missing"):
        feedback_summary(dated, score_col="ltr", by=pd.Grouper(key="date", freq="MS"))
    with pytest.raises(ParameterError, match="method"):
        feedback_summary(df, score_col="ltr", method="bootstrap")
    with pytest.raises(ParameterError, match="metric"):
        feedback_summary(df, score_col="ltr", metric="ces2")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="0-10"):
        feedback_summary(df, score_col="ltr", scale=(1, 5))
    with pytest.raises(ParameterError, match="key="):
        feedback_summary(df, score_col="ltr", by=pd.Grouper(freq="MS"))
    with pytest.raises(DataValidationError, match="empty"):
        feedback_summary(df.iloc[:0], score_col="ltr", by="seg")
    with pytest.raises(DataValidationError, match=r"scale 0\.\.10"):
        feedback_summary(df.assign(ltr=[9, 30]), score_col="ltr", by="seg")


def test_key_driver_errors():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(30, 3)), columns=["a", "b", "y"])
    with pytest.raises(ParameterError, match="must not also be a driver"):
        key_drivers(df, target="y", drivers=["a", "y"])
    with pytest.raises(ParameterError, match="repeat"):
        key_drivers(df, target="y", drivers=["a", "a"])
    with pytest.raises(ParameterError, match="at least one"):
        key_drivers(df, target="y", drivers=[])
    with pytest.raises(MissingColumnError, match="Did you mean 'b'"):
        key_drivers(df, target="y", drivers=["a", "bb"])
    with pytest.raises(DataValidationError, match="constant"):
        key_drivers(df.assign(b=1.0), target="y", drivers=["a", "b"])
    with pytest.raises(DataValidationError, match="collinear"):
        key_drivers(df.assign(b=2 * df["a"] + 1), target="y", drivers=["a", "b"])
    with pytest.raises(DataValidationError, match="numeric"):
        key_drivers(df.assign(b="x"), target="y", drivers=["a", "b"])
    with pytest.raises(DataValidationError, match="complete rows"):
        key_drivers(df.head(3), target="y", drivers=["a", "b"])
    with pytest.raises(ParameterError, match="n_draws"):
        key_drivers(df, target="y", drivers=["a"], n_draws=-1)
    holes = df.copy()
    holes.loc[[2, 5], "a"] = np.nan
    with pytest.raises(DataValidationError, match="dropna=True") as err:
        key_drivers(holes, target="y", drivers=["a", "b"])
    assert err.value.examples == [2, 5]
    table = key_drivers(holes, target="y", drivers=["a", "b"], dropna=True, n_draws=0)
    assert table.attrs["n_dropped"] == 2
    assert table.attrs["n"] == 28
    assert "correlation_lower" not in table.columns
