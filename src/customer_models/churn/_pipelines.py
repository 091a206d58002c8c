"""The candidate pipelines of :class:`ChurnClassifier`: column typing and preprocessing.

Numeric columns are imputed (and scaled for the logistic model); categorical columns are
one-hot encoded (logistic) or ordinal encoded (gradient boosting), with an indicator of
missing values. Both pipelines accept the mixed pandas tables users have.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    OneHotEncoder,
    OrdinalEncoder,
    StandardScaler,
)

__all__ = ["boosting_pipeline", "is_categorical", "logistic_pipeline", "numeric_object"]


def is_categorical(column: pd.Series) -> bool:
    dtype = column.dtype
    return bool(
        pd.api.types.is_bool_dtype(dtype)
        or isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_string_dtype(dtype)
        or pd.api.types.is_object_dtype(dtype)
    )


def numeric_object(column: pd.Series) -> bool:
    """Tell whether an object column holds only numbers (or missing values)."""
    if not pd.api.types.is_object_dtype(column.dtype):
        return False
    kind = pd.api.types.infer_dtype(column, skipna=True)
    return kind in ("integer", "floating", "mixed-integer-float", "decimal", "empty")


def logistic_pipeline(num: list[int], cat: list[int], C: float, max_categories: int) -> Pipeline:
    numeric = Pipeline(
        [
            (
                "impute",
                SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
            ),
            (
                "expand",
                FeatureUnion(
                    [
                        ("scaled", StandardScaler()),
                        (
                            "signed_log",
                            Pipeline(
                                [
                                    (
                                        "asinh",
                                        FunctionTransformer(
                                            np.arcsinh, feature_names_out="one-to-one"
                                        ),
                                    ),
                                    ("scale", StandardScaler()),
                                ]
                            ),
                        ),
                    ]
                ),
            ),
        ]
    )
    encode = OneHotEncoder(
        handle_unknown="infrequent_if_exist", max_categories=max_categories, sparse_output=False
    )
    columns = ColumnTransformer([("num", numeric, num), ("cat", encode, cat)])
    return Pipeline(
        [
            ("prepare", columns),
            ("model", LogisticRegression(C=C, solver="newton-cholesky", max_iter=1_000)),
        ]
    )


def boosting_pipeline(num: list[int], cat: list[int], random_state: Any) -> Pipeline:
    encode = OrdinalEncoder(
        handle_unknown="use_encoded_value",
        unknown_value=np.nan,
        encoded_missing_value=np.nan,
        max_categories=254,
    )
    columns = ColumnTransformer([("num", "passthrough", num), ("cat", encode, cat)])
    mask = [False] * len(num) + [True] * len(cat)
    model = HistGradientBoostingClassifier(
        categorical_features=mask if cat else None, random_state=random_state
    )
    return Pipeline([("prepare", columns), ("model", model)])
