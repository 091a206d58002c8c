"""The parameter-validation layer shared by every public function (customer_models._validation)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import validate_data

from customer_models._validation import (
    as_generator,
    as_pandas,
    check_bool,
    check_choice,
    check_number,
    check_numbers,
    check_random_state,
    check_str,
    check_unique_columns,
    require_columns,
    sklearn_input,
)
from customer_models.exceptions import CustomerModelsError, DataValidationError, ParameterError


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        (3, {}, 3.0),
        (np.float32(0.5), {}, 0.5),
        (np.int64(4), {"integer": True}, 4),
        (4.0, {"integer": True}, 4),
        (0.0, {"low": 0.0}, 0.0),
        (1.0, {"high": 1.0}, 1.0),
        (None, {"allow_none": True}, None),
        (math.inf, {"finite": False}, math.inf),
        (10**30, {"integer": True}, 10**30),
    ],
)
def test_check_number_accepts(value: object, kwargs: dict, expected: object) -> None:
    result = check_number(value, "x", **kwargs)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("value", "kwargs", "match"),
    [
        ("1", {}, r"x must be a number, got '1' \(str\)"),
        (None, {}, r"got None \(NoneType\)"),
        (True, {}, r"got True \(bool\)"),
        (np.bool_(False), {}, "bool"),
        ([1.0], {}, r"\(list\)"),
        (np.array([1.0]), {}, "ndarray"),
        (math.nan, {}, "nan"),
        (math.inf, {}, "inf"),
        (1.5, {"integer": True}, "x must be an integer"),
        (-1, {"low": 0}, r"x must be a number >= 0"),
        (0, {"low": 0, "low_inclusive": False}, r"> 0"),
        (1, {"high": 1, "high_inclusive": False}, r"< 1"),
        (2, {"low": 0, "high": 1}, r">= 0 and <= 1"),
        ("a", {"allow_none": True}, r"\(or None\)"),
    ],
)
def test_check_number_refuses(value: object, kwargs: dict, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        check_number(value, "x", **kwargs)


def test_check_number_shortens_long_values() -> None:
    with pytest.raises(ParameterError) as info:
        check_number("x" * 500, "x")
    assert len(str(info.value)) < 150


def test_check_numbers() -> None:
    np.testing.assert_array_equal(check_numbers([1, 2], "t", low=0), [1.0, 2.0])
    np.testing.assert_array_equal(check_numbers(pd.Series([3.0]), "t"), [3.0])
    assert check_numbers(np.int64(2), "n", integer=True).shape == ()
    for bad in ["3", None, True, [True, False], ["a"], [1, None], [1.0, np.nan], [np.inf]]:
        with pytest.raises(ParameterError, match="t must be a number"):
            check_numbers(bad, "t")
    with pytest.raises(ParameterError, match=r"1 bad values: \[-1\.0\]"):
        check_numbers([1, -1], "t", low=0)
    with pytest.raises(ParameterError, match="whole number"):
        check_numbers([1.5], "n", integer=True)


def test_check_bool_and_str() -> None:
    assert check_bool(np.bool_(True), "flag") is True
    for bad in ["False", 0, 1, None]:
        with pytest.raises(ParameterError, match="flag must be True or False"):
            check_bool(bad, "flag")
    assert check_str("a", "name") == "a"
    assert check_str(None, "name", allow_none=True) is None
    with pytest.raises(ParameterError, match="non-empty"):
        check_str("", "name")
    with pytest.raises(ParameterError, match=r"name must be a string \(or None\)"):
        check_str(3, "name", allow_none=True)


def test_check_choice() -> None:
    assert check_choice("abc", "method", ["abc", "quantile"]) == "abc"
    assert check_choice(None, "x", [None, "a"]) is None
    assert check_choice(True, "x", [True, False, "auto"]) is True
    with pytest.raises(ParameterError, match="Did you mean 'quantile'"):
        check_choice("quantil", "method", ["abc", "quantile"])
    # no True == 1, "1" == 1, array truthiness or unhashable TypeError
    for bad in [1, "True", np.array(["abc"]), ["abc"], {"abc": 1}]:
        with pytest.raises(ParameterError, match="x must be one of"):
            check_choice(bad, "x", [True, "abc", 1.5])


def test_check_random_state_and_generator() -> None:
    for ok in [None, 0, np.int64(5), 2**32 - 1, np.random.default_rng(0)]:
        check_random_state(ok)
    legacy = np.random.RandomState(0)
    assert check_random_state(legacy) is legacy
    for bad in ["42", -1, 2**32, 1.0, True, [1, 2]]:
        with pytest.raises(ParameterError, match="random_state must be None, an integer"):
            check_random_state(bad)
    rng = np.random.default_rng(1)
    assert as_generator(rng) is rng
    assert as_generator(7).integers(1000) == as_generator(7).integers(1000)
    assert isinstance(as_generator(np.random.RandomState(0)), np.random.Generator)
    with pytest.raises(ParameterError, match="seed"):
        as_generator("x", name="seed")


def test_duplicated_column_names() -> None:
    frame = pd.DataFrame([[1, 2, 3, 4]], columns=["a", "b", "a", "b"])
    with pytest.raises(DataValidationError, match="2 columns named 'a', 2 columns named 'b'"):
        check_unique_columns(frame, what="summary")
    with pytest.raises(DataValidationError, match="unique") as info:
        as_pandas(frame)
    assert info.value.examples == ["a", "b"]
    with pytest.raises(DataValidationError, match="unique"):
        require_columns(frame, ["a"])
    check_unique_columns(pd.DataFrame({"a": [1]}))


def test_sklearn_input_keeps_sklearns_message() -> None:
    scaler = StandardScaler().fit(pd.DataFrame({"a": [1.0, 2.0]}))
    other = pd.DataFrame({"b": [1.0]})
    with pytest.raises(DataValidationError, match="The feature names should match") as info:
        sklearn_input(validate_data, scaler, other, reset=False, what="X")
    assert isinstance(info.value, CustomerModelsError)
    assert isinstance(info.value.__cause__, ValueError)
    with pytest.raises(DataValidationError, match="unique"):
        sklearn_input(validate_data, scaler, pd.DataFrame([[1, 2]], columns=["a", "a"]))


def test_one_not_fitted_check_for_every_estimator():
    """Every estimator says it is not fitted the same way, as scikit-learn's error too."""
    import sklearn.exceptions

    import customer_models as cm

    cases = [
        (lambda: cm.BetaGeoModel().expected_purchases(pd.DataFrame(), t=1.0), "fit(data)"),
        (lambda: cm.RFMScorer().transform(pd.DataFrame()), "call fit first"),
        (lambda: cm.LifecycleStageClassifier().predict(pd.DataFrame()), "fit(summary)"),
        (lambda: cm.ChurnClassifier().predict(pd.DataFrame()), "fit(X, y)"),
    ]
    for call, how in cases:
        with pytest.raises(cm.NotFittedError, match=r"^This \w+ is not fitted yet; ") as info:
            call()
        assert how in str(info.value)
        assert isinstance(info.value, sklearn.exceptions.NotFittedError)


def test_convergence_warning_is_also_sklearns():
    import sklearn.exceptions

    from customer_models.exceptions import ConvergenceWarning

    assert issubclass(ConvergenceWarning, sklearn.exceptions.ConvergenceWarning)
    assert issubclass(ConvergenceWarning, UserWarning)


def _sklearn_seeded_calls(seed):
    """Three scikit-learn-backed callers of ``random_state``, each returning numbers it drew."""
    import customer_models as cm

    summary = cm.load_cdnow_summary().head(300)
    labels = (summary["frequency"] > 0).astype(int)
    X = summary[["recency", "T"]]
    return [
        lambda: cm.KMeansSegmenter(n_clusters=2, random_state=seed).fit(summary).assign(summary),
        lambda: cm.explain_segments(summary, labels, random_state=seed).importance,
        lambda: cm.ChurnClassifier(random_state=seed, cv=2).fit(X, labels).predict_proba(X),
    ]


@pytest.mark.parametrize("call", range(3), ids=["KMeansSegmenter", "explain_segments", "Churn"])
def test_sklearn_seeded_estimators_refuse_a_generator_by_name_and_take_a_randomstate(call):
    with pytest.raises(ParameterError, match=r"random_state .* does not take a numpy Generator"):
        _sklearn_seeded_calls(np.random.default_rng(0))[call]()
    first = _sklearn_seeded_calls(np.random.RandomState(3))[call]()
    again = _sklearn_seeded_calls(np.random.RandomState(3))[call]()
    np.testing.assert_array_equal(np.asarray(first), np.asarray(again))  # reproducible
