"""What the Dask and Spark engines share about fitting a model on a distributed summary."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from customer_models.exceptions import ParameterError

__all__ = ["model_columns"]


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
