from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from customer_models.churn import ChurnEvaluation, evaluate_churn
from customer_models.exceptions import DataValidationError, ParameterError


@pytest.fixture
def scores() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    p = rng.random(1_003)
    y = (rng.random(1_003) < p).astype(int)
    return y, p


def test_metrics_match_sklearn(scores: tuple[np.ndarray, np.ndarray]) -> None:
    y, p = scores
    result = evaluate_churn(y, p)
    assert isinstance(result, ChurnEvaluation)
    assert result.roc_auc == pytest.approx(roc_auc_score(y, p))
    assert result.pr_auc == pytest.approx(average_precision_score(y, p))
    assert result.brier == pytest.approx(brier_score_loss(y, p))
    assert result.base_rate == pytest.approx(y.mean())
    assert result.n == 1_003
    assert set(result.to_dict()) == {"roc_auc", "pr_auc", "brier", "base_rate", "n"}


def test_lift_table_by_hand(scores: tuple[np.ndarray, np.ndarray]) -> None:
    y, p = scores
    table = evaluate_churn(y, p).lift
    assert table.index.tolist() == list(range(1, 11))
    assert table["n"].sum() == 1_003
    assert set(table["n"]) <= {100, 101}
    # independent computation: sort, split into 10 nearly equal parts
    order = np.argsort(-p, kind="stable")
    parts = np.array_split(y[order], 10)
    rates = np.array([part.mean() for part in parts])
    sizes = np.array([part.size for part in parts])
    np.testing.assert_array_equal(np.sort(table["n"].to_numpy()), np.sort(sizes))
    np.testing.assert_allclose(
        table["churn_rate"].sort_values().to_numpy(), np.sort(rates), atol=0.02
    )
    np.testing.assert_allclose(table["lift"], table["churn_rate"] / y.mean())
    np.testing.assert_allclose(table["capture"], np.cumsum(table["n_churned"]) / y.sum())
    assert table["capture"].iloc[-1] == pytest.approx(1.0)
    assert table["cumulative_lift"].iloc[-1] == pytest.approx(1.0)
    assert table["cumulative_share"].iloc[-1] == pytest.approx(1.0)
    # a useful score puts more churners in the top decile
    assert table["lift"].iloc[0] > 1.5 > table["lift"].iloc[-1]


def test_small_lift_example() -> None:
    y = [1, 1, 0, 0, 1, 0, 0, 0]
    p = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2]
    table = evaluate_churn(y, p, n_bins=4).lift
    assert table["n_churned"].tolist() == [2, 0, 1, 0]
    np.testing.assert_allclose(table["lift"], [1.0 / (3 / 8), 0.0, 0.5 / (3 / 8), 0.0])
    np.testing.assert_allclose(table["capture"], [2 / 3, 2 / 3, 1.0, 1.0])
    np.testing.assert_allclose(table["mean_predicted"], [0.85, 0.65, 0.45, 0.25])


def test_calibration_table_matches_sklearn(scores: tuple[np.ndarray, np.ndarray]) -> None:
    y, p = scores
    table = evaluate_churn(y, p, n_bins=8).calibration
    observed, predicted = calibration_curve(y, p, n_bins=8, strategy="uniform")
    np.testing.assert_allclose(table["observed_rate"], observed)
    np.testing.assert_allclose(table["mean_predicted"], predicted)
    assert table["n"].sum() == y.size


def test_series_are_aligned_on_the_index() -> None:
    ids = pd.Index(list("abcdef"), name="customer_id")
    p = pd.Series([0.9, 0.1, 0.8, 0.2, 0.7, 0.3], index=ids)
    y = pd.Series([1, 0, 1, 0, 0, 1], index=ids)
    shuffled = y.iloc[[5, 3, 1, 0, 2, 4]]
    assert evaluate_churn(shuffled, p).roc_auc == pytest.approx(evaluate_churn(y, p).roc_auc)
    with pytest.raises(DataValidationError, match="same customers"):
        evaluate_churn(y.rename(index={"a": "zz"}), p)


def test_string_labels_and_pos_label() -> None:
    p = [0.9, 0.2, 0.7, 0.1]
    assert evaluate_churn(["Yes", "No", "Yes", "No"], p).roc_auc == 1.0
    assert (
        evaluate_churn(["churned", "stayed", "churned", "stayed"], p, pos_label="churned").roc_auc
        == 1.0
    )
    with pytest.raises(ParameterError, match="pos_label"):
        evaluate_churn([0, 1, 0, 1], p, pos_label="x")


def test_bad_input() -> None:
    with pytest.raises(DataValidationError, match="only one class"):
        evaluate_churn([1, 1, 1], [0.2, 0.3, 0.4])
    with pytest.raises(DataValidationError, match="binary"):
        evaluate_churn([0, 1, 2], [0.2, 0.3, 0.4])
    with pytest.raises(DataValidationError, match=r"in \[0, 1\]"):
        evaluate_churn([0, 1, 1], [0.2, 1.3, 0.4])
    with pytest.raises(DataValidationError, match="finite"):
        evaluate_churn([0, 1, 1], [0.2, np.nan, 0.4])
    with pytest.raises(DataValidationError, match="missing"):
        evaluate_churn(pd.Series([0, None, 1]), [0.2, 0.5, 0.4])
    with pytest.raises(DataValidationError, match="rows"):
        evaluate_churn([0, 1, 1], [0.2, 0.4])
    with pytest.raises(ParameterError, match="n_bins"):
        evaluate_churn([0, 1], [0.2, 0.4], n_bins=0)
