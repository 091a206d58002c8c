"""Read the churn labels given to :class:`ChurnClassifier`: one binary label per customer."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_array, column_or_1d

from customer_models._validation import check_rule, sklearn_input
from customer_models.exceptions import DataValidationError, ParameterError

__all__ = ["binary_labels"]


def binary_labels(y: Any, owner: str) -> np.ndarray:
    """Return ``y`` as a 1-D array of exactly two distinct, non-missing labels, or raise.

    ``owner`` names the estimator in the message for a missing ``y`` (scikit-learn's
    checks read that message).

    Examples
    --------
    >>> binary_labels(["No", "Yes", "No"], "ChurnClassifier").tolist()
    ['No', 'Yes', 'No']
    >>> binary_labels([1, 1], "ChurnClassifier")
    Traceback (most recent call last):
    ...
    customer_models.exceptions.DataValidationError: y has only one class (np.int64(1)); a churn
    classifier needs both churned and retained customers. ...
    """
    if y is None:
        raise ParameterError(f"{owner} requires y to be passed, but the target y is None.")
    if np.ndim(y) == 0 or isinstance(y, dict):
        raise ParameterError(
            f"y must be an array-like of labels with one label per row of X, got "
            f"{type(y).__name__}."
        )
    y = sklearn_input(
        column_or_1d,
        sklearn_input(check_array, y, ensure_2d=False, dtype=None, input_name="y", what="y"),
        warn=True,
        what="y",
    )
    check_rule(
        pd.isna(y),
        np.arange(len(y)),
        rule="y must not be missing",
        column="y",
        what="labels (row positions shown)",
    )
    sklearn_input(check_classification_targets, y, what="y")
    y_type = type_of_target(y, input_name="y", raise_unknown=True)
    classes = np.unique(y)
    if y_type != "binary" or classes.size < 2:
        if classes.size == 1:
            raise DataValidationError(
                f"y has only one class ({classes[0]!r}); a churn classifier needs both "
                "churned and retained customers. Check the label window (horizon) or the "
                "filter that built y.",
                column="y",
                rule="y has two classes",
                n_rows=len(y),
            )
        raise DataValidationError(
            "Only binary classification is supported. The type of the target is "
            f"{y_type} ({classes.size} classes: {classes[:10].tolist()}); churn labels "
            "must be 0/1, booleans or two strings.",
            column="y",
            rule="y is binary",
            n_rows=len(y),
        )
    return np.asarray(y)
