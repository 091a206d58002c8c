"""Churn labels that cannot be flipped silently (issue #12, item 7).

With string labels the larger one is not necessarily "churned" ("retained" > "churned",
"stayed" > "left"): the classifier and the evaluators either read the churned label from the
names, take ``pos_label``, or refuse with the labels found.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from customer_models import PAliveChurnScorer, ParameterError
from customer_models.churn import ChurnClassifier, evaluate_churn
from customer_models.churn._evaluate import resolve_pos_label


def _data(n: int = 600, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "tenure": rng.integers(1, 72, n).astype(float),
            "plan": rng.choice(["monthly", "yearly"], n),
        }
    )
    risk = 1.5 - X["tenure"] / 18 + 1.2 * (X["plan"] == "monthly")
    churned = rng.random(n) < 1 / (1 + np.exp(-risk))
    return X, churned


def _fit(y: object, **params: object) -> tuple[ChurnClassifier, pd.DataFrame]:
    X, _ = _data()
    clf = ChurnClassifier(estimator="logistic", cv=3, n_repeats=0, **params).fit(X, y)
    return clf, X


def _correlation(clf: ChurnClassifier, X: pd.DataFrame, truth: np.ndarray) -> float:
    return float(np.corrcoef(clf.churn_probability(X).to_numpy(), truth.astype(float))[0, 1])


@pytest.mark.parametrize(
    ("labels", "name", "params"),
    [
        pytest.param(("churned", "retained"), None, {}, id="retained/churned read from names"),
        pytest.param(("Churned", "Retained"), None, {}, id="any case"),
        pytest.param(("churn", "no churn"), None, {}, id="churn/no churn"),
        pytest.param(("left", "stayed"), None, {"pos_label": "left"}, id="stayed/left pos_label"),
        pytest.param(("Yes", "No"), "churn", {}, id="Telco churn Yes/No"),
        pytest.param(("No", "Yes"), "retained", {"pos_label": "No"}, id="retained Yes/No"),
        pytest.param((1, 0), None, {}, id="0/1"),
        pytest.param((0, 1), None, {"pos_label": 0}, id="0/1 with pos_label=0"),
        pytest.param((True, False), "churned", {}, id="bool"),
        pytest.param((2, 1), None, {"pos_label": 2}, id="1/2 with pos_label"),
    ],
)
def test_churn_probability_follows_the_churn_label(
    labels: tuple[object, object], name: str | None, params: dict[str, object]
) -> None:
    _, churned = _data()
    y = pd.Series(np.where(churned, labels[0], labels[1]), name=name)
    clf, X = _fit(y, **params)
    assert clf.pos_label_ == labels[0]
    assert _correlation(clf, X, churned) > 0.3
    assert clf.classes_.tolist() == sorted(labels)  # scikit-learn's layout is kept
    proba = clf.predict_proba(X)
    column = clf.classes_.tolist().index(labels[0])
    np.testing.assert_allclose(proba[:, column], clf.churn_probability(X).to_numpy())
    predicted = clf.predict(X)
    assert set(predicted.tolist()) <= set(labels)
    assert np.mean((predicted == labels[0]) == churned) > 0.6
    assert clf.evaluate(X, y).roc_auc > 0.7


@pytest.mark.parametrize(
    ("labels", "name"),
    [
        pytest.param(("left", "stayed"), None, id="stayed/left"),
        pytest.param(("lapsed", "active"), None, id="active/lapsed"),
        pytest.param(("Yes", "No"), "retained", id="a retained Yes/No column"),
        pytest.param((2, 1), None, id="1/2"),
        pytest.param(("churned", "churn"), None, id="two churn words"),
    ],
)
def test_ambiguous_labels_need_pos_label(labels: tuple[object, object], name: str | None) -> None:
    _, churned = _data()
    y = pd.Series(np.where(churned, labels[0], labels[1]), name=name)
    shown = str(sorted(labels))
    with pytest.raises(ParameterError, match="pos_label") as info:
        _fit(y)
    assert shown in str(info.value)
    assert "pos_label" in str(info.value)
    p = np.where(churned, 0.8, 0.2)
    with pytest.raises(ParameterError, match="pos_label"):
        evaluate_churn(y, p)


def test_pos_label_not_a_label() -> None:
    _, churned = _data()
    y = np.where(churned, "left", "stayed")
    with pytest.raises(ParameterError, match=r"pos_label='gone' is not one of the labels"):
        _fit(y, pos_label="gone")


@pytest.mark.parametrize(
    ("churn", "other"), [("churned", "retained"), ("left", "stayed")], ids=["names", "pos_label"]
)
def test_evaluate_churn_both_spellings(churn: str, other: str) -> None:
    truth = np.array([1, 1, 0, 0, 1, 0])
    p = np.array([0.9, 0.7, 0.2, 0.1, 0.6, 0.4])
    y = np.where(truth == 1, churn, other)
    params = {} if churn == "churned" else {"pos_label": churn}
    assert evaluate_churn(y, p, **params).roc_auc == 1.0
    assert evaluate_churn(y, p, **params).base_rate == pytest.approx(0.5)


def test_palive_scorer_evaluate_takes_pos_label() -> None:
    class Alive:
        def probability_alive(self, data: pd.DataFrame) -> pd.Series:
            return 1.0 - data["risk"]

    data = pd.DataFrame({"risk": [0.9, 0.8, 0.1, 0.2]})
    scorer = PAliveChurnScorer(Alive())
    assert scorer.evaluate(data, ["retained", "retained", "churned", "churned"]).roc_auc == 0.0
    y = ["left", "left", "stayed", "stayed"]
    assert scorer.evaluate(data, y, pos_label="left").roc_auc == 1.0
    with pytest.raises(ParameterError, match="pos_label"):
        scorer.evaluate(data, y)


def test_resolve_rules() -> None:
    assert resolve_pos_label(np.array([0, 1])) == 1
    assert resolve_pos_label(np.array([-1, 1])) == 1
    assert resolve_pos_label(np.array([0.0, 1.0])) == 1.0
    assert resolve_pos_label(np.array(["0", "1"])) == "1"
    assert resolve_pos_label(np.array([False, True])) is True
    assert resolve_pos_label(["No", "Yes"]) == "Yes"
    assert resolve_pos_label(["n", "y"], name="is_churned") == "y"
    assert resolve_pos_label(["not churned", "churned"]) == "churned"
    assert resolve_pos_label(["left", "stayed"], pos_label="stayed") == "stayed"
