"""Explain segments with readable rules (decision tree) or a linear discriminant."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from customer_models._polars import as_customer_frame
from customer_models._validation import (
    as_pandas,
    check_choice,
    check_not_empty,
    check_number,
    check_random_state,
    check_str,
    require_columns,
)
from customer_models.exceptions import ParameterError
from customer_models.segmentation._base import Table
from customer_models.segmentation._profile import align_segments, feature_columns

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["SegmentExplanation", "explain_segments"]


@dataclass(frozen=True)
class SegmentExplanation:
    """A fitted explanation of segments (returned by :func:`explain_segments`).

    Attributes
    ----------
    method : {"tree", "lda"}
        The explaining model.
    model : DecisionTreeClassifier or LinearDiscriminantAnalysis
        The fitted scikit-learn model.
    features : list of str
        Feature columns.
    accuracy : float
        Share of customers whose segment the model reproduces.
    rules : str
        Readable if/else rules (``sklearn.tree.export_text``); empty for ``"lda"``.
    importance : Series
        Tree feature importances, or for LDA the between-segment spread of each feature's
        standardized discriminant coefficients (larger separates segments more).
    """

    method: str
    model: Any
    features: list[str]
    accuracy: float
    rules: str
    importance: pd.Series

    def predict(self, X: Any) -> np.ndarray:
        """Segment of each customer of ``X`` (e.g. new ones), as an array.

        Parameters
        ----------
        X : DataFrame
            Customers with the ``features`` columns.

        Returns
        -------
        numpy.ndarray
            Segment names, in ``X``'s row order (:meth:`assign` gives them on the index).
        """
        df = as_customer_frame(X, "X")
        require_columns(df, self.features)
        return np.asarray(self.model.predict(_matrix(df, self.features)))

    def assign(self, X: Any) -> pd.Series:
        """Assign customers (e.g. new ones) to the existing segments.

        Parameters
        ----------
        X : DataFrame
            As in :meth:`predict`.

        Returns
        -------
        Series
            Segment names on ``X``'s index, named ``"segment"``.
        """
        df = as_pandas(X)
        return pd.Series(self.predict(df), index=df.index, name="segment")


def _matrix(df: pd.DataFrame, features: list[str]) -> np.ndarray:
    table = Table(df, "data")
    return np.column_stack([table.numeric(f) for f in features])


def explain_segments(
    X: Any,
    segments: ArrayLike,
    *,
    method: Literal["tree", "lda"] = "tree",
    max_depth: int = 3,
    features: Sequence[str] | None = None,
    random_state: int | np.integer | np.random.RandomState | None = 0,
) -> SegmentExplanation:
    """Explain segments by the customer features that separate them.

    Parameters
    ----------
    X : DataFrame
        Customer features, indexed by customer id.
    segments : Series or array-like
        Segment per customer (a Series is aligned on ``X``'s index).
    method : {"tree", "lda"}, default="tree"
        ``"tree"``: a shallow :class:`~sklearn.tree.DecisionTreeClassifier` whose rules are
        readable. ``"lda"``: :class:`~sklearn.discriminant_analysis.LinearDiscriminantAnalysis`,
        a linear rule that assigns new customers to existing segments.
    max_depth : int, default=3
        Depth of the tree, 1 to 1,000 (``"tree"`` only).
    features : sequence of str, optional
        Feature columns; default every numeric column of ``X``.
    random_state : int, RandomState or None, default 0
        Seed of the tree's tie-breaking.

    Returns
    -------
    SegmentExplanation

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"spend": [5.0, 8, 9, 50, 60, 70], "visits": [1.0, 2, 1, 2, 1, 2]})
    >>> seg = pd.Series(["low"] * 3 + ["high"] * 3)
    >>> ex = explain_segments(X, seg, max_depth=1)
    >>> ex.accuracy
    1.0
    >>> print(ex.rules)
    |--- spend <= 29.50
    |   |--- class: low
    |--- spend >  29.50
    |   |--- class: high
    <BLANKLINE>
    """
    # imported here: ``import customer_models`` stays light
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.tree import DecisionTreeClassifier, export_text

    df = as_pandas(X)
    check_not_empty(df)
    check_choice(method, "method", ["tree", "lda"])
    check_random_state(random_state, generator=False)
    features = [check_str(f, "features") for f in feature_columns(df, features)]
    if not features:
        raise ParameterError("explain_segments needs at least one numeric feature column.")
    require_columns(df, features)
    values = _matrix(df, features)
    y = align_segments(df, segments).astype(str).to_numpy()
    if np.unique(y).size < 2:
        raise ParameterError("explain_segments needs at least two segments to tell apart.")
    if method == "tree":
        max_depth = check_number(max_depth, "max_depth", low=1, high=1_000, integer=True)
        model: Any = DecisionTreeClassifier(max_depth=max_depth, random_state=random_state)
        model.fit(values, y)
        rules = export_text(model, feature_names=features)
        importance = pd.Series(model.feature_importances_, index=features, name="importance")
    else:
        model = LinearDiscriminantAnalysis().fit(values, y)
        rules = ""
        scaled = model.coef_ * values.std(axis=0)
        spread = scaled.std(axis=0) if scaled.shape[0] > 1 else np.abs(scaled[0])
        importance = pd.Series(spread, index=features, name="importance")
    accuracy = float(np.mean(model.predict(values) == y))
    return SegmentExplanation(method, model, features, accuracy, rules, importance)
