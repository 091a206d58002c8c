"""What the scale-out engines share: their optional import, cut-offs and the model's columns."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from customer_models._time import cutoff_us, normalize_unit, us_to_datetime
from customer_models._transactions import PARSING_OPTIONS
from customer_models.exceptions import ParameterError

__all__ = ["NOT_DISTRIBUTED", "import_extra", "model_columns", "period_end"]

#: In-memory keywords the Dask and Spark engines do not take: they read typed dates (no
#: parsing), and the log inter-purchase statistic is an in-memory column.
NOT_DISTRIBUTED = (*PARSING_OPTIONS, "include_log_interpurchase")


def import_extra(module: str, engine: str, package: str) -> Any:
    """Import ``module``, or say that ``customer_models.<engine>`` needs its extra."""
    try:
        return importlib.import_module(module)
    except ImportError as err:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            f'customer_models.{engine} needs {package}: pip install "customer_models[{engine}]"'
        ) from err


def period_end(value: Any, freq: str, argument: str, tz: Any = None) -> pd.Timestamp:
    """Return the last instant of the cut-off's ``freq`` period, in the zone ``tz``.

    The distributed engines compare it with their date column.

    Examples
    --------
    >>> period_end("2024-01-10 08:00", "D", "observation_end")
    Timestamp('2024-01-10 23:59:59.999999')
    """
    end_us = cutoff_us(value, normalize_unit(freq, "freq"), argument, tz=tz)
    return us_to_datetime(np.array([end_us]), tz)[0]


def model_columns(model: Any, columns: Sequence[str] | None) -> list[str]:
    """Return the summary columns ``model.fit`` reads: its data columns, then its covariates.

    The distributed ``fit_model`` groups the summary by these columns, so a covariate model
    (whose likelihood depends on each customer's covariates) must have them in the key: a
    pattern is then (data, covariates), and the weighted fit on the patterns is the fit on the
    customers. ``columns`` given by the caller are used as they are.

    Examples
    --------
    >>> from customer_models.valuation._bgnbd_covariates import BetaGeoCovariateModel
    >>> model_columns(BetaGeoCovariateModel(["web"], dropout_covariates=["web", "age"]), None)
    ['frequency', 'recency', 'T', 'web', 'age']
    """
    if columns is not None:
        return list(columns)
    required = getattr(model, "required_columns", None)
    if required is None:
        raise ParameterError(
            f"{type(model).__name__} does not declare required_columns; pass columns=."
        )
    covariates = getattr(model, "_covariate_columns", None)  # the covariate models' columns
    extra = [] if covariates is None else [c for c in covariates() if c not in required]
    return [*required, *extra]
