"""Static covariates: the design matrix of the covariate models.

A covariate model names columns of the customer summary (``purchase_covariates``,
``dropout_covariates``); this module reads them into a float matrix with the errors the
rest of the library gives (missing column with the closest name, non-numeric, NaN/inf, each
with a few offending customer ids), standardizes them for the optimizer and maps the
coefficients back to the original scale, and offers the documented one-hot path for
categorical columns (:func:`one_hot_covariates`).

Each model parameter that covariates act on becomes per customer through a log-linear link,
``theta_i = theta * exp(sign * beta' z_i)`` (:class:`Link`); the sign is part of the model's
parametrization (CLVTools: ``alpha_i = alpha exp(-gamma' z_i)``, so a positive ``gamma``
raises the purchase rate).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from customer_models._polars import polars_out
from customer_models._validation import as_pandas, check_number, check_rule, require_columns
from customer_models.exceptions import DataValidationError, ParameterError

__all__ = [
    "Link",
    "Standardization",
    "check_covariate_names",
    "check_penalizer",
    "covariate_column",
    "covariate_matrix",
    "few_levels",
    "one_hot_covariates",
    "standardize",
]

_ONE_HOT_HINT = (
    "Encode categorical columns first, e.g. data = one_hot_covariates(data, ['channel']) "
    "(customer_models.valuation._covariates), pandas.get_dummies(..., drop_first=True, "
    "dtype=float), or a scikit-learn ColumnTransformer in front of the model."
)


@dataclass(frozen=True)
class Link:
    """One coefficient vector acting on model parameters: ``log theta_i += sign * beta' z_i``.

    Attributes
    ----------
    prefix : str
        Name of the coefficient vector (``"gamma"``); coefficients are named
        ``"<prefix>:<column>"``.
    targets : tuple of (int, float)
        The model parameters (positions in ``param_names``) the vector acts on, each with
        its sign (``(1, -1.0)``: ``alpha_i = alpha exp(-gamma' z)``).
    columns : tuple of str
        Covariate columns of the summary, in order.
    process : str
        ``"purchase"``, ``"dropout"`` or ``"spend"``: which penalty applies.
    """

    prefix: str
    targets: tuple[tuple[int, float], ...]
    columns: tuple[str, ...]
    process: str

    @property
    def names(self) -> list[str]:
        """Coefficient names, ``"<prefix>:<column>"``."""
        return [f"{self.prefix}:{c}" for c in self.columns]


def check_covariate_names(value: Any, argument: str, reserved: Sequence[str]) -> tuple[str, ...]:
    """Return the covariate column names given as ``argument`` (None: none).

    Examples
    --------
    >>> check_covariate_names(["channel_web", "age"], "purchase_covariates", ("T",))
    ('channel_web', 'age')
    >>> check_covariate_names("age", "purchase_covariates", ())
    Traceback (most recent call last):
    ...
    customer_models.exceptions.ParameterError: purchase_covariates must be a list of column...
    """
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ParameterError(
            f"{argument} must be a list of column names of the customer summary (e.g. "
            f"['channel_web', 'age']), got {value!r}."
        )
    names = tuple(value)
    bad = [v for v in names if not isinstance(v, str) or not v]
    if bad:
        raise ParameterError(f"{argument} must hold non-empty strings; bad entries: {bad[:5]}.")
    repeated = sorted({v for v in names if names.count(v) > 1})
    if repeated:
        raise ParameterError(f"{argument} names {repeated} more than once.")
    clash = [v for v in names if v in reserved]
    if clash:
        raise ParameterError(
            f"{argument} must not name the model's own columns {list(reserved)}; got {clash}."
        )
    return names


def covariate_column(frame: pd.DataFrame, name: str, what: str) -> np.ndarray:
    """Return the covariate column ``name`` of ``frame`` as float64 values, checked.

    A float64 column comes back without a copy (read it, do not write to it); booleans
    count as 0/1; categorical, string and object columns raise with the one-hot hint; NaN,
    missing and infinite values raise naming the column, the count and a few ids. The
    column must exist (see :func:`covariate_matrix`, which checks the names first).

    Examples
    --------
    >>> import pandas as pd
    >>> covariate_column(pd.DataFrame({"web": [True, False]}), "web", "data").tolist()
    [1.0, 0.0]
    """
    column = frame[name]
    if pd.api.types.is_bool_dtype(column):
        column = column.astype("float64")
    if not pd.api.types.is_numeric_dtype(column):
        raise DataValidationError(
            f"{what}: covariate column {name!r} is not numeric (dtype {column.dtype}). "
            + _ONE_HOT_HINT,
            column=name,
            rule="covariates must be numeric",
            n_rows=len(column),
        )
    values = column.to_numpy(dtype=np.float64, na_value=np.nan)
    if not np.isfinite(values).all():  # the mask and the ids only when something is wrong
        check_rule(
            ~np.isfinite(values),
            np.asarray(frame.index),
            rule=f"covariate {name} must be a finite number (no NaN, missing or inf)",
            column=name,
            what=what,
        )
    return values


def covariate_matrix(frame: pd.DataFrame, names: Sequence[str], what: str) -> np.ndarray:
    """Return the covariate columns ``names`` of ``frame`` as a float64 matrix ``(n, p)``.

    Missing columns raise first (with the closest name), then each column is checked as in
    :func:`covariate_column`.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"web": [True, False], "age": [30, 41]}, index=["a", "b"])
    >>> covariate_matrix(df, ["web", "age"], "data").tolist()
    [[1.0, 30.0], [0.0, 41.0]]
    >>> covariate_matrix(df.assign(age=["x", "y"]), ["age"], "data")
    Traceback (most recent call last):
    ...
    customer_models.exceptions.DataValidationError: data: covariate column 'age' is not numer...
    """
    names = list(names)
    out = np.empty((len(frame), len(names)))
    if not names:
        return out
    require_columns(frame, names, what=what)
    for j, name in enumerate(names):
        out[:, j] = covariate_column(frame, name, what)
    return out


@dataclass(frozen=True)
class Standardization:
    """Centre and scale of each covariate column (scale 1 and ``constant`` for flat columns).

    The optimizer works on ``(z - centre) / scale``; :meth:`to_original` maps its log
    parameters and coefficients back, so the user sees effects per unit of the original
    column. A constant column carries no information beside the intercept: its coefficient
    is fixed at 0 (so all-zero covariates give exactly the model without covariates).
    """

    centre: np.ndarray
    scale: np.ndarray
    constant: np.ndarray

    def apply(self, z: np.ndarray) -> np.ndarray:
        """Standardized copy of ``z`` (constant columns become exactly 0)."""
        out = np.subtract(z, self.centre)  # one new array (np.where made three)
        out /= self.scale
        out[:, self.constant] = 0.0
        return out


def standardize(z: np.ndarray, weights: np.ndarray) -> Standardization:
    """Weighted mean and standard deviation of each column of ``z``.

    Examples
    --------
    >>> import numpy as np
    >>> s = standardize(np.array([[0.0, 5.0], [2.0, 5.0]]), np.ones(2))
    >>> s.centre.tolist(), s.scale.tolist(), s.constant.tolist()
    ([1.0, 5.0], [1.0, 1.0], [False, True])
    """
    w = weights / weights.sum()
    centre = w @ z if z.size else np.zeros(z.shape[1])
    spread = np.sqrt(np.maximum(w @ (z - centre) ** 2, 0.0)) if z.size else np.zeros(z.shape[1])
    low, high = (z.min(axis=0), z.max(axis=0)) if z.size else (centre, centre)
    constant = high == low
    scale = np.where(constant | (spread == 0), 1.0, spread)
    return Standardization(centre, scale, constant)


@polars_out
def one_hot_covariates(
    data: Any, columns: Sequence[str], *, drop_first: bool = True
) -> pd.DataFrame:
    """Replace categorical columns by 0/1 indicator columns named ``<column>_<level>``.

    The documented path for categorical covariates: the first level (in sorted order, or the
    category order of a pandas ``Categorical``) is the reference and gets no column, so the
    model's intercept is the reference level and each coefficient is the effect of a level
    against it. The input is not modified.

    Parameters
    ----------
    data : pandas.DataFrame
        The customer summary.
    columns : list of str
        Categorical columns to encode.
    drop_first : bool, default True
        Drop the reference level (needed: the levels of a column sum to the intercept).

    Returns
    -------
    pandas.DataFrame
        A copy with the indicator columns (float) in place of ``columns``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"channel": ["web", "shop", "web"], "T": [1.0, 2.0, 3.0]})
    >>> one_hot_covariates(df, ["channel"]).columns.tolist()
    ['T', 'channel_web']
    """
    frame = as_pandas(data, what="data")
    names = check_covariate_names(columns, "columns", ())
    require_columns(frame, list(names), what="data")
    ids = np.asarray(frame.index)
    for name in names:
        check_rule(
            frame[name].isna().to_numpy(),
            ids,
            rule=f"{name} must not be missing (give missing values a level of their own)",
            column=name,
            what="data",
        )
    encoded = pd.get_dummies(
        frame, columns=list(names), drop_first=drop_first, dtype=np.float64, prefix_sep="_"
    )
    encoded.attrs = dict(frame.attrs)  # get_dummies drops them: keep the time unit
    return encoded


#: Compress on (x, t_x, T, z) when the covariates take at most this many distinct rows (a
#: product of per-column level counts): categorical covariates.
MAX_COVARIATE_LEVELS = 4096


def check_penalizer(value: Any, processes: tuple[str, ...]) -> dict[str, float]:
    """``penalizer`` as ``{process: coefficient}``: one number for all, or a mapping.

    Examples
    --------
    >>> check_penalizer(0.1, ("purchase", "dropout"))
    {'purchase': 0.1, 'dropout': 0.1}
    >>> check_penalizer({"dropout": 0.5}, ("purchase", "dropout"))
    {'purchase': 0.0, 'dropout': 0.5}
    """
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - set(processes))
        if unknown:
            raise ParameterError(f"penalizer keys must be among {list(processes)}; got {unknown}.")
        return {
            p: float(check_number(value.get(p, 0.0), f"penalizer[{p!r}]", low=0.0))
            for p in processes
        }
    number = float(check_number(value, "penalizer", low=0.0))
    return dict.fromkeys(processes, number)


def few_levels(z: np.ndarray) -> bool:
    """Whether the covariate rows take few distinct values (product of per-column levels)."""
    total = 1
    for j in range(z.shape[1]):
        total *= int(pd.unique(z[:, j]).size)
        if total > MAX_COVARIATE_LEVELS:
            return False
    return True
